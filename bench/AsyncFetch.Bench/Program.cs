using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;

namespace AsyncFetch.Bench
{
    /// <summary>
    /// bench driver.
    ///   run   --client NAME --url URL [--count N] [--concurrency C] [--warmup W]   one run in this process; prints a RESULT line
    ///   suite --url URL [--count N] [--concurrency C] [--runs R] [--out FILE]      every client R times, each run a child
    ///                                                                             process, alternating clients; prints and
    ///                                                                             writes a markdown table of medians
    /// </summary>
    public static class Program
    {
        public static async Task<int> Main(string[] args)
        {
            if (args.Length == 0)
            {
                Console.Error.WriteLine("usage: run|suite --url URL [--client engine|httpclient] [--count N] [--concurrency C] [--runs R] [--warmup W] [--out FILE]");
                return 2;
            }

            var opts = ParseOptions(args.Skip(1).ToArray());
            var url = new Uri(opts.GetValueOrDefault("url") ?? throw new ArgumentException("--url is required"));
            int count = int.Parse(opts.GetValueOrDefault("count") ?? "20000", CultureInfo.InvariantCulture);
            int concurrency = int.Parse(opts.GetValueOrDefault("concurrency") ?? "64", CultureInfo.InvariantCulture);
            int warmup = int.Parse(opts.GetValueOrDefault("warmup") ?? "1000", CultureInfo.InvariantCulture);

            if (args[0] == "run")
            {
                RunResult r = await Clients.RunAsync(opts["client"], url, count, concurrency, warmup);
                Console.WriteLine(r.ToLine());
                return r.Errors == 0 ? 0 : 1;
            }

            int runs = int.Parse(opts.GetValueOrDefault("runs") ?? "5", CultureInfo.InvariantCulture);
            var results = new Dictionary<string, List<RunResult>>();
            for (int i = 0; i < runs; i++)
            {
                foreach (string client in Clients.Names)
                {
                    RunResult r = RunChild(client, url, count, concurrency, warmup);
                    Console.Error.WriteLine(FormattableString.Invariant($"run {i + 1}/{runs} {client,-10} {r.RequestsPerSecond,10:F0} req/s  cpu {r.CpuSeconds:F2} s  rss {r.PeakRssMb:F0} MB  errors {r.Errors}"));
                    (results.TryGetValue(client, out var list) ? list : results[client] = new List<RunResult>()).Add(r);
                }
            }

            string table = Report(results, url, count, concurrency, runs);
            Console.WriteLine(table);
            if (opts.TryGetValue("out", out string? path))
            {
                File.WriteAllText(path, table);
            }

            return results.Values.SelectMany(l => l).Any(r => r.Errors > 0) ? 1 : 0;
        }

        private static RunResult RunChild(string client, Uri url, int count, int concurrency, int warmup)
        {
            string self = typeof(Program).Assembly.Location;
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string a in new[] { self, "run", "--client", client, "--url", url.ToString(), "--count", count.ToString(CultureInfo.InvariantCulture), "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture), "--warmup", warmup.ToString(CultureInfo.InvariantCulture) })
            {
                psi.ArgumentList.Add(a);
            }

            using Process p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(600_000))
            {
                p.Kill(true);
                throw new TimeoutException(client + " run did not finish in 10 minutes");
            }

            return output.Split('\n').Select(l => RunResult.Parse(l.Trim())).FirstOrDefault(r => r != null)
                ?? throw new InvalidOperationException($"{client} run printed no result (exit {p.ExitCode}): {output}");
        }

        private static string Report(Dictionary<string, List<RunResult>> results, Uri url, int count, int concurrency, int runs)
        {
            var sb = new StringBuilder();
            sb.AppendLine(FormattableString.Invariant($"{count} GETs of {url.AbsolutePath} at concurrency {concurrency}, {runs} runs per client (alternating), median [min–max]:"));
            sb.AppendLine();
            sb.AppendLine("| client | req/s | CPU s | peak RSS MB | errors | vs HttpClient |");
            sb.AppendLine("|---|---|---|---|---|---|");
            double baseline = Median(results["httpclient"].Select(r => r.RequestsPerSecond));
            foreach (var (client, list) in results)
            {
                var rps = list.Select(r => r.RequestsPerSecond).ToList();
                sb.AppendLine(FormattableString.Invariant(
                    $"| {client} | {Median(rps):F0} [{rps.Min():F0}–{rps.Max():F0}] | {Median(list.Select(r => r.CpuSeconds)):F2} | {Median(list.Select(r => r.PeakRssMb)):F0} | {list.Sum(r => r.Errors)} | {Median(rps) / baseline:F2}× |"));
            }

            return sb.ToString();
        }

        private static double Median(IEnumerable<double> values)
        {
            double[] v = values.OrderBy(x => x).ToArray();
            return v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
        }

        private static Dictionary<string, string> ParseOptions(string[] args)
        {
            var o = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i + 1 < args.Length; i += 2)
            {
                o[args[i].TrimStart('-')] = args[i + 1];
            }

            return o;
        }
    }
}
