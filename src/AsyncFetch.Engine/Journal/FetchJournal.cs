using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using AsyncFetch.Engine.Journal;

namespace AsyncFetch.Engine.Journal
{
    /// <summary>
    /// An append-only JSON Lines record of finished requests, for resumable runs.
    ///
    /// Crash safety: each line (with its newline) goes to the operating system in one write as soon as its
    /// request finishes, so killing the process loses nothing already recorded and can at worst leave a torn
    /// last line; the reader ignores a line that is not a whole JSON object, and reopening for append first
    /// ends a torn tail with a newline so the next line starts clean. Lines are also forced to disk (fsync)
    /// at most a second apart (the writer calls <see cref="SyncIfDue"/> while it waits) and on close, which
    /// bounds what a power cut can take.
    ///
    /// One writer at a time: a companion "&lt;journal&gt;.lock" file is held exclusively while open, so a second run
    /// using the same journal fails to open it; within a run, only the thread that takes results writes.
    /// </summary>
    public sealed class FetchJournal : IDisposable
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);
        private readonly FileStream _stream;
        private readonly FileStream _lock;
        private readonly StringBuilder _line = new StringBuilder(512);
        private readonly Stopwatch _sinceSync = Stopwatch.StartNew();
        private bool _dirty;

        private FetchJournal(FileStream stream, FileStream lockFile, string path)
        {
            _stream = stream;
            _lock = lockFile;
            Path = path;
        }

        /// <summary>The full path of the journal file.</summary>
        public string Path { get; }

        /// <summary>
        /// Opens (creating it if needed) the journal for appending. A failure (a full disk, no permission, another
        /// run holding it) says that it was the journal, and which.
        /// </summary>
        public static FetchJournal OpenForAppend(string path)
        {
            string full = System.IO.Path.GetFullPath(path);
            try
            {
                return Open(full);
            }
            catch (IOException e) when (!(e is JournalInUseException))
            {
                throw new IOException($"The journal '{full}' cannot be opened for appending: {e.Message}", e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new UnauthorizedAccessException($"The journal '{full}' cannot be opened for appending: {e.Message}", e);
            }
        }

        // What FileShare.None reports when another process holds the file: on Windows a sharing or lock violation
        // (HRESULT 0x80070020, 0x80070021); on Unix the flock's EWOULDBLOCK as the HResult (11 on Linux, 35 on macOS
        // and the BSDs). A full disk or a missing permission is something else, and is not reported as "in use".
        private static bool IsLockedByAnother(IOException e) =>
            e.HResult == unchecked((int)0x80070020) || e.HResult == unchecked((int)0x80070021) || e.HResult == 11 || e.HResult == 35;

        private static FetchJournal Open(string full)
        {
            string? dir = System.IO.Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(dir))
            {
                Directory.CreateDirectory(dir);
            }

            // Writers exclude each other through a companion lock file held exclusively (FileShare.None: flock on
            // Unix), so a second run on the same journal is refused instead of interleaving lines. The journal itself
            // stays readable meanwhile (Get-Content takes a shared lock), and the kernel drops the lock when a
            // process dies, so a killed run leaves no stale lock (the empty .lock file stays, harmless).
            FileStream lockFile;
            try
            {
                lockFile = new FileStream(full + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (IsLockedByAnother(e))
            {
                throw new JournalInUseException($"The journal '{full}' is in use by another run (its lock file {full}.lock is held).", e);
            }

            FileStream stream;
            try
            {
                stream = new FileStream(full, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite, 1, FileOptions.None);
            }
            catch
            {
                lockFile.Dispose();
                throw;
            }

            try
            {
                if (stream.Length > 0)
                {
                    stream.Seek(-1, SeekOrigin.End);
                    if (stream.ReadByte() != '\n')
                    {
                        stream.WriteByte((byte)'\n'); // a torn last line from a killed run stays a line of its own
                    }
                }

                stream.Seek(0, SeekOrigin.End);
                return new FetchJournal(stream, lockFile, full);
            }
            catch
            {
                stream.Dispose();
                lockFile.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Records a finished request. <paramref name="input"/> is the input as text (the URL line, the CSV row...).
        /// No password of a URL reaches the file (<see cref="FetchRedaction"/>), nor any header value.
        /// </summary>
        public void Append(FetchResult result, string? input)
        {
            StringBuilder sb = _line.Clear().Append('{');
            JsonLine.AppendString(sb, "id", FetchIdentity.Of(result.GetRequest()).ToString());
            JsonLine.AppendString(sb, "time", DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture));
            JsonLine.AppendString(sb, "input", FetchRedaction.Text(input)); // the URLs of the result are redacted already
            JsonLine.AppendString(sb, "method", result.Method);
            JsonLine.AppendString(sb, "uri", result.RequestedUri);
            JsonLine.AppendString(sb, "finalUri", result.Uri?.AbsoluteUri);
            JsonLine.AppendNumber(sb, "status", result.StatusCode);
            JsonLine.AppendString(sb, "errorKind", result.ErrorKind.ToString());
            JsonLine.AppendString(sb, "error", result.ErrorMessage);
            JsonLine.AppendNumber(sb, "bytes", result.ContentLength);
            JsonLine.AppendNumber(sb, "elapsedMs", result.ElapsedMs);
            JsonLine.AppendNumber(sb, "attempts", result.Attempts);
            JsonLine.AppendBool(sb, "succeeded", result.Succeeded);
            JsonLine.AppendString(sb, "outFile", result.OutFile);
            sb.Append("}\n");
            byte[] bytes = Utf8.GetBytes(sb.ToString());
            _stream.Write(bytes, 0, bytes.Length); // unbuffered stream: one write() per line
            _dirty = true;
            SyncIfDue();
        }

        /// <summary>Forces what was written to disk if the last sync is a second old (call it while waiting).</summary>
        public void SyncIfDue()
        {
            if (_dirty && _sinceSync.Elapsed >= TimeSpan.FromSeconds(1))
            {
                Sync();
            }
        }

        /// <summary>Forces what was written to disk.</summary>
        public void Sync()
        {
            if (_dirty)
            {
                _stream.Flush(true);
                _dirty = false;
            }

            _sinceSync.Restart();
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            try
            {
                Sync();
            }
            finally
            {
                _stream.Dispose();
                _lock.Dispose();
            }
        }

        /// <summary>Reads a journal; a missing file is an empty journal. Lines that are not whole JSON objects are counted and ignored.</summary>
        public static FetchJournalContents Read(string path)
        {
            var contents = new FetchJournalContents();
            string full = System.IO.Path.GetFullPath(path);
            if (!File.Exists(full))
            {
                return contents;
            }

            using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            using (var reader = new StreamReader(stream, Utf8))
            {
                string? line;
                while ((line = reader.ReadLine()) != null)
                {
                    if (line.Trim().Length == 0)
                    {
                        continue;
                    }

                    Dictionary<string, object?>? entry = JsonLine.Parse(line);
                    if (entry == null || !entry.TryGetValue("id", out object? id) || !FetchIdentity.TryParse(id as string, out FetchIdentity identity))
                    {
                        contents.TornLines++;
                        continue;
                    }

                    contents.Entries++;
                    if (entry.TryGetValue("succeeded", out object? ok) && ok is bool succeeded && succeeded)
                    {
                        contents.Succeeded.Add(identity);
                    }
                }
            }

            return contents;
        }
    }

    /// <summary>What a journal holds, for resuming.</summary>
    public sealed class FetchJournalContents
    {
        /// <summary>Identities of requests that finished successfully at least once.</summary>
        public HashSet<FetchIdentity> Succeeded { get; } = new HashSet<FetchIdentity>();

        /// <summary>Lines read that were whole entries.</summary>
        public long Entries { get; internal set; }

        /// <summary>Lines that were not whole entries (a torn last line from a killed run, say) and were ignored.</summary>
        public long TornLines { get; internal set; }
    }

    /// <summary>Another run holds the journal's lock file.</summary>
    internal sealed class JournalInUseException : IOException
    {
        public JournalInUseException(string message, Exception inner)
            : base(message, inner)
        {
        }
    }
}
