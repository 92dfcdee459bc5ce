using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace AsyncFetch.Bench
{
    /// <summary>
    /// bench driver (bench/run calls it; see bench/README.md).
    ///   run   --client engine|httpclient --url URL [--count N] [--concurrency C] [--warmup W] [--warmup-url URL] [--discard true] [--out-dir DIR] [--url-file FILE]
    ///         one measured run in this process; prints a RESULT line (--out-dir: every body written to a file in DIR;
    ///         --url-file: request i goes to line i of FILE, cycling, the warm-up too; ASYNCFETCH_SELECTOR=select forces
    ///         the engine's portable selector)
    ///   suite --nginx URL --kestrel URL [--nginx-tls URL --origins HOST:FIRST-LAST --ca FILE] [--module PATH] [--python PATH] [--quick true] [--workloads W1,W2,...] [--out FILE]
    ///         [--baseline-driver DLL --baseline-name REV] [--clients engine,httpclient,...]
    ///         every workload against every client that can do it, each run a child process; prints (and writes)
    ///         the markdown report; exit 0 when every run of every client completed without errors
    /// </summary>
    public static class Program
    {
        public static async Task<int> Main(string[] args)
        {
            if (args.Length == 0 || args[0] is not ("run" or "suite"))
            {
                Console.Error.WriteLine("usage: run --client engine|httpclient --url URL [--count N] [--concurrency C] [--warmup W] [--warmup-url URL] [--discard true] [--out-dir DIR]");
                Console.Error.WriteLine("       suite --nginx URL --kestrel URL [--module PATH] [--python PATH] [--quick true] [--workloads W1,W2,...] [--out FILE] [--wrk-threads N] [--baseline-driver DLL --baseline-name REV] [--clients a,b]");
                return 2;
            }

            var opts = ParseOptions(args.Skip(1).ToArray());
            if (args[0] == "run")
            {
                var url = new Uri(opts.GetValueOrDefault("url") ?? throw new ArgumentException("--url is required"));
                RunResult r = await Clients.RunAsync(
                    opts["client"],
                    url,
                    Int(opts, "count", 20000),
                    Int(opts, "concurrency", 64),
                    Int(opts, "warmup", 1000),
                    opts.TryGetValue("warmup-url", out string? w) ? new Uri(w) : null,
                    opts.GetValueOrDefault("discard") == "true",
                    opts.GetValueOrDefault("out-dir"),
                    opts.TryGetValue("url-file", out string? urlFile) ? File.ReadAllLines(urlFile).Where(l => l.Length > 0).Select(l => new Uri(l)).ToArray() : null);
                Console.WriteLine(r.ToLine());
                return r.Errors == 0 ? 0 : 1;
            }

            bool quick = opts.GetValueOrDefault("quick") == "true";
            IEnumerable<Workload> workloads = quick ? Workload.Quick() : Workload.Full();
            if (opts.TryGetValue("workloads", out string? only))
            {
                // An id selects that workload; a bare family id (W3) also selects its variants (W3m, W3d, W3dm),
                // which its goals need.
                var ids = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                workloads = workloads.Where(x => ids.Any(id => x.Id.Equals(id, StringComparison.OrdinalIgnoreCase)
                    || (System.Text.RegularExpressions.Regex.IsMatch(id, @"^[Ww]\d+$") && System.Text.RegularExpressions.Regex.IsMatch(x.Id, "^" + id + "[a-z]+$", System.Text.RegularExpressions.RegexOptions.IgnoreCase))));
            }

            var list = workloads.ToList();
            string? module = opts.GetValueOrDefault("module");
            var tools = new Tools
            {
                Module = module,
                Python = opts.GetValueOrDefault("python"),
                Pwsh = module != null && Tools.Which("pwsh") != null,
                WrkThreads = Int(opts, "wrk-threads", 1),
                BaselineDriver = opts.GetValueOrDefault("baseline-driver"),
                NginxTls = opts.TryGetValue("nginx-tls", out string? tls) ? new Uri(tls) : null,
                Origins = opts.TryGetValue("origins", out string? origins) ? ParseOrigins(origins) : null,
                CaFile = opts.GetValueOrDefault("ca"),
                Selected = opts.TryGetValue("clients", out string? selected) ? new HashSet<string>(selected.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) : null,
            };
            Workload.BaselineName = opts.GetValueOrDefault("baseline-name") ?? Workload.BaselineName;
            foreach (string c in Workload.AllClients.Where(c => tools.Missing(c) != null && !Workload.OnRequestOnly(c) && !tools.NotSelected(c)).Select(c => tools.Missing(c)!).Distinct())
            {
                Console.Error.WriteLine($"bench: {c}: its clients are reported n/a");
            }

            var results = Suite.Run(list, new Uri(opts["nginx"]), new Uri(opts["kestrel"]), tools);
            string report = Report.Build(list, results, tools, quick);
            Console.WriteLine(report);
            if (opts.TryGetValue("out", out string? path))
            {
                File.WriteAllText(path, report);
            }

            bool clean = results.Values.SelectMany(d => d.Values).SelectMany(l => l).All(r => r.Skipped != null || (r.Errors == 0 && r.Failure == null));
            return clean ? 0 : 1;
        }

        /// <summary>"127.0.0.1:20000-20499": W7's origins.</summary>
        private static (string, int, int) ParseOrigins(string spec)
        {
            int colon = spec.LastIndexOf(':');
            string[] range = spec[(colon + 1)..].Split('-');
            return (spec[..colon], int.Parse(range[0], CultureInfo.InvariantCulture), int.Parse(range[1], CultureInfo.InvariantCulture));
        }

        private static int Int(Dictionary<string, string> o, string name, int fallback) =>
            o.TryGetValue(name, out string? v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

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
