using System;
using System.Diagnostics;
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

        public static async Task<RunResult> RunAsync(string client, Uri url, int count, int concurrency, int warmup)
        {
            Func<int, Task<(int Errors, long Bytes)>> run = client switch
            {
                "engine" => n => RunEngine(url, n, concurrency),
                "httpclient" => n => RunHttpClient(url, n, concurrency),
                _ => throw new ArgumentException("unknown client " + client),
            };

            if (warmup > 0)
            {
                await run(warmup); // JIT and connection set-up stay out of the figure
            }

            var process = Process.GetCurrentProcess();
            TimeSpan cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            (int errors, long bytes) = await run(count);
            sw.Stop();
            process.Refresh();
            double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
            return new RunResult(client, count, concurrency, sw.Elapsed.TotalSeconds, cpu, process.PeakWorkingSet64 / (1024.0 * 1024.0), errors, bytes);
        }

        /// <summary>
        /// The engine with a submit window of twice the concurrency: each completion (on the loop thread)
        /// submits the next request, the way the cmdlet's batch keeps memory bounded.
        /// </summary>
        private static Task<(int, long)> RunEngine(Uri url, int count, int concurrency)
        {
            var engine = new FetchEngine(new FetchEngineOptions { MaxConcurrency = concurrency, PerHostLimit = concurrency });
            var done = new TaskCompletionSource<(int, long)>(TaskCreationOptions.RunContinuationsAsynchronously);
            int submitted = 0, completed = 0, errors = 0;
            long bytes = 0;
            Action<FetchResult>? onDone = null;
            void SubmitNext()
            {
                if (Interlocked.Increment(ref submitted) <= count)
                {
                    engine.Submit(new FetchRequest(url), onDone!);
                }
            }

            onDone = r =>
            {
                if (r.StatusCode != 200)
                {
                    Interlocked.Increment(ref errors);
                }

                Interlocked.Add(ref bytes, r.ContentLength);
                if (Interlocked.Increment(ref completed) == count)
                {
                    done.TrySetResult((errors, bytes));
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

            return done.Task.ContinueWith(t => { engine.Dispose(); return t.Result; }, TaskScheduler.Default);
        }

        private static async Task<(int, long)> RunHttpClient(Uri url, int count, int concurrency)
        {
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, UseCookies = false, UseProxy = false };
            using var http = new HttpClient(handler);
            int errors = 0;
            long bytes = 0;
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (_, ct) =>
            {
                using HttpResponseMessage response = await http.GetAsync(url, ct);
                byte[] body = await response.Content.ReadAsByteArrayAsync(ct);
                if ((int)response.StatusCode != 200)
                {
                    Interlocked.Increment(ref errors);
                }

                Interlocked.Add(ref bytes, body.Length);
            });
            return (errors, bytes);
        }
    }
}
