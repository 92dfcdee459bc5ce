using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.TestServer;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Tls
{
    /// <summary>
    /// TLS connections of every ending leave no descriptor behind once the engine is disposed, and no Task
    /// exception reaches the thread pool unobserved. Runs alone (see LeakTests).
    /// </summary>
    [Collection("fd-sensitive")]
    public sealed class TlsLeakTests : IClassFixture<TlsFixture>
    {
        private readonly TlsFixture _f;

        public TlsLeakTests(TlsFixture fixture) => _f = fixture;

        private async Task RunMixed(int count, SilentServer silent, SilentServer closing)
        {
            using var engine = new FetchEngine(TlsFixture.Options(o =>
            {
                o.MaxConcurrency = 50;
                o.PerHostLimit = 50;
                o.Timeout = TimeSpan.FromSeconds(5);
                o.MaxResponseBytes = 100_000;
            }));
            using var cancelSoon = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var tasks = new List<Task<FetchResult>>();
            for (int i = 0; i < count; i++)
            {
                FetchRequest request = (i % 10) switch
                {
                    0 => new FetchRequest(silent.Url), // cancelled during the handshake
                    1 => new FetchRequest(silent.Url) { ConnectTimeout = TimeSpan.FromMilliseconds(800) }, // times out during the handshake
                    2 => new FetchRequest(closing.Url),
                    3 => new FetchRequest(new Uri(_f.WrongName.BaseUri, "/bytes/10")),
                    4 => new FetchRequest(new Uri(_f.Expired.BaseUri, "/bytes/10")) { SkipCertificateCheck = true },
                    5 => new FetchRequest(_f.Url("/bytes/200000")), // TooLarge
                    6 => new FetchRequest(_f.Url("/delay/3000")), // cancelled mid-response
                    _ => new FetchRequest(_f.Url("/bytes/" + i)),
                };
                tasks.Add(engine.FetchAsync(request, i % 10 == 0 || i % 10 == 6 ? cancelSoon.Token : CancellationToken.None));
            }

            FetchResult[] results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
            foreach (FetchErrorKind kind in new[] { FetchErrorKind.Canceled, FetchErrorKind.Timeout, FetchErrorKind.Tls, FetchErrorKind.TooLarge })
            {
                Assert.Contains(results, r => r.ErrorKind == kind);
            }

            Assert.True(results.Count(r => r.StatusCode == 200) >= count * 3 / 10, string.Join("\n", results.Where(r => r.StatusCode != 200).Take(5)));
        }

        [Fact]
        public async Task Descriptors_return_to_the_baseline_and_no_task_exception_goes_unobserved()
        {
            var unobserved = new List<Exception>();
            EventHandler<UnobservedTaskExceptionEventArgs> handler = (_, e) =>
            {
                lock (unobserved)
                {
                    unobserved.Add(e.Exception);
                }
            };
            TaskScheduler.UnobservedTaskException += handler;
            try
            {
                using (var silent = new SilentServer(SilentServer.Mode.Never))
                using (var closing = new SilentServer(SilentServer.Mode.CloseAfterHello))
                {
                    await RunMixed(100, silent, closing); // warm-up: assemblies and native libraries mapped on first use
                }

                await Task.Delay(300);
                bool counting = OpenFileDescriptors() >= 0;
                var beforeTargets = new HashSet<string>(FileDescriptorTargets());
                string before = DescribeFileDescriptors();

                using (var silent = new SilentServer(SilentServer.Mode.Never))
                using (var closing = new SilentServer(SilentServer.Mode.CloseAfterHello))
                {
                    await RunMixed(500, silent, closing);
                }

                if (counting)
                {
                    // The Kestrel servers (this process) close their ends of the engine's connections as they notice.
                    List<string> extra = new List<string>();
                    bool back = await Eventually(
                        () =>
                        {
                            extra = FileDescriptorTargets().Where(t => !beforeTargets.Contains(t)).ToList();
                            return extra.All(t => t.EndsWith(".dll", StringComparison.Ordinal) || t.Contains(".so", StringComparison.Ordinal));
                        },
                        TimeSpan.FromSeconds(15));
                    Assert.True(back, $"open descriptors: {DescribeFileDescriptors()}, before: {before}; new: {string.Join(", ", extra)}");
                }

                for (int i = 0; i < 3; i++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }

                lock (unobserved)
                {
                    Assert.True(unobserved.Count == 0, string.Join("\n---\n", unobserved.Select(e => e.ToString())));
                }
            }
            finally
            {
                TaskScheduler.UnobservedTaskException -= handler;
            }
        }
    }
}
