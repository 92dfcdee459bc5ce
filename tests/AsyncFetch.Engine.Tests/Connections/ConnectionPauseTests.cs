using System;
using System.IO;
using System.Text;
using System.Threading.Tasks;
using AsyncFetch.Engine.Connections;
using AsyncFetch.Engine.Requests;
using AsyncFetch.Engine.Tests.Support;
using Xunit;
using static AsyncFetch.Engine.Tests.Support.LoopWait;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Connections
{
    /// <summary>
    /// <see cref="HttpConnection.PauseReading"/> and ResumeReading over a plain and a TLS transport, with a request
    /// reading a 4 MiB response into memory: paused, the connection reads nothing (the server, with small socket
    /// buffers, stalls with its response unsent and the request stays unfinished); resumed, the response arrives whole
    /// and in order. The pause comes from a loop callback, as a disk writer's would; a pause from inside the body sink,
    /// in the middle of a buffer, is covered by <see cref="TransportPauseTests"/> and the parser's tests.
    /// </summary>
    public sealed class ConnectionPauseTests
    {
        private const int BodySize = 4 << 20;

        [Theory]
        [InlineData(false, false)]
        [InlineData(false, true)]
        [InlineData(true, false)]
        [InlineData(true, true)]
        public async Task A_paused_connection_reads_nothing_until_resumed_and_the_response_arrives_whole(bool tls, bool beforeResponse)
        {
            using FetchEngine engine = NewEngine();
            using TransportHarness harness = await TransportHarness.CreateAsync(engine.Loop, tls, engine.ReceiveBuffer);
            var uri = new Uri($"{(tls ? "https://localhost" : "http://127.0.0.1")}:{harness.Port}/big");
            TaskCompletionSource<FetchResult> done = NewTcs<FetchResult>();
            HttpConnection connection = await OnLoop(engine.Loop, () =>
            {
                var op = new FetchOperation(engine, new FetchRequest(uri), engine.DefaultLimiter, r => done.TrySetResult(r));
                op.Prepare(uri);
                var c = new HttpConnection(engine, op.OriginKey, harness.Transport);
                c.StartRequest(op);
                if (beforeResponse)
                {
                    c.PauseReading();
                }

                return c;
            });

            Assert.StartsWith("GET /big HTTP/1.1\r\n", await ReadHeadAsync(harness.Far));
            byte[] body = Pattern(BodySize);
            // Paused in the middle: the server sends 512 KiB and holds; the pause comes; then it sends the rest, which
            // the small socket buffers cannot hold. (Pausing while the server streams would race a fast reader.)
            var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            StreamFeeder feeder = beforeResponse
                ? StreamFeeder.Start(harness.Far, Response(body))
                : StreamFeeder.StartHolding(harness.Far, Response(body), 512 * 1024, release.Task);
            if (!beforeResponse)
            {
                await feeder.Held.Task.WaitAsync(Patience);
                await OnLoop(engine.Loop, () =>
                {
                    connection.PauseReading();
                    connection.PauseReading();
                });
                release.SetResult(true);
            }

            await feeder.WaitStalledAsync();
            Assert.False(feeder.Done.IsCompleted, "the server sent the whole response although the connection was paused");
            Assert.False(done.Task.IsCompleted, "the request finished while its connection was paused");

            await OnLoop(engine.Loop, () =>
            {
                connection.ResumeReading();
                connection.ResumeReading();
            });
            FetchResult r = await done.Task.WaitAsync(Patience);

            Assert.True(r.Succeeded, r.ErrorMessage);
            Assert.Equal(BodySize, r.Body!.Length);
            Assert.True(body.AsSpan().SequenceEqual(r.Body), "the body differs from what the server sent");
            Assert.False(await OnLoop(engine.Loop, () => connection.IsClosed)); // idle in its pool: a pause leaves nothing behind
        }

        private static byte[] Response(byte[] body)
        {
            byte[] head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n");
            var response = new byte[head.Length + body.Length];
            head.CopyTo(response, 0);
            body.CopyTo(response, head.Length);
            return response;
        }

        /// <summary>Reads the request head (up to its blank line) from the server's end.</summary>
        private static async Task<string> ReadHeadAsync(Stream far)
        {
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                int n = await far.ReadAsync(one).AsTask().WaitAsync(Patience);
                if (n == 0)
                {
                    throw new EndOfStreamException("the connection closed before the request head ended");
                }

                head.Append((char)one[0]);
            }

            return head.ToString();
        }
    }
}
