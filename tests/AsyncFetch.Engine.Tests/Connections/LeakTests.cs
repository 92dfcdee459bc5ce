using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Connections
{
    /// <summary>Runs alone: other test classes would open descriptors (sockets, mapped assemblies) meanwhile.</summary>
    [CollectionDefinition("fd-sensitive", DisableParallelization = true)]
    public sealed class FdSensitiveCollection
    {
    }

    /// <summary>1,000 requests of every ending leave no file descriptor behind.</summary>
    [Collection("fd-sensitive")]
    public sealed class LeakTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public LeakTests(ServerFixture fixture) => _f = fixture;

        private async Task RunMixed(int count)
        {
            int closedPort = ClosedPort();
            using FetchEngine engine = NewEngine(configure: o => { o.MaxConcurrency = 50; o.Timeout = TimeSpan.FromSeconds(2); o.MaxResponseBytes = 100_000; });
            var tasks = new List<Task<FetchResult>>();
            using var cancelSoon = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            for (int i = 0; i < count; i++)
            {
                tasks.Add(engine.FetchAsync(Pick(i, closedPort), i % 10 == 0 ? cancelSoon.Token : CancellationToken.None));
            }

            FetchResult[] results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(count, results.Length);
            foreach (FetchErrorKind kind in new[] { FetchErrorKind.Canceled, FetchErrorKind.Connect, FetchErrorKind.ConnectionLost, FetchErrorKind.TooLarge, FetchErrorKind.InvalidRequest })
            {
                Assert.Contains(results, r => r.ErrorKind == kind);
            }

            Assert.True(results.Count(r => r.StatusCode == 200) >= count / 2);
        }

        private FetchRequest Pick(int i, int closedPort) => (i % 10) switch
        {
            0 => new FetchRequest(_f.Url("/delay/3000")),
            1 => new FetchRequest(new Uri($"http://127.0.0.1:{closedPort}/")),
            2 => new FetchRequest(_f.HostileUrl(i % 20 == 2 ? "/reset" : "/truncated-body")),
            3 => new FetchRequest(_f.HostileUrl("/huge-body?n=10000000")),
            4 => new FetchRequest("ftp://invalid.test/"),
            5 => new FetchRequest(_f.HostileUrl("/ok")),
            _ => new FetchRequest(_f.Url("/bytes/" + i)),
        };

        private static bool IsRuntimeFile(string target) =>
            target.EndsWith(".dll", StringComparison.Ordinal) || target.EndsWith(".pdb", StringComparison.Ordinal) || target.Contains(".so", StringComparison.Ordinal);

        [Fact]
        public void Only_runtime_files_are_excused_from_the_descriptor_count()
        {
            Assert.True(IsRuntimeFile("/x/bin/AsyncFetch.TestServer.pdb"));
            Assert.True(IsRuntimeFile("/usr/share/dotnet/shared/libSystem.Native.so"));
            Assert.False(IsRuntimeFile("socket:[12345]"));
            Assert.False(IsRuntimeFile("pipe:[12921154]"));
            Assert.False(IsRuntimeFile("anon_inode:[eventpoll]"));
            Assert.False(IsRuntimeFile("/tmp/dl/file.bin.partial-1a2b"));
        }

        [Fact]
        public async Task Open_descriptors_return_to_the_baseline_after_a_thousand_mixed_requests()
        {
            if (OpenFileDescriptors() < 0)
            {
                return; // no /proc: nothing to count on this system
            }

            // Warm up with the same workload: the runtime maps assemblies (regular files) on first use, and
            // those belong in the baseline. Then the real run must leave nothing behind.
            await RunMixed(100);
            await Task.Delay(300);
            int baseline = OpenFileDescriptors();
            string before = DescribeFileDescriptors();
            var beforeTargets = new HashSet<string>(FileDescriptorTargets());

            await RunMixed(1000);

            // The engine is gone; the servers (in this process too) close their ends as they notice. Whatever is
            // still open beyond the baseline may only be an assembly, native library or symbol file the runtime
            // opened on a code path first taken here (a stack trace with line numbers opens the .pdb; a noisy
            // machine makes the warm-up take other paths than the real run): a socket, pipe, eventfd or epoll
            // descriptor left over is a leak.
            List<string> extra = new List<string>();
            bool back = await Eventually(
                () =>
                {
                    extra = FileDescriptorTargets().Where(t => !beforeTargets.Contains(t)).ToList();
                    return extra.All(IsRuntimeFile);
                },
                TimeSpan.FromSeconds(15));
            Assert.True(back, $"open descriptors: {OpenFileDescriptors()} ({DescribeFileDescriptors()}), baseline {baseline} ({before}); new: {string.Join(", ", extra)}");
        }
    }
}
