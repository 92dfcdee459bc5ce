using System;
using System.Buffers;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch;

namespace AsyncFetch.Bench
{
    /// <summary>One measured run of one client, in this process.</summary>
    internal sealed record RunResult(string Client, int Count, int Concurrency, double Seconds, double CpuSeconds, double PeakRssMb, int Errors, long Bytes)
    {
        public double RequestsPerSecond => Count / Seconds;

        /// <summary>Wall time of the whole child process (start-up and warm-up included), measured by the driver.</summary>
        public double ProcessSeconds { get; init; } = double.NaN;

        /// <summary>W4: the most requests the test server had in progress at once during the run.</summary>
        public int? ServerMaxConcurrent { get; init; }

        /// <summary>W4: seconds from the first to the last request arriving at the test server.</summary>
        public double? ArrivalSpread { get; init; }

        /// <summary>Why the run produced no figures (crash, time-out), when it did not.</summary>
        public string? Failure { get; init; }

        /// <summary>Why the client skipped the workload (a feature its build lacks); not a failure, no figures.</summary>
        public string? Skipped { get; init; }

        /// <summary>True when the run produced figures (neither failed nor skipped).</summary>
        public bool Measured => Failure == null && Skipped == null;

        /// <summary>To-disk workloads: what was wrong with the files the run left (null when they were all there).</summary>
        public string? DiskProblem { get; init; }

        public string ToLine() => FormattableString.Invariant($"RESULT {Client} {Count} {Concurrency} {Seconds:R} {CpuSeconds:R} {PeakRssMb:R} {Errors} {Bytes}");

        public static RunResult? Parse(string line)
        {
            string[] p = line.Split(' ');
            if (p.Length != 9 || p[0] != "RESULT")
            {
                return null;
            }

            var c = System.Globalization.CultureInfo.InvariantCulture;
            return new RunResult(p[1], int.Parse(p[2], c), int.Parse(p[3], c), double.Parse(p[4], c), double.Parse(p[5], c), double.Parse(p[6], c), int.Parse(p[7], c), long.Parse(p[8], c));
        }
    }

    internal static class Clients
    {
        public static readonly string[] Names = { "engine", "httpclient" };

        /// <summary>
        /// After the warm-up: the warm-up's garbage collected and the runtime's background tier-up given a moment, so
        /// the timed run starts from a clean heap with optimised code (the PowerShell client does the same).
        /// </summary>
        private static void Settle()
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Thread.Sleep(300);
        }

        /// <summary>
        /// One measured run: <paramref name="warmup"/> requests to <paramref name="warmupUrl"/> on a client of their own
        /// (JIT stays out of the figure; their connections are closed), then <paramref name="count"/> timed requests.
        /// With <paramref name="discard"/> bodies are read and dropped (engine: DiscardBody; HttpClient: the stream
        /// read into a pooled buffer) instead of kept in memory. With <paramref name="outDir"/> every body is written
        /// to a file of its own there (engine: OutDirectory, the names derived from the URL with " (1)", " (2)" ...
        /// suffixes; HttpClient: the response stream copied to a FileStream named "i-name"); the warm-up writes to a
        /// subdirectory deleted before the timed run, and the files are counted and summed after it (a mismatch
        /// counts as errors).
        /// </summary>
        public static async Task<RunResult> RunAsync(string client, Uri url, int count, int concurrency, int warmup, Uri? warmupUrl = null, bool discard = false, string? outDir = null, Uri[]? urls = null)
        {
            outDir = outDir == null ? null : Path.GetFullPath(outDir);
            Func<Uri, int, int, string?, Task<(int Errors, long Bytes, IDisposable Client)>> run = client switch
            {
                "engine" => (u, n, c, d) => RunEngine(urls ?? new[] { u }, n, c, discard, d),
                "httpclient" => (u, n, c, d) => RunHttpClient(urls ?? new[] { u }, n, c, discard, d),
                _ => throw new ArgumentException("unknown client " + client),
            };

            if (outDir != null)
            {
                Directory.CreateDirectory(outDir);
            }

            if (warmup > 0)
            {
                string? warmDir = outDir == null ? null : Path.Combine(outDir, "warmup");
                (await run(warmupUrl ?? url, warmup, Math.Min(concurrency, warmup), warmDir)).Client.Dispose(); // JIT stays out of the figure
                if (warmDir != null)
                {
                    DiskCheck.Delete(warmDir);
                }

                Settle();
            }

            var process = Process.GetCurrentProcess();
            TimeSpan cpu0 = process.TotalProcessorTime;
            long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
            int gen0 = GC.CollectionCount(0);
            var sw = Stopwatch.StartNew();
            (int errors, long bytes, IDisposable used) = await run(url, count, concurrency, outDir);
            sw.Stop();
            if (Environment.GetEnvironmentVariable("BENCH_DIAG") == "1")
            {
                // Managed allocation of the whole process during the timed run (both clients run in-process): bytes per request and gen0 collections.
                long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated0;
                Console.Error.WriteLine($"diag: {client} allocated {allocated / Math.Max(1, count):N0} bytes per request, {GC.CollectionCount(0) - gen0} gen0 collections");
            }
            process.Refresh();
            double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;

            // Closing the client's connections (10,000 in W4) is teardown, not part of the requests' time; the
            // whole-process rows include it. BENCH_DIAG=1 shows how long it took.
            var teardown = Stopwatch.StartNew();
            used.Dispose();
            if (Environment.GetEnvironmentVariable("BENCH_DIAG") == "1")
            {
                Console.Error.WriteLine($"diag: {client} teardown (Dispose) {teardown.Elapsed.TotalMilliseconds:F0} ms");
            }

            if (outDir != null && DiskCheck.Verify(outDir, count, 0, bytes, out int bad) is string problem)
            {
                Console.Error.WriteLine($"{client}: the downloads do not match: {problem}");
                errors = Math.Max(errors, bad);
            }

            return new RunResult(client, count, concurrency, sw.Elapsed.TotalSeconds, cpu, process.PeakWorkingSet64 / (1024.0 * 1024.0), errors, bytes);
        }

