using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Downloads
{
    /// <summary>
    /// A download attempt that fails and is retried: its partial file is closed and deleted when the attempt
    /// fails, not when the next attempt starts. Before, the file (and its open FileStream) stayed through the
    /// whole backoff wait (RetryInterval, up to MaxRetryDelay), one per waiting request.
    /// </summary>
    public sealed class DownloadRetryTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "asyncfetch-dlretry-" + Guid.NewGuid().ToString("N"));

        public DownloadRetryTests() => Directory.CreateDirectory(_dir);

        public void Dispose()
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        private string[] Files() => Directory.GetFiles(_dir).Select(p => Path.GetFileName(p)!).ToArray();

        [Fact]
        public async Task A_failed_attempt_drops_its_partial_file_before_the_backoff_wait()
        {
            var cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var server = new RawServer(async (c, token) =>
            {
                await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", token);
                await c.SendAsync(new byte[10_000], token);
                await cut.Task.WaitAsync(token);
                c.Socket.Close(); // the connection is lost mid-body: a GET is retried
            });
            using FetchEngine engine = NewEngine(configure: o =>
            {
                o.MaximumRetryCount = 1;
                o.RetryInterval = TimeSpan.FromSeconds(60); // the retry never starts during this test
                o.MaxRetryDelay = TimeSpan.FromSeconds(120);
            });
            using var cts = new CancellationTokenSource();
            Task<FetchResult> task = engine.FetchAsync(new FetchRequest(server.Url("/data.bin")) { OutDirectory = _dir }, cts.Token);

            Assert.True(await Eventually(() => Files().Any(n => n.StartsWith("data.bin.partial-", StringComparison.Ordinal)), Patience), "the partial file never appeared");
            cut.SetResult();

            // The attempt fails and the request waits for its retry: the partial file goes now.
            Assert.True(await Eventually(() => Files().Length == 0, TimeSpan.FromSeconds(15)), "the failed attempt's partial file stays during the retry wait: " + string.Join(", ", Files()));
            Assert.False(task.IsCompleted, "the request should be waiting for its retry");
            Assert.Single(server.Connections); // still the first attempt's only connection

            cts.Cancel();
            FetchResult r = await task.WaitAsync(Patience);
            Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind);
            Assert.Equal(1, r.Attempts);
            Assert.Empty(Files());
        }
    }
}
