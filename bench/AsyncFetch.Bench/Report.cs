using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace AsyncFetch.Bench
{
    /// <summary>The markdown report: a table per workload (medians, min–max, ratios) and the goal checks.</summary>
    internal static class Report
    {
        public static string Build(IReadOnlyList<Workload> workloads, Dictionary<string, Dictionary<string, List<RunResult>>> all, Tools tools, bool quick)
        {
            var sb = new StringBuilder();
            foreach (Workload w in workloads)
            {
                if (all.TryGetValue(w.Id, out var results))
                {
                    Table(sb, w, results, tools);
                }
            }

            sb.AppendLine("## Goals");
            sb.AppendLine();
            if (quick)
            {
                sb.AppendLine("Smoke run (`--quick`): too few requests for a speed verdict, goals not evaluated.");
            }
            else
            {
                Goals(sb, new Lookup(all));
            }

            sb.AppendLine();
            List<string> failed = all.SelectMany(p => p.Value.Values.SelectMany(l => l).Where(r => r.Skipped == null && (r.Errors > 0 || r.Failure != null)).Select(r => $"{p.Key} {r.Client}")).Distinct().ToList();
            sb.AppendLine(failed.Count == 0
                ? "Every client ran without errors."
                : "**Runs with errors or failures:** " + string.Join(", ", failed) + ".");
            return sb.ToString();
        }

        private static void Table(StringBuilder sb, Workload w, Dictionary<string, List<RunResult>> results, Tools tools)
        {
            bool mb = w.Discard || w.ToDisk;
            bool vsWrk = w.Id is "W1" or "W6";
            bool vsEpoll = w.Id is "W8a" or "W8b";
            bool perRequest = w.Id == "W7";
            bool serverColumns = w.Id is "W4" or "W8b";
            sb.AppendLine("## " + w.Title);
            sb.AppendLine();
            string server = w.Server switch
            {
                Server.Nginx => "nginx",
                Server.NginxTls => "nginx over https",
                Server.Origins => "nginx over https on 500 ports",
                _ => "the Kestrel test server",
            };
            sb.AppendLine(Inv($"`GET {w.Path}` on {server}, {w.Count:N0} requests at concurrency {w.Concurrency:N0}, {w.Runs} run(s) per client (clients alternating), each a fresh process. Median [min–max]. Load average at the start: {Suite.LoadAtStart.GetValueOrDefault(w.Id, "?")}."));
            if (w.Clients.Contains("foreach-parallel") && w.ForeachCount < w.Count && w.NotApplicable("foreach-parallel") == null)
            {
                sb.AppendLine(Inv($"ForEach-Object -Parallel + Invoke-WebRequest sends a {w.ForeachCount:N0}-URL subset (it is far slower); its req/s is per request, so its ratios compare like with like."));
            }

            if (w.Discard)
            {
                sb.AppendLine("Bodies are read and discarded: engine `FetchRequest.DiscardBody`, `Invoke-AsyncFetch -NoContent`, HttpClient reading the stream into a pooled buffer, curl `-o /dev/null`, hey (discards), aiohttp reading 64 KiB chunks and dropping them, Invoke-WebRequest `-OutFile /dev/null`. The \"to disk\" variant below writes them to files.");
            }

            if (w.ToDisk)
            {
                sb.AppendLine(Inv($"Bodies are written to files, one per request, in a fresh directory under {Path.GetTempPath()} (the same file system for every client), deleted after each run; after each run the suite counts the files and checks each one's size ({w.BodyBytes:N0} bytes), a mismatch counting as errors. Engine `FetchRequest.OutDirectory` (names from the URL with \" (1)\", \" (2)\" … suffixes; a temporary file renamed when complete), `Invoke-AsyncFetch -OutDirectory`, HttpClient copying the response stream into a FileStream, curl `-o DIR/i-name` per URL, aiohttp writing its 64 KiB chunks to a file (plain blocking writes), Invoke-WebRequest `-OutFile DIR/i-name`. No client calls fsync: the writes land in the page cache. hey and wrk cannot write bodies to disk (n/a)."));
            }

            string note = w.Id switch
            {
                "W1" => "wrk runs for a fixed duration rather than a request count (its request count is what it managed); it is the upper bound the engine is compared with.",
                "W3m" => "The memory check for W3 discarded: peak RSS here against W3's shows whether memory grows with body size.",
                "W3dm" => "The memory check for W3 to disk: peak RSS here against W3d's shows whether memory grows with body size.",
                "W4" => "The client's engine gets MaxConcurrency = PerHostLimit = 10,000 (the cmdlet -ThrottleLimit 10000); the test server runs in its own process. **server max concurrent**: the most requests the server had in progress at once (10,000 = all held open together); **arrivals spread**: first to last request arriving at the server, i.e. how long getting 10,000 connections up took (client and server share the 2 cores). Teardown (closing 10,000 connections) is outside the in-process clients' time and inside process s.",
                "W6" => "TLS (1.2 or 1.3, as negotiated; OpenSSL on both sides) with a certificate from a CA that bench/run makes with openssl in its temporary folder; every client validates it (SSL_CERT_FILE for .NET, pwsh, hey and aiohttp; curl --cacert) except wrk, which never validates: it is the upper bound (it runs for a fixed duration; its request count is what it managed). Keep-alive as in W1.",
                "W7" => "500 origins (ports of one nginx on 127.0.0.1, one TLS certificate), request i to origin i mod 500; each answer closes its connection (keepalive_timeout 0), so every request is a new TCP connection and a TLS handshake: req/s is handshakes/s. Certificates validated as in W6. nginx keeps a TLS session cache, so a client that resumes sessions per origin does abbreviated handshakes. **CPU ms/req**: the client's CPU per request.",
                "W8a" or "W8b" => "The same engine in both rows: epoll (Linux's default) and the portable Socket.Select selector that Windows uses, forced with ASYNCFETCH_SELECTOR=select. **vs epoll**: the portable row's req/s over the epoll row's.",
                "W5" => "Input is a lazy enumerable and the output streams into Measure-Object: nothing is collected. W1's Invoke-AsyncFetch keeps 20,000 results with their bodies in a variable, so W5 may well be faster per request. The baseline is a pwsh process with the module imported and the same warm-up, nothing measured.",
                _ => "",
            };
            if (note.Length > 0)
            {
                sb.AppendLine(note);
            }

            sb.AppendLine();
            var head = new List<string> { "client", "requests", "time s", "req/s" };
            if (mb)
            {
                head.Add("MB/s");
            }

            head.Add("CPU s");
            if (perRequest)
            {
                head.Add("CPU ms/req");
            }

            head.AddRange(new[] { "peak RSS MB", "errors", "process s", "vs HttpClient" });
            if (vsWrk)
            {
                head.Add("vs wrk");
            }

            bool vsBaseline = results.ContainsKey("engine-baseline");
            if (vsBaseline)
            {
                head.Add($"vs engine at {Workload.BaselineName}");
            }

            if (vsEpoll)
            {
                head.Add("vs epoll");
            }

            if (serverColumns)
            {
                head.Add("server max concurrent");
                head.Add("arrivals spread s");
            }

            if (w.Id == "W5")
            {
                head.Add("RSS above baseline MB");
            }

            sb.AppendLine("| " + string.Join(" | ", head) + " |");
            sb.AppendLine("|" + string.Concat(head.Select(_ => "---|")));
            double http = MedianRps(results, "httpclient");
            double wrk = MedianRps(results, "wrk");
            double earlier = MedianRps(results, "engine-baseline");
            double epoll = MedianRps(results, "engine");
            double baseline = results.TryGetValue("baseline", out var b) ? Median(b.Where(r => r.Measured).Select(r => r.PeakRssMb)) : double.NaN;
            foreach (string client in w.Clients)
            {
                string? na = w.NotApplicable(client) ?? tools.Missing(client);
                if (na != null && (Workload.OnRequestOnly(client) || tools.NotSelected(client)))
                {
                    continue;
                }

                if (na != null || !results.TryGetValue(client, out var list))
                {
                    sb.AppendLine($"| {Workload.Describe(client)} | n/a: {na ?? "not run"} |" + string.Concat(Enumerable.Repeat(" |", head.Count - 2)));
                    continue;
                }

                if (list.All(r => r.Skipped != null))
                {
                    sb.AppendLine($"| {Workload.Describe(client)} | n/a: skipped: {list[0].Skipped} |" + string.Concat(Enumerable.Repeat(" |", head.Count - 2)));
                    continue;
                }

                var ok = list.Where(r => r.Measured).ToList();
                int failedRuns = list.Count(r => r.Failure != null);
                string failures = failedRuns == 0 ? "" : $" **{failedRuns} run(s) failed: {list.First(r => r.Failure != null).Failure}**";
                string? disk = list.Select(r => r.DiskProblem).FirstOrDefault(p => p != null);
                if (disk != null)
                {
                    failures += $" **files: {disk}**";
                }

                if (ok.Count == 0)
                {
                    sb.AppendLine($"| {Workload.Describe(client)} | **failed**:{failures} |" + string.Concat(Enumerable.Repeat(" |", head.Count - 2)));
                    continue;
                }

                var rps = ok.Select(r => r.RequestsPerSecond).ToList();
                var secs = ok.Select(r => r.Seconds).ToList();
                var row = new List<string>
                {
                    Workload.Describe(client),
                    Inv($"{Median(ok.Select(r => (double)r.Count)):N0}"),
                    client == "baseline" ? "–" : Inv($"{Median(secs):F3} [{secs.Min():F3}–{secs.Max():F3}]"),
                    client == "baseline" ? "–" : Inv($"{Median(rps):F0} [{rps.Min():F0}–{rps.Max():F0}]"),
                };
                if (mb)
                {
                    double mbs = Median(ok.Select(r => r.Bytes / r.Seconds / (1024 * 1024)));
                    row.Add(mbs > 0 ? Inv($"{mbs:F0}") : "–");
                }

                row.Add(Inv($"{Median(ok.Select(r => r.CpuSeconds)):F2}"));
                if (perRequest)
                {
                    row.Add(Inv($"{Median(ok.Select(r => r.CpuSeconds * 1000 / r.Count)):F2}"));
                }

                row.Add(Inv($"{Median(ok.Select(r => r.PeakRssMb)):F0} [{ok.Min(r => r.PeakRssMb):F0}–{ok.Max(r => r.PeakRssMb):F0}]"));
                row.Add(Inv($"{list.Sum(r => r.Errors)}") + failures);
                row.Add(Inv($"{Median(list.Where(r => r.Skipped == null).Select(r => r.ProcessSeconds)):F2}"));
                row.Add(Ratio(Median(rps), http, client));
                if (vsWrk)
                {
                    row.Add(Ratio(Median(rps), wrk, client));
                }

                if (vsBaseline)
                {
                    row.Add(Ratio(Median(rps), earlier, client));
                }

                if (vsEpoll)
                {
                    row.Add(client == "engine" ? "1.00×" : Ratio(Median(rps), epoll, client));
                }

                if (serverColumns)
                {
                    var max = ok.Where(r => r.ServerMaxConcurrent != null).Select(r => (double)r.ServerMaxConcurrent!.Value).ToList();
                    row.Add(max.Count > 0 ? Inv($"{Median(max):N0}") : "–");
                    var spread = ok.Where(r => r.ArrivalSpread != null).Select(r => r.ArrivalSpread!.Value).ToList();
                    row.Add(spread.Count > 0 ? Inv($"{Median(spread):F2} [{spread.Min():F2}–{spread.Max():F2}]") : "–");
                }

                if (w.Id == "W5")
                {
                    row.Add(client == "baseline" ? "0" : Inv($"{Median(ok.Select(r => r.PeakRssMb)) - baseline:F0}"));
                }

                sb.AppendLine("| " + string.Join(" | ", row) + " |");
            }

            sb.AppendLine();
        }

        private static string Ratio(double x, double of, string client) =>
            client == "baseline" || double.IsNaN(x) || double.IsNaN(of) || of == 0 ? "–" : Inv($"{x / of:F2}×");

        /// <summary>Medians of the successful runs of each client in each workload.</summary>
        private sealed class Lookup
        {
            private readonly Dictionary<string, Dictionary<string, List<RunResult>>> _all;

            public Lookup(Dictionary<string, Dictionary<string, List<RunResult>>> all) => _all = all;

            public double Rps(string w, string client) => Get(w, client, r => r.RequestsPerSecond);

            public double Seconds(string w, string client) => Get(w, client, r => r.Seconds);

            public double Rss(string w, string client) => Get(w, client, r => r.PeakRssMb);

            public double CpuPerRequest(string w, string client) => Get(w, client, r => r.CpuSeconds / r.Count);

            public bool HasErrors(string w, string client) =>
                _all.TryGetValue(w, out var results) && results.TryGetValue(client, out var list) && list.Any(r => r.Skipped == null && (r.Errors > 0 || r.Failure != null));

            public double ServerMax(string w, string client) => Get(w, client, r => r.ServerMaxConcurrent ?? double.NaN);

            private double Get(string w, string client, Func<RunResult, double> f) =>
                _all.TryGetValue(w, out var results) && results.TryGetValue(client, out var list) && list.Any(r => r.Measured)
                    ? Median(list.Where(r => r.Measured).Select(f))
                    : double.NaN;
        }

        private static void Goals(StringBuilder sb, Lookup m)
        {
            _current = m;
            sb.AppendLine("Ratios of medians measured in this run. \"not evaluated\" means a client the goal needs was not measured.");
            sb.AppendLine();
            sb.AppendLine("| workload | goal | measured | verdict |");
            sb.AppendLine("|---|---|---|---|");
            double e1 = m.Rps("W1", "engine");
            Goal(sb, "W1", "engine ≥ 1.25× HttpClient's req/s", e1 / m.Rps("W1", "httpclient"), v => Inv($"{v:F2}×"), v => v >= 1.25, "W1:engine", "W1:httpclient");
            Goal(sb, "W1", "engine ≥ 0.6× wrk's req/s", e1 / m.Rps("W1", "wrk"), v => Inv($"{v:F2}×"), v => v >= 0.6, "W1:engine", "W1:wrk");
            Goal(sb, "W1", "engine peak RSS ≤ HttpClient's", m.Rss("W1", "engine") - m.Rss("W1", "httpclient"), v => Inv($"{m.Rss("W1", "engine"):F0} vs {m.Rss("W1", "httpclient"):F0} MB"), v => v <= 0, "W1:engine", "W1:httpclient");
            double fp = m.Rps("W1", "foreach-parallel");
            // The cmdlet's goals: the cmdlet against the engine alone, in the same run.
            Goal(sb, "W1", "Invoke-AsyncFetch ≥ 0.5× the engine's req/s", m.Rps("W1", "cmdlet") / e1, v => Inv($"{v:F2}×"), v => v >= 0.5, "W1:cmdlet", "W1:engine");
            Goal(sb, "W1", "Invoke-AsyncFetch -OnComplete ≥ 0.25× the engine's req/s", m.Rps("W1", "cmdlet-callback") / e1, v => Inv($"{v:F2}×"), v => v >= 0.25, "W1:cmdlet-callback", "W1:engine");
            Goal(sb, "W1", "Invoke-AsyncFetch ≥ 40× ForEach-Object -Parallel + Invoke-WebRequest", m.Rps("W1", "cmdlet") / fp, v => Inv($"{v:F1}×"), v => v >= 40, "W1:cmdlet", "W1:foreach-parallel");
            Goal(sb, "W1", "Invoke-AsyncFetch -OnComplete ≥ 20× ForEach-Object -Parallel + Invoke-WebRequest", m.Rps("W1", "cmdlet-callback") / fp, v => Inv($"{v:F1}×"), v => v >= 20, "W1:cmdlet-callback", "W1:foreach-parallel");
            double e2 = m.Seconds("W2", "engine");
            Goal(sb, "W2", "engine wall time ≤ 1.15× the ideal 0.5 s (0.575 s)", e2, v => Inv($"{v:F3} s ({v / 0.5:F2}× ideal)"), v => v <= 0.575, "W2:engine");
            Goal(sb, "W2", "engine wall time no worse than hey's", e2 / m.Seconds("W2", "hey"), v => Inv($"{e2:F3} vs {m.Seconds("W2", "hey"):F3} s"), v => v <= 1, "W2:engine", "W2:hey");
            // W3 in both variants, each judged against curl and its own 100 KiB run measured in the same suite run.
            foreach ((string id, string small, string variant) in new[] { ("W3d", "W3dm", "to disk"), ("W3", "W3m", "discarded") })
            {
                Goal(sb, "W3 " + variant, $"engine throughput ≥ curl's (bodies {variant})", m.Rps(id, "engine") / m.Rps(id, "curl"),
                    v => Inv($"{m.Rps(id, "engine"):F0} vs {m.Rps(id, "curl"):F0} req/s ({v:F2}×)"), v => v >= 1, id + ":engine", id + ":curl");
                foreach (string c in new[] { "engine", "cmdlet" })
                {
                    double big = m.Rss(id, c), little = m.Rss(small, c);
                    Goal(sb, "W3 " + variant, $"{Workload.Describe(c)} memory flat: peak RSS with 10 MiB bodies within max(10 MB, 10%) of that with 100 KiB", big - little,
                        v => Inv($"{big:F0} vs {little:F0} MB"), v => v <= Math.Max(10, little * 0.1), id + ":" + c, small + ":" + c);
                }
            }

            double e4 = m.Seconds("W4", "engine");
            Goal(sb, "W4", "engine: 10,000 concurrent 2 s requests complete in < 1.5× the ideal 2 s (3 s)", e4,
                v => Inv($"{v:F3} s ({v / 2:F2}× ideal; server saw {m.ServerMax("W4", "engine"):N0} at once)"), v => v < 3, "W4:engine");
            Goal(sb, "W4", "engine peak RSS < 300 MB", m.Rss("W4", "engine"), v => Inv($"{v:F0} MB"), v => v < 300, "W4:engine");
            double e6 = m.Rps("W6", "engine");
            Goal(sb, "W6", "engine ≥ 1.5× HttpClient's req/s over https", e6 / m.Rps("W6", "httpclient"), v => Inv($"{v:F2}×"), v => v >= 1.5, "W6:engine", "W6:httpclient");
            Goal(sb, "W6", "engine ≥ 0.8× wrk's req/s over https", e6 / m.Rps("W6", "wrk"), v => Inv($"{v:F2}×"), v => v >= 0.8, "W6:engine", "W6:wrk");
            Goal(sb, "W6", "Invoke-AsyncFetch ≥ 0.5× the engine's req/s over https", m.Rps("W6", "cmdlet") / e6, v => Inv($"{v:F2}×"), v => v >= 0.5, "W6:cmdlet", "W6:engine");
            Goal(sb, "W7", "engine ≥ 1.2× HttpClient's handshakes/s (certificates validated)", m.Rps("W7", "engine") / m.Rps("W7", "httpclient"), v => Inv($"{v:F2}×"), v => v >= 1.2, "W7:engine", "W7:httpclient");
            Goal(sb, "W7", "engine CPU per request ≤ HttpClient's", m.CpuPerRequest("W7", "engine") / m.CpuPerRequest("W7", "httpclient"),
                v => Inv($"{m.CpuPerRequest("W7", "engine") * 1000:F2} vs {m.CpuPerRequest("W7", "httpclient") * 1000:F2} ms ({v:F2}×)"), v => v <= 1, "W7:engine", "W7:httpclient");
            foreach ((string id, string shape) in new[] { ("W8a", "W1"), ("W8b", "W4") })
            {
                Goal(sb, id, $"portable selector ≥ 0.7× epoll's req/s ({shape}'s shape)", m.Rps(id, "engine-select") / m.Rps(id, "engine"), v => Inv($"{v:F2}×"), v => v >= 0.7, id + ":engine-select", id + ":engine");
            }

            Goal(sb, "W8b", "portable selector: 10,000 concurrent 2 s requests within 2× the ideal (4 s)", m.Seconds("W8b", "engine-select"),
                v => Inv($"{v:F3} s ({v / 2:F2}× ideal)"), v => v <= 4, "W8b:engine-select");
            double above = m.Rss("W5", "cmdlet-stream") - m.Rss("W5", "baseline");
            Goal(sb, "W5", "Invoke-AsyncFetch peak RSS < 150 MB above pwsh's baseline", above,
                v => Inv($"{v:F0} MB above ({m.Rss("W5", "cmdlet-stream"):F0} vs {m.Rss("W5", "baseline"):F0} MB)"), v => v < 150, "W5:cmdlet-stream", "W5:baseline");
            Goal(sb, "W5", "Invoke-AsyncFetch req/s within 20% of W1's Invoke-AsyncFetch (≥ 0.8×)", m.Rps("W5", "cmdlet-stream") / m.Rps("W1", "cmdlet"),
                v => Inv($"{m.Rps("W5", "cmdlet-stream"):F0} vs {m.Rps("W1", "cmdlet"):F0} req/s ({v:F2}×)"), v => v >= 0.8, "W5:cmdlet-stream", "W1:cmdlet");
        }

        private static Lookup? _current;

        /// <summary>One goal row; <paramref name="uses"/> ("W1:engine", ...) are the figures it rests on, flagged when their runs had errors.</summary>
        private static void Goal(StringBuilder sb, string workload, string what, double value, Func<double, string> show, Func<double, bool> met, params string[] uses)
        {
            string verdict = double.IsNaN(value) ? "not evaluated" : met(value) ? "met" : "**missed**";
            var bad = uses.Where(u => _current!.HasErrors(u.Split(':')[0], u.Split(':')[1])).ToList();
            if (bad.Count > 0)
            {
                verdict += " (**" + string.Join(", ", bad) + " had errors**)";
            }

            sb.AppendLine($"| {workload} | {what} | {(double.IsNaN(value) ? "–" : show(value))} | {verdict} |");
        }

        private static double MedianRps(Dictionary<string, List<RunResult>> results, string client) =>
            results.TryGetValue(client, out var list) && list.Any(r => r.Measured)
                ? Median(list.Where(r => r.Measured).Select(r => r.RequestsPerSecond))
                : double.NaN;

        public static double Median(IEnumerable<double> values)
        {
            double[] v = values.OrderBy(x => x).ToArray();
            return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
        }

        private static string Inv(FormattableString s) => FormattableString.Invariant(s);
    }
}
