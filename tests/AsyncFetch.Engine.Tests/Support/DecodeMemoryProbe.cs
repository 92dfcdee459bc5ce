using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Threading.Tasks;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>
    /// Fetches one gzip body of zeros (about 1 KiB on the wire per MiB decoded) in a process of its own and reports
    /// what it cost: the peak working set over the working set just before the request, and the managed bytes
    /// allocated meanwhile. <see cref="Measure"/> starts the child and reads its report.
    /// </summary>
    internal static class DecodeMemoryProbe
    {
        public const string Command = "decode-memory";

        public sealed record Report(FetchErrorKind Kind, long ContentLength, long BodyLength, long WorkingSetBefore, long PeakWorkingSet, long Allocated, bool PeakWasReset, string Output)
        {
            public long PeakGrowth => PeakWorkingSet - WorkingSetBefore;

            public override string ToString() =>
                $"{Kind}, ContentLength {ContentLength}, body {BodyLength}; working set {WorkingSetBefore >> 20} MiB before, peak {PeakWorkingSet >> 20} MiB " +
                $"(+{PeakGrowth >> 20} MiB{(PeakWasReset ? string.Empty : ", peak not reset: includes the warm-up")}); allocated {Allocated >> 20} MiB";
        }

        /// <summary>Runs the probe in a child process (the same runtime, this assembly) and returns its report.</summary>
        public static Report Measure(long decodedBytes, long limitBytes)
        {
            string assembly = typeof(DecodeMemoryProbe).Assembly.Location;
            string host = Environment.ProcessPath is string p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
            var info = new ProcessStartInfo(host)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[] { assembly, Command, decodedBytes.ToString(CultureInfo.InvariantCulture), limitBytes.ToString(CultureInfo.InvariantCulture) })
            {
                info.ArgumentList.Add(arg);
            }

            using Process child = Process.Start(info)!;
            Task<string> stdout = child.StandardOutput.ReadToEndAsync();
            Task<string> stderr = child.StandardError.ReadToEndAsync();
            if (!child.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                child.Kill(entireProcessTree: true);
                throw new TimeoutException("the memory probe did not finish within 5 minutes");
            }

            string output = stdout.Result + stderr.Result;
            string[] lines = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            string? last = lines.Length > 0 ? lines[^1] : null;
            if (child.ExitCode != 0 || last == null || !last.StartsWith("report ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the memory probe failed (exit code {child.ExitCode}): {output}");
            }

            string[] f = last.Split(' ');
            return new Report(
                Enum.Parse<FetchErrorKind>(f[1]),
                long.Parse(f[2], CultureInfo.InvariantCulture),
                long.Parse(f[3], CultureInfo.InvariantCulture),
                long.Parse(f[4], CultureInfo.InvariantCulture),
                long.Parse(f[5], CultureInfo.InvariantCulture),
                long.Parse(f[6], CultureInfo.InvariantCulture),
                f[7] == "reset",
                output);
        }

        /// <summary>The child: args are the command, the decoded size and MaxResponseBytes.</summary>
        public static async Task<int> RunAsync(string[] args)
        {
            long decodedBytes = long.Parse(args[1], CultureInfo.InvariantCulture);
            long limit = long.Parse(args[2], CultureInfo.InvariantCulture);
            byte[] body = GzipOfZeros(decodedBytes);
            byte[] warmBody = GzipOfZeros(16L << 20); // decoded off the loop like the measured body, with every path it takes
            using var server = new RawServer(async (c, token) =>
            {
                byte[] b = c.Head.Contains("/warm", StringComparison.Ordinal) ? warmBody : body;
                await c.SendAsync($"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Encoding: gzip\r\nContent-Length: {b.Length}\r\nConnection: close\r\n\r\n", token);
                await c.SendAsync(b, token);
                await c.ReadAfterHeadAsync(token);
            });
            using var engine = new FetchEngine(new FetchEngineOptions { MaxResponseBytes = limit, Timeout = TimeSpan.FromMinutes(3) });
            for (int i = 0; i < 2; i++)
            {
                FetchResult warm = await engine.FetchAsync(new FetchRequest(server.Url("/warm")));
                if (!warm.Succeeded)
                {
                    Console.Error.WriteLine("warm-up failed: " + warm);
                    return 1;
                }
            }

            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            bool reset = TryResetPeak();
            using var self = Process.GetCurrentProcess();
            long before = self.WorkingSet64;
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

            FetchResult result = await engine.FetchAsync(new FetchRequest(server.Url("/probe")));

            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            self.Refresh();
            long peak = self.PeakWorkingSet64;
            Console.WriteLine(result.ErrorKind == FetchErrorKind.None ? result.ToString() : result.ErrorKind + ": " + result.ErrorMessage);
            Console.WriteLine(string.Join(
                " ",
                "report",
                result.ErrorKind,
                result.ContentLength.ToString(CultureInfo.InvariantCulture),
                (result.GetBody()?.LongLength ?? -1).ToString(CultureInfo.InvariantCulture),
                before.ToString(CultureInfo.InvariantCulture),
                peak.ToString(CultureInfo.InvariantCulture),
                allocated.ToString(CultureInfo.InvariantCulture),
                reset ? "reset" : "not-reset"));
            GC.KeepAlive(result);
            return 0;
        }

        /// <summary>gzip of <paramref name="bytes"/> zero bytes, written 1 MiB at a time (no large input array).</summary>
        public static byte[] GzipOfZeros(long bytes)
        {
            var output = new MemoryStream();
            var zeros = new byte[1 << 20];
            using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                for (long left = bytes; left > 0; left -= zeros.Length)
                {
                    gzip.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
                }
            }

            return output.ToArray();
        }

        /// <summary>Linux: writing 5 to clear_refs resets the peak working set (VmHWM) to the current one.</summary>
        private static bool TryResetPeak()
        {
            try
            {
                File.WriteAllText("/proc/self/clear_refs", "5", Encoding.ASCII);
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }
}
