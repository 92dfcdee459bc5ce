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
                Console.Error.WriteLine("usage: run|suite --url URL [--client engine|httpclient] [--count N] [--concurrency C] [--runs R] [--warmup W] [--module PATH] [--parallel-count N] [--out FILE]");
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
            string? module = opts.GetValueOrDefault("module");
            int parallelCount = Math.Min(count, int.Parse(opts.GetValueOrDefault("parallel-count") ?? "2000", CultureInfo.InvariantCulture));
            var clients = new List<string>(Clients.Names);
            if (module != null && HasPwsh())
            {
                clients.AddRange(new[] { "cmdlet", "cmdlet-callback", "foreach-parallel" });
            }
            else
            {
                Console.Error.WriteLine("bench: no pwsh or no --module: the PowerShell clients are not measured");
            }

            var results = new Dictionary<string, List<RunResult>>();
            for (int i = 0; i < runs; i++)
            {
                foreach (string client in clients)
                {
                    RunResult r = client == "foreach-parallel"
                        ? RunPwsh(client, url, parallelCount, concurrency, Math.Min(warmup, 100), module!)
                        : client.StartsWith("cmdlet", StringComparison.Ordinal)
                            ? RunPwsh(client, url, count, concurrency, warmup, module!)
                            : RunChild(client, url, count, concurrency, warmup);
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

        private static bool HasPwsh()
        {
            try
            {
                using Process p = Process.Start(new ProcessStartInfo("pwsh", "-NoProfile -Command exit") { UseShellExecute = false, RedirectStandardOutput = true })!;
                return p.WaitForExit(60_000) && p.ExitCode == 0;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false;
            }
        }

        private static RunResult RunChild(string client, Uri url, int count, int concurrency, int warmup)
        {
            string self = typeof(Program).Assembly.Location;
            return RunProcess("dotnet", new[] { self, "run", "--client", client, "--url", url.ToString(), "--count", Num(count), "--concurrency", Num(concurrency), "--warmup", Num(warmup) }, client);
        }

        private static RunResult RunPwsh(string client, Uri url, int count, int concurrency, int warmup, string module)
        {
            string script = Path.Combine(AppContext.BaseDirectory, "../../../../clients/PowerShellClient.ps1");
            return RunProcess("pwsh", new[] { "-NoProfile", "-NonInteractive", "-File", Path.GetFullPath(script), "-Client", client, "-Url", url.ToString(), "-Count", Num(count), "-Concurrency", Num(concurrency), "-Warmup", Num(warmup), "-ModulePath", module }, client);
        }

        private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

        private static RunResult RunProcess(string file, string[] args, string client)
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string a in args)
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
            sb.AppendLine("| client | requests | req/s | CPU s | peak RSS MB | errors | vs HttpClient | vs engine |");
            sb.AppendLine("|---|---|---|---|---|---|---|---|");
            double http = Median(results["httpclient"].Select(r => r.RequestsPerSecond));
            double engine = Median(results["engine"].Select(r => r.RequestsPerSecond));
            foreach (var (client, list) in results)
            {
                var rps = list.Select(r => r.RequestsPerSecond).ToList();
                sb.AppendLine(FormattableString.Invariant(
                    $"| {Describe(client)} | {list[0].Count} | {Median(rps):F0} [{rps.Min():F0}–{rps.Max():F0}] | {Median(list.Select(r => r.CpuSeconds)):F2} | {Median(list.Select(r => r.PeakRssMb)):F0} | {list.Sum(r => r.Errors)} | {Median(rps) / http:F2}× | {Median(rps) / engine:F2}× |"));
            }

            sb.AppendLine();
            if (count < 5000)
            {
                sb.AppendLine("Smoke run: too few requests for a speed verdict, goals not evaluated.");
                return sb.ToString();
            }

            sb.AppendLine("Goals (ratios of medians in this run):");
            sb.AppendLine();
            Goal(sb, "engine ≥ 1.0× HttpClient (issue 2)", engine / http, 1.0);
            if (results.TryGetValue("cmdlet", out var cmdlet) && results.TryGetValue("cmdlet-callback", out var callback) && results.TryGetValue("foreach-parallel", out var parallel))
            {
                double c = Median(cmdlet.Select(r => r.RequestsPerSecond));
                double cb = Median(callback.Select(r => r.RequestsPerSecond));
                double p = Median(parallel.Select(r => r.RequestsPerSecond));
                Goal(sb, "Invoke-AsyncFetch ≥ 0.5× engine (issue 3)", c / engine, 0.5);
                Goal(sb, "Invoke-AsyncFetch -OnComplete ≥ 0.25× engine (issue 3)", cb / engine, 0.25);
                Goal(sb, "Invoke-AsyncFetch ≥ 20× ForEach-Object -Parallel + Invoke-WebRequest (issue 3)", c / p, 20);
                Goal(sb, "Invoke-AsyncFetch -OnComplete ≥ 20× ForEach-Object -Parallel + Invoke-WebRequest (issue 3)", cb / p, 20);
            }

            return sb.ToString();
        }

        private static void Goal(StringBuilder sb, string what, double ratio, double goal) =>
            sb.AppendLine(FormattableString.Invariant($"- {what}: {ratio:F2}× — {(ratio >= goal ? "met" : "**missed**")}"));

        private static string Describe(string client) => client switch
        {
            "engine" => "engine (C# driver)",
            "httpclient" => ".NET HttpClient",
            "cmdlet" => "Invoke-AsyncFetch",
            "cmdlet-callback" => "Invoke-AsyncFetch -OnComplete { $_.StatusCode }",
            "foreach-parallel" => "ForEach-Object -Parallel { Invoke-WebRequest }",
            _ => client,
        };

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
