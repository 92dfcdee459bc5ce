using System;
using System.Collections.Concurrent;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Http;
using Xunit.Abstractions;

namespace AsyncFetch.Engine.Tests.Requests
{
    /// <summary>
    /// A compressed body of at most 64 KiB was decoded on the loop thread whatever it decoded to. A
    /// compression bomb (421 bytes of br become 256 MiB, the default MaxResponseBytes; 64 KiB of gzip become 64 MiB)
    /// then stalled every socket and timer of the engine for as long as the decoding took (seconds).
    /// </summary>
    public sealed class DecodeBombTests
    {
        private readonly ITestOutputHelper _output;

        public DecodeBombTests(ITestOutputHelper output) => _output = output;

        private static byte[] Bomb(string encoding, int megabytes)
        {
            var output = new MemoryStream();
            var zeros = new byte[1 << 20];
            using (Stream s = encoding == "br" ? new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true) : new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                for (int i = 0; i < megabytes; i++)
                {
                    s.Write(zeros, 0, zeros.Length);
                }
            }

            return output.ToArray();
        }

        /// <summary>
        /// The server sends the bomb, then (its bytes already in the client's socket) posts a marker to the loop.
        /// A loop that decodes the bomb inline runs the marker only after the bomb's result; a free loop runs it
        /// while the bomb is still being decoded elsewhere.
        /// </summary>
        /// (br: its 809 bytes arrive at once. A gzip bomb of 60 KiB stalled the loop too, but may arrive in pieces,
        /// which lets the marker in between them, so it would show the fault only some of the time.)
        [Fact]
        public async Task A_small_compressed_body_that_decodes_to_a_lot_does_not_stall_the_loop()
        {
            const string encoding = "br";
            const int megabytes = 256;
            byte[] bomb = Bomb(encoding, megabytes);
            Assert.True(bomb.Length < 64 * 1024, $"the {encoding} bomb is {bomb.Length} bytes");
            var events = new ConcurrentQueue<string>();
            FetchEngine? engine = null;
            var markerRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var server = new RawServer(async (c, token) =>
            {
                string head = $"HTTP/1.1 200 OK\r\nContent-Encoding: {encoding}\r\nContent-Length: {bomb.Length}\r\n\r\n";
                byte[] headBytes = Encoding.ASCII.GetBytes(head);
                var response = new byte[headBytes.Length + bomb.Length];
                headBytes.CopyTo(response, 0);
                bomb.CopyTo(response, headBytes.Length);
                await c.SendAsync(response, token);
                engine!.Loop.Post(() =>
                {
                    events.Enqueue("marker");
                    markerRan.TrySetResult();
                });
                await c.ReadAfterHeadAsync(token);
            });

            using (engine = new FetchEngine(new FetchEngineOptions { MaxResponseBytes = -1, Timeout = TimeSpan.FromSeconds(60) }))
            {
                var done = new TaskCompletionSource<FetchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                engine.Submit(new FetchRequest(server.Url("/bomb")) { DiscardBody = true }, r =>
                {
                    events.Enqueue("bomb");
                    done.TrySetResult(r);
                });

                FetchResult result = await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
                await markerRan.Task.WaitAsync(TimeSpan.FromSeconds(10));
                _output.WriteLine($"{result}; order: {string.Join(", ", events)}");
                Assert.True(result.Succeeded, result.ToString());
                Assert.Equal((long)megabytes << 20, result.ContentLength);
                Assert.Equal(new[] { "marker", "bomb" }, events.ToArray());
            }
        }

        /// <summary>The decoder stops where the caller asks (to go on elsewhere), and not before the size limit is judged.</summary>
        [Fact]
        public void Decoding_can_stop_after_a_given_amount_of_output()
        {
            byte[] bomb = Bomb("gzip", 8);
            Assert.Equal(ContentDecoder.Outcome.Unfinished, ContentDecoder.Decode(bomb, bomb.Length, "gzip", -1, true, out byte[]? decoded, out long length, out string? error, yieldAfter: 1 << 20));
            Assert.Null(decoded);
            Assert.Null(error);
            Assert.InRange(length, (1 << 20) + 1, (2 << 20) + (64 * 1024));

            Assert.Equal(ContentDecoder.Outcome.TooLarge, ContentDecoder.Decode(bomb, bomb.Length, "gzip", 1 << 20, true, out _, out _, out _, yieldAfter: 1 << 20));
            Assert.Equal(ContentDecoder.Outcome.Decoded, ContentDecoder.Decode(bomb, bomb.Length, "gzip", -1, false, out _, out length, out _, yieldAfter: 8 << 20));
            Assert.Equal(8L << 20, length);
        }
    }
}
