using System;
using System.IO;
using System.Linq;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Responses;

namespace AsyncFetch.Engine.Tests.Responses
{
    /// <summary>
    /// The sinks on their own: each keeps its own state, refuses bytes by returning Failed with a reason (never by
    /// throwing), and reports the stored body to its owner exactly once.
    /// </summary>
    public sealed class BodySinkTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "asyncfetch-sinks-" + Guid.NewGuid().ToString("N"));

        public BodySinkTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        [Fact]
        public void Memory_sink_refuses_a_declared_length_over_the_limit_at_once()
        {
            var sink = new MemoryBodySink();
            Assert.False(sink.Begin(declaredLength: 11, decodings: null, max: 10, keepDecoded: true));
            Assert.Equal(FetchErrorKind.TooLarge, sink.Failure!.Kind);
            Assert.Equal("The response body (11 bytes) is larger than the limit of 10 bytes.", sink.Failure.Message);

            // A compressed body is judged by its decoded size, later; no limit at all takes anything.
            Assert.True(sink.Begin(11, new[] { "gzip" }, 10, keepDecoded: true));
            Assert.True(sink.Begin(1L << 40, null, -1, keepDecoded: true));
            Assert.Null(sink.Failure);
        }

        [Fact]
        public void Memory_sink_takes_up_to_the_limit_and_refuses_the_byte_past_it()
        {
            var sink = new MemoryBodySink();
            Assert.True(sink.Begin(null, null, 10, keepDecoded: true));
            Assert.Equal(SinkWrite.Accepted, sink.Write(new byte[6]));
            Assert.Equal(SinkWrite.Accepted, sink.Write(new byte[4]));
            Assert.Equal(SinkWrite.Failed, sink.Write(new byte[1]));
            Assert.Equal(FetchErrorKind.TooLarge, sink.Failure!.Kind);
            Assert.Equal("The response body is larger than the limit of 10 bytes.", sink.Failure.Message);
        }

        [Fact]
        public void Memory_sink_stores_the_exact_bytes_and_starts_over_for_the_next_response()
        {
            var sink = new MemoryBodySink();
            var owner = new Owner();
            Assert.True(sink.Begin(null, null, -1, keepDecoded: true));
            byte[] data = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
            Assert.Equal(SinkWrite.Accepted, sink.Write(data.AsSpan(0, 3000)));
            Assert.Equal(SinkWrite.Accepted, sink.Write(data.AsSpan(3000)));
            sink.Finish(owner);
            Assert.Equal(1, owner.Reports);
            Assert.Equal(data, owner.Body);
            Assert.Equal(5000, owner.Length);

            // Reused: a declared length gets its array at once, and an empty body is an empty array.
            var next = new Owner();
            Assert.True(sink.Begin(3, null, -1, keepDecoded: true));
            Assert.Equal(SinkWrite.Accepted, sink.Write(new byte[] { 1, 2, 3 }));
            sink.Finish(next);
            Assert.Equal(new byte[] { 1, 2, 3 }, next.Body);
            var empty = new Owner();
            Assert.True(sink.Begin(null, null, -1, keepDecoded: true));
            sink.Finish(empty);
            Assert.Equal(Array.Empty<byte>(), empty.Body);
            Assert.Equal(0, empty.Length);
        }

        [Fact]
        public void Discard_sink_counts_without_limit_and_keeps_nothing()
        {
            var sink = new DiscardBodySink();
            var owner = new Owner();
            sink.Begin();
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(SinkWrite.Accepted, sink.Write(new byte[1000]));
            }

            sink.Finish(owner);
            Assert.Null(owner.Body);
            Assert.Equal(3000, owner.Length);
            Assert.Null(owner.Path);
            Assert.Null(sink.Failure);
        }

        /// <summary>Records what a sink reports; nothing here goes to the thread pool.</summary>
        private sealed class Owner : IBodySinkOwner
        {
            public int Reports { get; private set; }

            public byte[]? Body { get; private set; }

            public long Length { get; private set; } = -1;

            public string? Path { get; private set; }

            public EventLoop Loop => throw new InvalidOperationException("No work leaves the loop in these tests.");

            public bool Wants(IBodySink sink) => true;

            public void OnBodyStored(IBodySink sink, byte[]? body, long length, string? path)
            {
                Reports++;
                Body = body;
                Length = length;
                Path = path;
            }

            public void OnBodyDrained(IBodySink sink) => throw new InvalidOperationException("These sinks are never full.");

            public void OnBodyFailed(IBodySink sink, SinkFailure failure) => throw new InvalidOperationException("Unexpected failure: " + failure.Message);
        }
    }
}
