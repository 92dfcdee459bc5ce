using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace AsyncFetch.Bench
{
    /// <summary>What the suite runs its clients with; a missing tool makes its client n/a.</summary>
    internal sealed class Tools
    {
        public string? Module { get; init; }

        public string? Python { get; init; }

        public string? Curl { get; init; } = Which("curl");

        public string? Hey { get; init; } = Which("hey");

        public string? Wrk { get; init; } = Which("wrk");

        public string? Time { get; init; } = File.Exists("/usr/bin/time") ? "/usr/bin/time" : null;

        public bool Pwsh { get; init; }

        public int WrkThreads { get; init; } = 1;

        /// <summary>The bench driver built from an earlier revision (bench/run --baseline REV): its engine is the "engine-baseline" client.</summary>
        public string? BaselineDriver { get; init; }

        /// <summary>nginx's https port (W6), its certificate issued by <see cref="CaFile"/>.</summary>
        public Uri? NginxTls { get; init; }

        /// <summary>W7's origins: nginx's https ports <c>First</c>..<c>Last</c> on <c>Host</c>.</summary>
        public (string Host, int First, int Last)? Origins { get; init; }

        /// <summary>The suite's CA certificate (PEM): curl gets it as --cacert; the others read SSL_CERT_FILE, which bench/run sets to it.</summary>
        public string? CaFile { get; init; }

        /// <summary>The clients to run (bench/run --clients a,b); null for all.</summary>
        public HashSet<string>? Selected { get; init; }

        /// <summary>The client was left out by --clients.</summary>
        public bool NotSelected(string client) => Selected != null && !Selected.Contains(client);

        /// <summary>Why the tool a client needs is missing (null when it is there).</summary>
        public string? Missing(string client) => NotSelected(client) ? "not selected (--clients)" : client switch
        {
            "cmdlet" or "cmdlet-callback" or "cmdlet-stream" or "baseline" => Pwsh && Module != null ? null : "pwsh or the built module not found",
            "foreach-parallel" => Pwsh ? null : "pwsh not found",
            "curl" => Curl == null ? "curl not installed" : null,
            "hey" => Hey == null ? "hey not installed" : null,
            "wrk" => Wrk == null ? "wrk not installed" : null,
            "aiohttp" => Python == null ? "python3-aiohttp not installed" : null,
            "engine-baseline" => BaselineDriver == null ? "no --baseline revision given" : null,
            _ => null,
        };

        public static string? Which(string name) =>
            (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
                .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Runs one client once as a child process and turns its output into a <see cref="RunResult"/>. The driver
    /// times the whole process; <c>/usr/bin/time</c> gives the child's CPU seconds and peak RSS (rusage). Clients
    /// that time themselves (the C# driver, the PowerShell and aiohttp scripts, hey, wrk) report the seconds of
    /// their requests alone; curl's figure is its whole process (it starts in milliseconds).
    /// </summary>
    internal static class ExternalClients
    {
        private static readonly CultureInfo C = CultureInfo.InvariantCulture;

        /// <summary>
        /// One run of <paramref name="client"/>; with <paramref name="urlFile"/> (W7) it requests the URLs listed there
        /// (one a line, as many as the workload's count) instead of <paramref name="url"/> over and over.
        /// </summary>
        public static RunResult Run(string client, Workload w, Uri url, Uri warmupUrl, Tools tools, string scratch, string? urlFile = null)
        {
            int count = client == "foreach-parallel" ? w.ForeachCount : w.Count;
            string? outDir = w.ToDisk ? Path.Combine(scratch, "out") : null; // fresh for every run, deleted after it
            try
            {
                if (outDir != null)
                {
                    DiskCheck.Fresh(outDir);
                }

                RunResult r = RunIn(client, w, url, warmupUrl, tools, scratch, count, outDir, urlFile);
                if (outDir != null && r.Failure == null && r.Skipped == null
                    && DiskCheck.Verify(outDir, count, w.BodyBytes, -1, out int bad) is string problem)
                {
                    Console.Error.WriteLine($"  {client}: the downloads do not match: {problem}");
                    r = r with { Errors = Math.Max(r.Errors, bad), DiskProblem = problem };
                }

                return r;
            }
            finally
            {
                if (outDir != null)
                {
                    DiskCheck.Delete(outDir); // 50 x 10 MiB per run: the disk use stays bounded
                }
            }
        }

        private static RunResult RunIn(string client, Workload w, Uri url, Uri warmupUrl, Tools tools, string scratch, int count, string? outDir, string? urlFile)
        {
            string self = typeof(Program).Assembly.Location;
            var env = new Dictionary<string, string>();
            string clientsDir = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../clients"));
            var args = new List<string>();
            switch (client)
            {
                case "engine":
                case "httpclient":
                case "engine-process":
                case "engine-baseline":
                case "engine-select":
                    args.AddRange(new[] { "dotnet", client == "engine-baseline" ? tools.BaselineDriver! : self, "run", "--client", client is "engine-process" or "engine-baseline" or "engine-select" ? "engine" : client, "--url", url.ToString(),
                        "--count", N(count), "--concurrency", N(w.Concurrency), "--warmup", N(client == "engine-process" ? 0 : w.Warmup),
                        "--warmup-url", warmupUrl.ToString(), "--discard", w.Discard ? "true" : "false" });
                    if (urlFile != null)
                    {
                        args.AddRange(new[] { "--url-file", urlFile });
                    }

                    if (client == "engine-select")
                    {
                        env["ASYNCFETCH_SELECTOR"] = "select"; // the portable selector, as on Windows
                    }

                    if (outDir != null)
                    {
                        args.AddRange(new[] { "--out-dir", outDir });
                    }

                    break;
                case "cmdlet":
                case "cmdlet-callback":
                case "foreach-parallel":
                case "cmdlet-stream":
                case "baseline":
                    args.AddRange(new[] { "pwsh", "-NoProfile", "-NonInteractive", "-File", Path.Combine(clientsDir, "PowerShellClient.ps1"),
                        "-Client", client, "-Url", url.ToString(), "-Count", N(count), "-Concurrency", N(w.Concurrency),
                        "-Warmup", N(client == "foreach-parallel" ? Math.Min(w.Warmup, 100) : w.Warmup), "-WarmupUrl", warmupUrl.ToString() });
                    if (w.Discard)
                    {
                        args.Add("-NoContent");
                    }

                    if (outDir != null)
                    {
                        args.AddRange(new[] { "-OutDirectory", outDir });
                    }

                    if (tools.Module != null)
                    {
                        args.AddRange(new[] { "-ModulePath", tools.Module });
                    }

                    if (urlFile != null)
                    {
                        args.AddRange(new[] { "-UrlFile", urlFile });
                    }

                    break;
                case "aiohttp":
                    args.AddRange(new[] { tools.Python!, Path.Combine(clientsDir, "aiohttp_client.py"), "--url", url.ToString(),
                        "--count", N(count), "--concurrency", N(w.Concurrency) });
                    if (w.Discard)
                    {
                        args.Add("--discard");
                    }

                    if (outDir != null)
                    {
                        args.AddRange(new[] { "--out-dir", outDir });
                    }

                    if (urlFile != null)
                    {
                        args.AddRange(new[] { "--url-file", urlFile });
                    }

                    break;
                case "curl":
                    string config = Path.Combine(scratch, "curl-urls.txt");
                    var sb = new StringBuilder();
                    string name = Path.GetFileName(url.AbsolutePath);
                    string[]? urls = urlFile == null ? null : File.ReadAllLines(urlFile);
                    for (int i = 0; i < count; i++)
                    {
                        string output = outDir == null ? "/dev/null" : Path.Combine(outDir, N(i) + "-" + name);
                        sb.Append("url = \"").Append(urls?[i % urls.Length] ?? url.ToString()).Append("\"\noutput = \"").Append(output).Append("\"\n");
                    }

                    File.WriteAllText(config, sb.ToString());
                    args.AddRange(new[] { tools.Curl!, "-Z", "--parallel-max", N(w.Concurrency), "--parallel-immediate", "--no-progress-meter",
                        "-w", "%{http_code} %{size_download}\\n", "-K", config });
                    if (url.Scheme == "https" && tools.CaFile != null)
                    {
                        args.AddRange(new[] { "--cacert", tools.CaFile }); // curl reads its CA bundle from its build's path, not SSL_CERT_FILE
                    }
                    break;
                case "hey":
                    args.AddRange(new[] { tools.Hey!, "-n", N(count), "-c", N(w.Concurrency), "-t", "60", url.ToString() });
                    break;
                case "wrk":
                    args.AddRange(new[] { tools.Wrk!, "-t", N(tools.WrkThreads), "-c", N(w.Concurrency), "-d", N((int)Math.Ceiling(w.WrkSeconds)) + "s", url.ToString() });
                    break;
                default:
                    throw new ArgumentException("unknown client " + client);
            }

            (string stdout, string stderr, int exit, double wall, Rusage? usage, string? failure) = Launch(args, env, tools.Time, scratch, client == "cmdlet-stream" ? 900 : 300);
            string? skipped = failure == null
                ? stdout.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("skipped: ", StringComparison.Ordinal))
                : null;
            if (skipped != null)
            {
                return new RunResult(client, count, w.Concurrency, double.NaN, double.NaN, double.NaN, 0, 0) { ProcessSeconds = wall, Skipped = skipped["skipped: ".Length..] };
            }

            RunResult? r = failure == null ? Parse(client, count, w.Concurrency, stdout, wall, usage) : null;
            if (r == null)
            {
                string tail = string.Join(" | ", Regex.Replace(stderr + "\n" + stdout, @"\x1b\[[0-9;?]*[A-Za-z]", "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(4));
                return new RunResult(client, count, w.Concurrency, double.NaN, double.NaN, double.NaN, count, 0)
                {
                    ProcessSeconds = wall,
                    Failure = failure ?? $"no result (exit {exit}): {tail}",
                };
            }

            return r with { ProcessSeconds = wall, PeakRssMb = usage?.MaxRssMb ?? r.PeakRssMb };
        }

        private static RunResult? Parse(string client, int count, int concurrency, string stdout, double wall, Rusage? usage)
        {
            double cpu = usage?.CpuSeconds ?? double.NaN;
            switch (client)
            {
                case "curl":
                {
                    int ok = 0;
                    long bytes = 0;
                    foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    {
                        string[] p = line.Trim().Split(' ');
                        if (p.Length == 2 && p[0] == "200")
                        {
                            ok++;
                            bytes += long.Parse(p[1], C);
                        }
                    }

                    return new RunResult(client, count, concurrency, wall, cpu, double.NaN, count - ok, bytes);
                }

                case "hey":
                {
                    Match total = Regex.Match(stdout, @"Total:\s+([\d.]+) secs");
                    if (!total.Success)
                    {
                        return null;
                    }

                    // hey sends (n / c) * c requests; its report lists responses per status and failures per message.
                    int ok = 0, other = 0, failed = 0;
                    foreach (Match m in Regex.Matches(stdout, @"^\s*\[(\d+)\]\s+(\d+) responses", RegexOptions.Multiline))
                    {
                        int n = int.Parse(m.Groups[2].Value, C);
                        if (m.Groups[1].Value == "200")
                        {
                            ok += n;
                        }
                        else
                        {
                            other += n;
                        }
                    }

                    int errorsAt = stdout.IndexOf("Error distribution:", StringComparison.Ordinal);
                    if (errorsAt >= 0)
                    {
                        foreach (Match m in Regex.Matches(stdout[errorsAt..], @"^\s*\[(\d+)\]\s", RegexOptions.Multiline))
                        {
                            failed += int.Parse(m.Groups[1].Value, C);
                        }
                    }

                    Match size = Regex.Match(stdout, @"Total data:\s+(\d+) bytes");
                    return new RunResult(client, ok + other + failed, concurrency, double.Parse(total.Groups[1].Value, C), cpu, double.NaN, other + failed,
                        size.Success ? long.Parse(size.Groups[1].Value, C) : 0);
                }

                case "wrk":
                {
                    Match m = Regex.Match(stdout, @"(\d+) requests in ([\d.]+)(us|ms|s|m),\s+([\d.]+)(B|KB|MB|GB) read");
                    if (!m.Success)
                    {
                        return null;
                    }

                    double seconds = double.Parse(m.Groups[2].Value, C) * m.Groups[3].Value switch { "us" => 1e-6, "ms" => 1e-3, "m" => 60, _ => 1 };
                    double amount = double.Parse(m.Groups[4].Value, C) * m.Groups[5].Value switch { "KB" => 1024, "MB" => 1 << 20, "GB" => 1 << 30, _ => 1 };
                    int errors = 0;
                    Match sock = Regex.Match(stdout, @"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)");
                    if (sock.Success)
                    {
                        errors += Enumerable.Range(1, 4).Sum(i => int.Parse(sock.Groups[i].Value, C));
                    }

                    Match non2xx = Regex.Match(stdout, @"Non-2xx or 3xx responses: (\d+)");
                    if (non2xx.Success)
                    {
                        errors += int.Parse(non2xx.Groups[1].Value, C);
                    }

                    return new RunResult(client, int.Parse(m.Groups[1].Value, C), concurrency, seconds, cpu, double.NaN, errors, (long)amount);
                }

                default:
                {
                    RunResult? r = stdout.Split('\n').Select(l => RunResult.Parse(l.Trim())).FirstOrDefault(x => x != null);
                    if (r == null)
                    {
                        return null;
                    }

                    // The whole-process engine row: no warm-up, the driver's clock and the process's CPU.
                    return client == "engine-process" ? r with { Client = client, Seconds = wall, CpuSeconds = cpu } : r with { Client = client };
                }
            }
        }

        internal sealed record Rusage(double CpuSeconds, double MaxRssMb);

        /// <summary>Starts the command (under /usr/bin/time when present), waits at most <paramref name="timeoutSeconds"/>.</summary>
        private static (string Stdout, string Stderr, int Exit, double Wall, Rusage? Usage, string? Failure) Launch(List<string> command, Dictionary<string, string> env, string? time, string scratch, int timeoutSeconds)
        {
            string usageFile = Path.Combine(scratch, "rusage.txt");
            File.Delete(usageFile);
            var psi = new ProcessStartInfo(time ?? command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var (name, value) in env)
            {
                psi.Environment[name] = value;
            }

            if (time != null)
            {
                foreach (string a in new[] { "-f", "RUSAGE %e %U %S %M", "-o", usageFile })
                {
                    psi.ArgumentList.Add(a);
                }

                psi.ArgumentList.Add(command[0]);
            }

            foreach (string a in command.Skip(1))
            {
                psi.ArgumentList.Add(a);
            }

            var sw = Stopwatch.StartNew();
            using Process p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeoutSeconds * 1000))
            {
                p.Kill(true);
                p.WaitForExit(10_000);
                return ("", "", -1, sw.Elapsed.TotalSeconds, null, $"killed after {timeoutSeconds} s");
            }

            p.WaitForExit();
            double wall = sw.Elapsed.TotalSeconds;
            string err = stderr.Result;
            if (err.Length > 0)
            {
                Console.Error.Write(string.Join("\n", err.Split('\n').Take(10).Select(l => "    | " + l)) + "\n");
            }

            Rusage? usage = null;
            if (File.Exists(usageFile))
            {
                string? line = File.ReadAllLines(usageFile).LastOrDefault(l => l.StartsWith("RUSAGE ", StringComparison.Ordinal));
                string[]? f = line?.Split(' ');
                if (f is { Length: 5 })
                {
                    usage = new Rusage(double.Parse(f[2], C) + double.Parse(f[3], C), double.Parse(f[4], C) / 1024.0);
                }
            }

            return (stdout.Result, err, p.ExitCode, wall, usage, null);
        }

        private static string N(int n) => n.ToString(C);
    }
}
