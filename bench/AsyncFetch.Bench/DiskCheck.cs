using System;
using System.IO;
using System.Linq;

namespace AsyncFetch.Bench
{
    /// <summary>
    /// The to-disk workloads' check that the bodies really reached the disk: the files directly in the output
    /// directory, counted and summed after a run. Temporary files a client left behind (the engine's
    /// "name.partial-…") count as stray files.
    /// </summary>
    internal static class DiskCheck
    {
        /// <summary>
        /// Null when <paramref name="dir"/> holds exactly <paramref name="count"/> files, each of
        /// <paramref name="eachBytes"/> bytes (when &gt; 0) and <paramref name="totalBytes"/> in all (when &gt;= 0);
        /// otherwise what is wrong, and <paramref name="bad"/> = how many files are missing, extra or of the wrong size.
        /// </summary>
        public static string? Verify(string dir, int count, long eachBytes, long totalBytes, out int bad)
        {
            FileInfo[] files = Directory.Exists(dir) ? new DirectoryInfo(dir).GetFiles("*", SearchOption.TopDirectoryOnly) : Array.Empty<FileInfo>();
            long total = files.Sum(f => f.Length);
            int wrongSize = eachBytes > 0 ? files.Count(f => f.Length != eachBytes) : 0;
            bad = Math.Abs(count - files.Length) + wrongSize;
            if (bad == 0 && totalBytes >= 0 && total != totalBytes)
            {
                bad = 1;
            }

            return bad == 0
                ? null
                : FormattableString.Invariant($"{files.Length} files of {total} bytes on disk, {count} expected") +
                  (eachBytes > 0 ? FormattableString.Invariant($" of {eachBytes} bytes each ({wrongSize} of another size)") : "") +
                  (totalBytes >= 0 ? FormattableString.Invariant($", {totalBytes} bytes reported") : "");
        }

        /// <summary>A fresh, empty directory at <paramref name="dir"/> (deleted first when it exists).</summary>
        public static void Fresh(string dir)
        {
            Delete(dir);
            Directory.CreateDirectory(dir);
        }

        public static void Delete(string dir)
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }
}
