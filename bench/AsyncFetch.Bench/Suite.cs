using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace AsyncFetch.Bench
{
    /// <summary>
    /// Runs every workload against every client that can do it: each run a fresh child process, clients
    /// alternating within a round so drift on a shared machine hits them all alike.
    /// </summary>
    internal static class Suite
    {
        /// <summary>The machine's load average (1/5/15 min) when each workload started: other work shows here.</summary>
        public static readonly Dictionary<string, string> LoadAtStart = new Dictionary<string, string>();

        public static Dictionary<string, Dictionary<string, List<RunResult>>> Run(IReadOnlyList<Workload> workloads, Uri nginx, Uri kestrel, Tools tools)
        {
            Uri BaseOf(Server s) => s switch
            {
                Server.Kestrel => kestrel,
                Server.NginxTls => tools.NginxTls ?? throw new ArgumentException("--nginx-tls is required for the https workloads"),
                Server.Origins => new Uri($"https://{tools.Origins?.Host ?? throw new ArgumentException("--origins is required for W7")}:{tools.Origins.Value.First}/"),
                _ => nginx,
            };

            string scratch = Directory.CreateTempSubdirectory("asyncfetch-bench-driver.").FullName;
            var all = new Dictionary<string, Dictionary<string, List<RunResult>>>();
            try
            {
                foreach (Workload w in workloads)
                {
                    Uri baseUri = BaseOf(w.Server);
                    var url = new Uri(baseUri, w.Path);
                    var warmupUrl = new Uri(baseUri, w.WarmupPath ?? w.Path);
                    string? urlFile = null;
                    if (w.Server == Server.Origins)
                    {
                        // Request i goes to origin i mod 500: consecutive requests never share an origin.
                        (string host, int first, int last) = tools.Origins!.Value;
                        urlFile = Path.Combine(scratch, "origins.txt");
                        File.WriteAllLines(urlFile, Enumerable.Range(0, w.Count).Select(i => $"https://{host}:{first + (i % (last - first + 1))}{w.Path}"));
                    }

                    var clients = w.Clients.Where(c => w.NotApplicable(c) == null && tools.Missing(c) == null).ToList();
                    var results = all[w.Id] = new Dictionary<string, List<RunResult>>();
                    LoadAtStart[w.Id] = File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
                    Console.Error.WriteLine($"== {w.Title}: {url} ({w.Runs} run(s) of {string.Join(", ", clients)})");
                    var skipped = new HashSet<string>();
                    for (int i = 0; i < w.Runs; i++)
                    {
                        foreach (string client in clients.Where(c => !skipped.Contains(c)))
                        {
                            if (w.Server == Server.Kestrel)
                            {
                                WaitForQuiet(kestrel, w.Concurrency);
                            }

                            RunResult r = ExternalClients.Run(client, w, url, warmupUrl, tools, scratch, urlFile);
                            if (w.Id is "W4" or "W8b")
                            {
                                r = r with { ServerMaxConcurrent = ServerStat(kestrel, "max"), ArrivalSpread = ArrivalSpread(kestrel, w.Path) };
                            }

                            Console.Error.WriteLine(Log(i, w.Runs, r));
                            if (r.Skipped != null)
                            {
                                skipped.Add(client); // the client lacks something this workload needs: once is enough
                            }

                            (results.TryGetValue(client, out var list) ? list : results[client] = new List<RunResult>()).Add(r);
                        }
                    }
                }
            }
            finally
            {
                Directory.Delete(scratch, true);
            }

            return all;
        }

        private static string Log(int i, int runs, RunResult r) => r.Skipped != null
            ? $"  run {i + 1}/{runs} {r.Client,-16} skipped: {r.Skipped}"
            : r.Failure != null
            ? $"  run {i + 1}/{runs} {r.Client,-16} FAILED: {r.Failure}"
            : FormattableString.Invariant($"  run {i + 1}/{runs} {r.Client,-16} {r.Seconds,8:F3} s {r.RequestsPerSecond,9:F0} req/s  cpu {r.CpuSeconds,5:F2} s  rss {r.PeakRssMb,4:F0} MB  errors {r.Errors}  process {r.ProcessSeconds:F2} s")
              + (r.ServerMaxConcurrent is int m ? $"  server max {m}" : "")
              + (r.ArrivalSpread is double a ? FormattableString.Invariant($"  arrivals spread {a:F3} s") : "");

        /// <summary>
        /// Before a run against the test server: no requests left in progress there (a client's aborted ones end
        /// within a second), its concurrency statistics reset, and enough ephemeral ports free for the next client
        /// (each W4 run leaves 10,000 in TIME_WAIT for a minute). Every wait is bounded.
        /// </summary>
        private static void WaitForQuiet(Uri kestrel, int needPorts)
        {
            for (int i = 0; i < 100 && (ServerStat(kestrel, "current") ?? 0) > 0; i++)
            {
                Thread.Sleep(100);
            }

            const int available = 60999 - 32768 + 1;
            for (int i = 0; i < 90; i++)
            {
                int busy = SocketsInUse();
                if (busy + needPorts + 2000 < available)
                {
                    break;
                }

                if (i == 0)
                {
                    Console.Error.WriteLine($"  waiting for ephemeral ports ({busy} sockets in use or TIME_WAIT, {needPorts} needed)");
                }

                Thread.Sleep(1000);
            }

            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
                http.PostAsync(new Uri(kestrel, "/stats/reset"), null).GetAwaiter().GetResult().Dispose();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Console.Error.WriteLine("  the test server's /stats/reset failed: " + e.Message);
            }
        }

        /// <summary>A counter of the test server's /stats ("current", "max", "total"); null when it cannot be read.</summary>
        private static int? ServerStat(Uri kestrel, string name)
        {
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
                using JsonDocument doc = JsonDocument.Parse(http.GetStringAsync(new Uri(kestrel, "/stats")).GetAwaiter().GetResult());
                return doc.RootElement.GetProperty(name).GetInt32();
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or TaskCanceledException)
            {
                return null;
            }
        }

        /// <summary>
        /// Seconds between the first and the last arrival of a request for <paramref name="path"/> at the test server
        /// since its last reset: how long the client (and the server's accept loop) took to get every request in.
        /// </summary>
        private static double? ArrivalSpread(Uri kestrel, string path)
        {
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
                using JsonDocument doc = JsonDocument.Parse(http.GetStringAsync(new Uri(kestrel, "/arrivals")).GetAwaiter().GetResult());
                var ms = doc.RootElement.EnumerateArray().Where(e => e.GetProperty("path").GetString() == path).Select(e => e.GetProperty("ms").GetDouble()).ToList();
                return ms.Count == 0 ? null : (ms.Max() - ms.Min()) / 1000;
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or TaskCanceledException or InvalidOperationException)
            {
                return null;
            }
        }

        /// <summary>
        /// TCP sockets on this machine that hold a port (IPv4 and IPv6 tables). TIME_WAIT ones count only when the
        /// kernel may not reuse them for new loopback connections (net.ipv4.tcp_tw_reuse = 0).
        /// </summary>
        private static int SocketsInUse()
        {
            bool twReuse = File.Exists("/proc/sys/net/ipv4/tcp_tw_reuse") && File.ReadAllText("/proc/sys/net/ipv4/tcp_tw_reuse").Trim() != "0";
            int n = 0;
            foreach (string table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
            {
                if (File.Exists(table))
                {
                    n += File.ReadLines(table).Skip(1).Count(l => !twReuse || l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 3 } f && f[3] != "06");
                }
            }

            return n;
        }
    }
}
