using System;
using System.IO;

namespace AsyncFetch.Engine.Downloads
{
    /// <summary>
    /// Where one download goes: the checked directory and name (an explicit OutFile, or a name derived for OutDirectory),
    /// its temporary files ("name.partial-xxxxxxxxxxxx" next to the target), and the rename that gives the complete
    /// file its final name. Every member touches the file system and may block on a slow disk: they run on the thread
    /// that writes the download (<see cref="DownloadSink"/>), never on the loop. Failures are <see cref="FetchFailure"/>s
    /// of kind File, with the messages users see.
    ///
    /// A collision is decided at rename time, when the name is actually taken: a rename that must not replace tries the
    /// name, then "name (1).ext", "name (2).ext", ... and takes the first one free. Renames into one directory run one
    /// after another (a lock per directory, striped, shared by every engine of the process), as they did when they all
    /// ran on the loop thread: File.Move without overwrite is not enough on its own, since .NET on Unix checks that the
    /// target is absent and then rename(2)s, which replaces a file that appeared in between, so two downloads placed at
    /// the same moment on two threads could both take one name and one body would be lost. Under the lock a rename sees
    /// every earlier one, and since nothing deletes a taken name, a batch's names have no gaps. Another process can
    /// still take a name between the check and the move, as before. With Force the rename replaces (atomically where
    /// the runtime offers File.Move(..., overwrite: true)).
    /// </summary>
    internal sealed class DownloadTarget
    {
        private const int MaxSuffix = 9999;

        /// <summary>File.Move(source, dest, overwrite) where the runtime has it (.NET Core 3+): an atomic replace.</summary>
        private static readonly Action<string, string, bool>? MoveWithOverwrite = FindMoveWithOverwrite();

        /// <summary>Renames into one directory take the lock its name hashes to (see the class comment).</summary>
        private static readonly object[] PlaceLocks = NewLocks(16);

        private readonly string _directory;
        private readonly string _name;
        private readonly bool _explicitName;
        private readonly bool _force;

        private DownloadTarget(string directory, string name, bool explicitName, bool force)
        {
            _directory = directory;
            _name = name;
            _explicitName = explicitName;
            _force = force;
        }

        /// <summary>
        /// Checks the request's target (OutFile, else a name from <paramref name="contentDisposition"/> or
        /// <paramref name="responseUri"/> in OutDirectory, which is created when missing). Throws <see cref="FetchFailure"/> (File).
        /// </summary>
        public static DownloadTarget Resolve(FetchRequest request, Uri? responseUri, string? contentDisposition) =>
            request.OutFile != null
                ? ForFile(request.OutFile, request.Force)
                : ForDirectory(request.OutDirectory!, DownloadNames.Derive(contentDisposition, responseUri), request.Force);

        /// <summary>"name.partial-xxxxxxxxxxxx" in the target directory (an explicit name is shortened so the suffix fits in 255 bytes).</summary>
        public string NewTempPath() =>
            Path.Combine(_directory, DownloadNames.Shorten(_name, DownloadNames.MaxNameBytes) + ".partial-" + Guid.NewGuid().ToString("N").Substring(0, 12));

        /// <summary>Creates a new temporary file for the body. Throws <see cref="FetchFailure"/> (File).</summary>
        public FileStream CreateTemp(out string path)
        {
            for (int attempt = 0; ; attempt++)
            {
                string temp = NewTempPath();
                try
                {
                    // No FileStream buffer: the sink writes whole buffers of its own.
                    var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
                    path = temp;
                    return file;
                }
                catch (IOException) when (attempt < 3 && File.Exists(temp))
                {
                    // A random name taken: take another.
                }
                catch (Exception e) when (DownloadSink.IsFileError(e))
                {
                    throw new FetchFailure(FetchErrorKind.File, $"Cannot create a file in '{_directory}': {e.Message}");
                }
            }
        }

        /// <summary>Renames the complete file at <paramref name="source"/> to its final name; returns the final path. Throws <see cref="FetchFailure"/> (File).</summary>
        public string Place(string source)
        {
            string target = PathFor(_name);
            string directory = _directory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
            object gate = PlaceLocks[(StringComparer.OrdinalIgnoreCase.GetHashCode(directory) & int.MaxValue) % PlaceLocks.Length];
            try
            {
                lock (gate)
                {
                    return PlaceLocked(source, ref target);
                }
            }
            catch (Exception e) when (DownloadSink.IsFileError(e))
            {
                throw new FetchFailure(FetchErrorKind.File, $"Cannot move the download to '{target}': {e.Message}");
            }
        }

