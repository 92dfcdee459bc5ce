using System;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace AsyncFetch.Engine.Tests.Requests
{
    /// <summary>
    /// A compressed body was held whole in memory before its size was checked (the limit
    /// applied only to the decoded size), and a declared Content-Length was allocated up front, so a response head
    /// alone could cost gigabytes.
    /// </summary>
    [Collection(MemoryMeasurementCollection.Name)]
    public sealed class BodyMemoryTests
    {
        private const long Limit = 1024 * 1024;
        private const long WireBody = 50L * 1024 * 1024;

        private readonly ITestOutputHelper _output;

        public BodyMemoryTests(ITestOutputHelper output) => _output = output;

        /// <summary>Streams a gzip-labelled 50 MiB body (not valid gzip) framed as asked; records how much was sent.</summary>
        private static RawServer StreamingServer(string framing, long[] sent)
        {
            return new RawServer(async (c, token) =>
            {
                string head = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: application/octet-stream\r\n" + framing switch
                {
                    "length" => $"Content-Length: {WireBody}\r\n",
                    "chunked" => "Transfer-Encoding: chunked\r\n",
                    _ => "Connection: close\r\n",
                } + "\r\n";
                await c.SendAsync(head, token);
                var block = new byte[64 * 1024];
                new Random(7).NextBytes(block);
                byte[] chunkHead = Encoding.ASCII.GetBytes($"{block.Length:X}\r\n");
                byte[] crlf = Encoding.ASCII.GetBytes("\r\n");
                for (long done = 0; done < WireBody; done += block.Length)
                {
                    if (framing == "chunked")
                    {
                        await c.SendAsync(chunkHead, token);
                    }

                    await c.SendAsync(block, token); // throws once the client has closed (reset)
                    if (framing == "chunked")
                    {
                        await c.SendAsync(crlf, token);
                    }

                    Interlocked.Add(ref sent[0], block.Length);
                }

                if (framing == "chunked")
                {
                    await c.SendAsync("0\r\n\r\n", token);
                }

                c.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
                await c.ReadAfterHeadAsync(token);
            });
        }

        /// <summary>One small request first (JIT, loop buffers), so a measurement is of the response under test.</summary>
        private static async Task WarmUp(FetchEngine engine)
        {
            using var small = new RawServer(async (c, token) => await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", token));
            FetchResult warm = await engine.FetchAsync(new FetchRequest(small.Url("/warm"))).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(200, warm.StatusCode);
        }

        [Theory]
        [InlineData("length")]
        [InlineData("chunked")]
        [InlineData("close")]
        public async Task Compressed_body_over_the_limit_fails_on_the_wire_without_buffering_it(string framing)
        {
            var sent = new long[1];
            using RawServer server = StreamingServer(framing, sent);
            using var engine = new FetchEngine(new FetchEngineOptions { MaxResponseBytes = Limit, Timeout = TimeSpan.FromSeconds(10) });

            await WarmUp(engine);

            GC.Collect();
            long before = GC.GetTotalAllocatedBytes(true);
            FetchResult result = await engine.FetchAsync(new FetchRequest(server.Url("/big"))).WaitAsync(TimeSpan.FromSeconds(20));
            long allocated = GC.GetTotalAllocatedBytes(true) - before;
            Assert.True(await server.WaitHandlersAsync(TimeSpan.FromSeconds(10)), "the server's handler did not finish");
            _output.WriteLine($"{framing}: {result.ErrorKind} '{result.ErrorMessage}'; allocated {allocated / 1024} KiB while fetching; server sent {Interlocked.Read(ref sent[0]) / 1024} KiB of {WireBody / 1024}");

            Assert.Equal(FetchErrorKind.TooLarge, result.ErrorKind);
            Assert.True(allocated < 8 * 1024 * 1024, $"fetching allocated {allocated / 1024} KiB for a body limited to {Limit / 1024} KiB");
            Assert.True(Interlocked.Read(ref sent[0]) < WireBody, "the client read the whole 50 MiB body although its limit is 1 MiB");
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public async Task A_declared_length_is_not_allocated_before_the_bytes_arrive(bool gzip)
        {
            const long Declared = 1_900_000_000;
            using var server = new RawServer(async (c, token) =>
            {
                await c.SendAsync($"HTTP/1.1 200 OK\r\n{(gzip ? "Content-Encoding: gzip\r\n" : string.Empty)}Content-Length: {Declared}\r\n\r\n", token);
                await c.ReadAfterHeadAsync(token); // nothing of the body is ever sent
            });

            // Identity bodies need a limit above the declared size to get past the up-front check; gzip ones had none.
            var options = new FetchEngineOptions { Timeout = TimeSpan.FromSeconds(1), MaxResponseBytes = gzip ? 256L * 1024 * 1024 : 2_000_000_000 };
            using var engine = new FetchEngine(options);
            await WarmUp(engine);

            GC.Collect();
            long before = GC.GetTotalAllocatedBytes(true);
            FetchResult[] results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => engine.FetchAsync(new FetchRequest(server.Url($"/declared?i={i}"))))).WaitAsync(TimeSpan.FromSeconds(15));
            long allocated = GC.GetTotalAllocatedBytes(true) - before;
            _output.WriteLine($"gzip={gzip}: {string.Join("; ", results.Select(r => r.ErrorKind + " " + r.ErrorMessage))}; allocated {allocated / 1024} KiB");

            Assert.All(results, r => Assert.Equal(FetchErrorKind.Timeout, r.ErrorKind));
            Assert.Equal(4, server.Connections.Length);
            Assert.True(allocated < 100L * 1024 * 1024, $"4 responses that declared {Declared} bytes and sent none allocated {allocated / (1024 * 1024)} MiB");
        }

        /// <summary>
        /// A body without a declared length grows its buffer by doubling as it arrives; the growth stops at the limit,
        /// which the body cannot pass. A body of exactly the limit (just past a power of two) grew to twice its size,
        /// then was copied out once more.
        /// </summary>
        [Fact]
        public async Task A_body_of_unknown_length_is_not_buffered_past_the_limit()
        {
            const int Size = (32 * 1024 * 1024) + 4096;
            byte[] body = new byte[Size];
            new Random(3).NextBytes(body);
            using var server = new RawServer(async (c, token) =>
            {
                await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n", token);
                await c.SendAsync(body, token);
                c.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
                await c.ReadAfterHeadAsync(token);
            });
            using var engine = new FetchEngine(new FetchEngineOptions { MaxResponseBytes = Size, Timeout = TimeSpan.FromSeconds(30) });
            await WarmUp(engine);

            GC.Collect();
            long before = GC.GetTotalAllocatedBytes(true);
            FetchResult result = await engine.FetchAsync(new FetchRequest(server.Url("/exact"))).WaitAsync(TimeSpan.FromSeconds(30));
            long allocated = GC.GetTotalAllocatedBytes(true) - before;
            _output.WriteLine($"{result}: allocated {allocated >> 20} MiB for a body of {Size >> 20} MiB");

            Assert.True(result.Succeeded, result.ToString());
            Assert.True(body.AsSpan().SequenceEqual(result.GetBody()), "the body differs");
            Assert.True(allocated <= 4L * Size, $"a body of {Size >> 20} MiB allocated {allocated >> 20} MiB");
        }
    }
}