        /// <summary>
        /// The engine with a submit window of twice the concurrency: each completion (on the loop thread)
        /// submits the next request, the way the cmdlet's batch keeps memory bounded.
        /// </summary>
        private static Task<(int, long, IDisposable)> RunEngine(Uri[] urls, int count, int concurrency, bool discard, string? outDir)
        {
            var engine = new FetchEngine(new FetchEngineOptions { MaxConcurrency = concurrency, PerHostLimit = concurrency });
            var done = new TaskCompletionSource<(int, long, IDisposable)>(TaskCreationOptions.RunContinuationsAsynchronously);
            int submitted = 0, completed = 0, errors = 0;
            long bytes = 0;
            Action<FetchResult>? onDone = null;
            void SubmitNext()
            {
                int i = Interlocked.Increment(ref submitted);
                if (i <= count)
                {
                    engine.Submit(new FetchRequest(urls[(i - 1) % urls.Length]) { DiscardBody = discard, OutDirectory = outDir }, onDone!);
                }
            }

            var diag = Environment.GetEnvironmentVariable("BENCH_DIAG") == "1" ? new System.Collections.Generic.List<(double, double, double, double, double)>(count) : null;
            var clock = Stopwatch.StartNew();
            onDone = r =>
            {
                if (diag != null)
                {
                    lock (diag)
                    {
                        diag.Add((r.Timings.QueuedMs, r.Timings.ConnectMs, r.Timings.FirstByteMs, r.Timings.TotalMs, clock.Elapsed.TotalMilliseconds));
                    }
                }

                if ((r.StatusCode != 200 || (outDir != null && r.OutFile == null)) && Interlocked.Increment(ref errors) <= 3)
                {
                    Console.Error.WriteLine($"engine: {r.RequestedUri}: {r.StatusCode} {r.ErrorKind} {r.ErrorMessage}");
                }

                Interlocked.Add(ref bytes, r.ContentLength);
                if (Interlocked.Increment(ref completed) == count)
                {
                    done.TrySetResult((errors, bytes, engine));
                    if (diag != null)
                    {
                        // BENCH_DIAG=1: where the time went, as percentiles (p0/p50/p90/p99/p100) in ms, to stderr.
                        static string P(System.Collections.Generic.IEnumerable<double> v)
                        {
                            double[] a = v.OrderBy(x => x).ToArray();
                            return string.Join("/", new[] { 0, 0.5, 0.9, 0.99, 1 }.Select(q => a[(int)Math.Round(q * (a.Length - 1))].ToString("F0", System.Globalization.CultureInfo.InvariantCulture)));
                        }

                        lock (diag)
                        {
                            Console.Error.WriteLine($"diag: engine queued {P(diag.Select(d => d.Item1))}  connect {P(diag.Select(d => d.Item2))}  first byte {P(diag.Select(d => d.Item3))}  total {P(diag.Select(d => d.Item4))}  completed at {P(diag.Select(d => d.Item5))} (ms)");
                        }
                    }
                }
                else
                {
                    SubmitNext();
                }
            };

            for (int i = 0; i < Math.Min(count, concurrency * 2); i++)
            {
                SubmitNext();
            }

            return done.Task;
        }

        private static async Task<(int, long, IDisposable)> RunHttpClient(Uri[] urls, int count, int concurrency, bool discard, string? outDir)
        {
            string name = Path.GetFileName(urls[0].AbsolutePath);
            var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, UseCookies = false, UseProxy = false };
            var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(100) }; // disposing it disposes the handler
            int errors = 0;
            long bytes = 0;
            if (outDir != null)
            {
                Directory.CreateDirectory(outDir);
            }

            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
            {
                Uri url = urls[i % urls.Length];
                try
                {
                    long n;
                    int status;
                    if (outDir != null)
                    {
                        // What a C# program does to download: the response stream copied into a FileStream.
                        using HttpResponseMessage response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
                        status = (int)response.StatusCode;
                        using Stream stream = await response.Content.ReadAsStreamAsync(ct);
                        await using var file = new FileStream(Path.Combine(outDir, i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + name),
                            FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
                        await stream.CopyToAsync(file, 64 * 1024, ct);
                        n = file.Length;
                    }
                    else if (discard)
                    {
                        using HttpResponseMessage response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
                        status = (int)response.StatusCode;
                        using Stream stream = await response.Content.ReadAsStreamAsync(ct);
                        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
                        n = 0;
                        int read;
                        while ((read = await stream.ReadAsync(buffer, ct)) > 0)
                        {
                            n += read;
                        }

                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                    else
                    {
                        using HttpResponseMessage response = await http.GetAsync(url, ct);
                        status = (int)response.StatusCode;
                        n = (await response.Content.ReadAsByteArrayAsync(ct)).Length;
                    }

                    if (status != 200)
                    {
                        Interlocked.Increment(ref errors);
                    }

                    Interlocked.Add(ref bytes, n);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors); // counted, the run goes on
                }
                catch (TaskCanceledException)
                {
                    Interlocked.Increment(ref errors); // HttpClient's time-out
                }
                catch (IOException e) when (outDir != null)
                {
                    if (Interlocked.Increment(ref errors) <= 3)
                    {
                        Console.Error.WriteLine("httpclient: " + e.Message);
                    }
                }
            });
            return (errors, bytes, http);
        }
    }
}