        private string PlaceLocked(string source, ref string target)
        {
            if (_force)
            {
                if (Directory.Exists(target))
                {
                    throw new FetchFailure(FetchErrorKind.File, $"Cannot replace '{target}': it is a directory.");
                }

                Replace(source, target);
                return target;
            }

            if (_explicitName)
            {
                if (!TryMove(source, target))
                {
                    throw new FetchFailure(FetchErrorKind.File, $"The output file '{target}' already exists (use Force to replace it).");
                }

                return target;
            }

            for (int n = 1; n <= MaxSuffix; n++)
            {
                if (TryMove(source, target))
                {
                    return target;
                }

                target = PathFor(DownloadNames.WithSuffix(_name, n));
            }

            throw new FetchFailure(FetchErrorKind.File, $"No free name for '{_name}' in '{_directory}' (tried {MaxSuffix} suffixes).");
        }

        private static DownloadTarget ForFile(string outFile, bool force)
        {
            string full;
            string? directory;
            try
            {
                full = Path.GetFullPath(outFile);
                directory = Path.GetDirectoryName(full);
            }
            catch (Exception e) when (DownloadSink.IsFileError(e))
            {
                throw new FetchFailure(FetchErrorKind.File, $"The output file path '{outFile}' is not valid: {e.Message}");
            }

            string name = Path.GetFileName(full);
            if (directory == null || name.Length == 0)
            {
                throw new FetchFailure(FetchErrorKind.File, $"The output file path '{outFile}' does not name a file.");
            }

            if (!Directory.Exists(directory))
            {
                throw new FetchFailure(FetchErrorKind.File, $"The directory of the output file '{full}' does not exist.");
            }

            if (Directory.Exists(full))
            {
                throw new FetchFailure(FetchErrorKind.File, $"The output file '{full}' is a directory.");
            }

            if (!force && File.Exists(full))
            {
                throw new FetchFailure(FetchErrorKind.File, $"The output file '{full}' already exists (use Force to replace it).");
            }

            return new DownloadTarget(directory, name, explicitName: true, force);
        }

        private static DownloadTarget ForDirectory(string outDirectory, string name, bool force)
        {
            string full;
            try
            {
                full = Path.GetFullPath(outDirectory);
                Directory.CreateDirectory(full);
            }
            catch (Exception e) when (DownloadSink.IsFileError(e))
            {
                throw new FetchFailure(FetchErrorKind.File, $"The output directory '{outDirectory}' cannot be used: {e.Message}");
            }

            var target = new DownloadTarget(full, name, explicitName: false, force);
            target.PathFor(name); // the name is sanitized; this is the last line of defence
            return target;
        }

        /// <summary>The full path of <paramref name="name"/> in the target directory, verified to be inside it.</summary>
        private string PathFor(string name)
        {
            string path = Path.GetFullPath(Path.Combine(_directory, name));
            string parent = Path.GetDirectoryName(path) ?? string.Empty;
            if (!string.Equals(parent.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar), _directory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar), StringComparison.Ordinal)
                || !string.Equals(Path.GetFileName(path), name, StringComparison.Ordinal))
            {
                throw new FetchFailure(FetchErrorKind.File, $"The file name '{name}' would leave the output directory '{_directory}'.");
            }

            return path;
        }

        /// <summary>Moves unless <paramref name="target"/> exists (File.Move refuses to replace, atomically); false when it does.</summary>
        private static bool TryMove(string source, string target)
        {
            if (File.Exists(target) || Directory.Exists(target))
            {
                return false;
            }

            try
            {
                File.Move(source, target);
                return true;
            }
            catch (IOException) when (File.Exists(target) || Directory.Exists(target))
            {
                return false; // taken between the check and the move (another download, another process)
            }
        }

        private static void Replace(string source, string target)
        {
            if (MoveWithOverwrite != null)
            {
                MoveWithOverwrite(source, target, true);
                return;
            }

            // .NET Framework: no replacing move; the target is briefly absent.
            if (File.Exists(target))
            {
                File.Delete(target);
            }

            File.Move(source, target);
        }

        private static object[] NewLocks(int count)
        {
            var locks = new object[count];
            for (int i = 0; i < count; i++)
            {
                locks[i] = new object();
            }

            return locks;
        }

        private static Action<string, string, bool>? FindMoveWithOverwrite()
        {
            System.Reflection.MethodInfo? move = typeof(File).GetMethod(nameof(File.Move), new[] { typeof(string), typeof(string), typeof(bool) });
            return move == null ? null : (Action<string, string, bool>)move.CreateDelegate(typeof(Action<string, string, bool>));
        }
    }
}
