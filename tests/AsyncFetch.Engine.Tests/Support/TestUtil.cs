using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Tests.Support
{
    internal static class TestUtil
    {
        public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

        public static IEnumerable<object[]> SelectorKinds()
        {
            if (Selectors.IsEpollAvailable)
            {
                yield return new object[] { SelectorKind.Epoll };
            }

            yield return new object[] { SelectorKind.Select };
        }

        public static FetchEngine NewEngine(SelectorKind kind = SelectorKind.Default, Action<FetchEngineOptions>? configure = null)
        {
            var options = new FetchEngineOptions { Selector = kind };
            configure?.Invoke(options);
            return new FetchEngine(options);
        }

        /// <summary>Submits all requests at once and waits (bounded) for every result.</summary>
        public static async Task<FetchResult[]> FetchAll(FetchEngine engine, IEnumerable<FetchRequest> requests)
        {
            Task<FetchResult>[] tasks = requests.Select(r => engine.FetchAsync(r)).ToArray();
            await Task.WhenAll(tasks).WaitAsync(Patience);
            return tasks.Select(t => t.Result).ToArray();
        }

        public static async Task<FetchResult> Fetch(FetchEngine engine, FetchRequest request) =>
            await engine.FetchAsync(request).WaitAsync(Patience);

        public static byte[] Pattern(int n) => Enumerable.Range(0, n).Select(i => (byte)(i % 251)).ToArray();

        /// <summary>A loopback port nothing listens on (bound once, then released).</summary>
        public static int ClosedPort()
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return ((IPEndPoint)s.LocalEndPoint!).Port;
        }

        /// <summary>Open file descriptors of this process (Linux), or -1 where /proc is missing.</summary>
        public static int OpenFileDescriptors() =>
            Directory.Exists("/proc/self/fd") ? Directory.GetFileSystemEntries("/proc/self/fd").Length : -1;

        /// <summary>The targets of this process's open descriptors (socket:[n], pipe:[n], anon_inode:[...], or a file path).</summary>
        public static List<string> FileDescriptorTargets()
        {
            var targets = new List<string>();
            if (!Directory.Exists("/proc/self/fd"))
            {
                return targets;
            }

            foreach (string fd in Directory.GetFileSystemEntries("/proc/self/fd"))
            {
                try
                {
                    targets.Add(new FileInfo(fd).LinkTarget ?? "?");
                }
                catch (IOException)
                {
                    // closed while we looked
                }
            }

            return targets;
        }

        /// <summary>What the open descriptors are, by kind ("socket", "anon_inode:[eventpoll]", ...), for failure messages.</summary>
        public static string DescribeFileDescriptors()
        {
            if (!Directory.Exists("/proc/self/fd"))
            {
                return "(no /proc)";
            }

            var kinds = new Dictionary<string, int>();
            foreach (string fd in Directory.GetFileSystemEntries("/proc/self/fd"))
            {
                string target;
                try
                {
                    target = new FileInfo(fd).LinkTarget ?? "?";
                }
                catch (IOException)
                {
                    continue;
                }

                string kind = target.StartsWith("socket:", StringComparison.Ordinal) ? "socket" : target.StartsWith("/", StringComparison.Ordinal) ? "file" : target;
                kinds[kind] = kinds.TryGetValue(kind, out int n) ? n + 1 : 1;
            }

            return string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key}={k.Value}"));
        }

        public static async Task<bool> Eventually(Func<bool> condition, TimeSpan timeout)
        {
            DateTime end = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < end)
            {
                if (condition())
                {
                    return true;
                }

                await Task.Delay(50);
            }

            return condition();
        }
    }
}
