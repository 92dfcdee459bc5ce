using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;

namespace AsyncFetch.HtmlBench
{
    /// <summary>
    /// Measures HTML link extraction with AngleSharp and HtmlAgilityPack (µs per page and bytes allocated per page,
    /// medians of several runs) and checks both against markup where HTML5 says exactly which links exist.
    ///
    ///   dotnet run -c Release --project bench/AsyncFetch.HtmlBench [-- --runs 7] [--real DIR]... [--max-real 150]
    ///
    /// Without --real it looks for real pages under /usr/share/doc and the Rust documentation of ~/.rustup.
    /// </summary>
    internal static class Program
    {
        private delegate List<Link> Extractor(byte[] body, Uri page);

        private static int Main(string[] args)
        {
            int runs = 7;
            int maxReal = 150;
            var realRoots = new List<string>();
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--runs": runs = int.Parse(args[++i]); break;
                    case "--real": realRoots.Add(args[++i]); break;
                    case "--max-real": maxReal = int.Parse(args[++i]); break;
                    default: Console.Error.WriteLine("unknown argument " + args[i]); return 2;
                }
            }

            if (realRoots.Count == 0)
            {
                realRoots.Add("/usr/share/doc");
                realRoots.Add(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + "/.rustup/toolchains");
            }

            var extractors = new (string Name, Extractor Run)[]
            {
                ("AngleSharp 1.10.4", Extractors.AngleSharp),
                ("HtmlAgilityPack 1.13.0", Extractors.HtmlAgilityPack),
            };

            int failures = Correctness.Run(extractors.Select(e => (e.Name, (Func<byte[], Uri, List<Link>>)(e.Run.Invoke))).ToArray());

            List<(string Path, byte[] Bytes)> real = Pages.Real(realRoots, maxReal);
            var sets = new List<(string Name, List<byte[]> Pages)>
            {
                ("generated ~4 KB, 5-20 links", Pages.Generate(200, 4 * 1024, 5, 20, 1)),
                ("generated ~60 KB, 100-200 links", Pages.Generate(40, 60 * 1024, 100, 200, 2)),
            };
            if (real.Count > 0) sets.Add(($"real: {real.Count} files", real.Select(x => x.Bytes).ToList()));

            var page = new Uri("http://127.0.0.1:8080/shop/list/index.html");
            Console.WriteLine();
            Console.WriteLine($"| pages | mean size | library | links/page | µs/page, median of {runs} [min–max] | KB allocated/page (median) |");
            Console.WriteLine("|---|---|---|---|---|---|");
            foreach ((string setName, List<byte[]> pages) in sets)
            {
                double meanKb = pages.Average(p => p.Length) / 1024.0;
                int reps = Math.Max(1, (int)(4_000_000 / Math.Max(1, pages.Sum(p => (long)p.Length))));
                var links = new long[extractors.Length];
                var micros = extractors.Select(_ => new List<double>()).ToArray();
                var allocs = extractors.Select(_ => new List<double>()).ToArray();
                for (int e = 0; e < extractors.Length; e++)
                {
                    links[e] = pages.Sum(p => (long)extractors[e].Run(p, page).Count); // also the first warm-up pass
                    for (int w = 0; w < reps; w++) foreach (byte[] p in pages) extractors[e].Run(p, page);
                }

                // the libraries alternate run by run, so a change in the machine's load falls on both
                for (int r = 0; r < runs; r++)
                {
                    for (int e = 0; e < extractors.Length; e++)
                    {
                        Extractor run = extractors[e].Run;
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                        long before = GC.GetAllocatedBytesForCurrentThread();
                        var sw = Stopwatch.StartNew();
                        for (int k = 0; k < reps; k++) foreach (byte[] p in pages) run(p, page);
                        sw.Stop();
                        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                        double n = (double)reps * pages.Count;
                        micros[e].Add(sw.Elapsed.TotalMilliseconds * 1000.0 / n);
                        allocs[e].Add(allocated / n / 1024.0);
                    }
                }

                for (int e = 0; e < extractors.Length; e++)
                {
                    Console.WriteLine($"| {setName} | {meanKb:F1} KB | {extractors[e].Name} | {links[e] / (double)pages.Count:F1} | {Median(micros[e]):F1} [{micros[e].Min():F1}–{micros[e].Max():F1}] | {Median(allocs[e]):F1} |");
                }
            }

            return failures == 0 ? 0 : 1;
        }

        private static double Median(List<double> xs)
        {
            var s = xs.OrderBy(x => x).ToList();
            return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
        }
    }
}
