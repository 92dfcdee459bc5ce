using System;
using System.Diagnostics;
using System.IO;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>
    /// Real file system failures for download tests, where this machine can make them: a small tmpfs (a full
    /// disk, a read-only file system) needs root and a working <c>mount</c>; an immutable directory needs
    /// <c>chattr</c> on a file system that supports it. Permission bits are no use: the tests run as root.
    /// Each probe runs once; a fact that needs one is skipped, saying why, where it fails.
    /// </summary>
    internal static class FileSystemTraps
    {
        private static readonly Lazy<string?> s_mountProblem = new Lazy<string?>(ProbeMount);
        private static readonly Lazy<string?> s_chattrProblem = new Lazy<string?>(ProbeChattr);

        /// <summary>Why a tmpfs cannot be mounted here, or null when it can.</summary>
        public static string? MountProblem => s_mountProblem.Value;

        /// <summary>Why a directory cannot be made immutable here, or null when it can.</summary>
        public static string? ChattrProblem => s_chattrProblem.Value;

        /// <summary>Mounts a tmpfs on <paramref name="directory"/> (which must exist) with the given options ("size=256k", "ro,size=64k").</summary>
        public static void MountTmpfs(string directory, string options)
        {
            string? error = Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", directory);
            if (error != null)
            {
                throw new InvalidOperationException("mount failed: " + error);
            }
        }

        /// <summary>Unmounts (lazily, so a file still open cannot keep the mount); never throws.</summary>
        public static void Unmount(string directory) => Run("umount", "-l", directory);

        /// <summary>Sets or clears the immutable attribute; throws when chattr fails.</summary>
        public static void SetImmutable(string path, bool immutable)
        {
            string? error = Run("chattr", immutable ? "+i" : "-i", path);
            if (error != null)
            {
                throw new InvalidOperationException("chattr failed: " + error);
            }
        }

        private static string? ProbeMount()
        {
            if (!OperatingSystem.IsLinux())
            {
                return "needs Linux (a tmpfs mount)";
            }

            string dir = Path.Combine(Path.GetTempPath(), "asyncfetch-mount-probe-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                string? error = Run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir);
                if (error != null)
                {
                    return "a tmpfs cannot be mounted here (needs root and mount in this container): " + error;
                }

                Run("umount", dir);
                return null;
            }
            finally
            {
                try
                {
                    Directory.Delete(dir);
                }
                catch (IOException)
                {
                }
            }
        }

        private static string? ProbeChattr()
        {
            if (!OperatingSystem.IsLinux())
            {
                return "needs Linux (chattr +i)";
            }

            string dir = Path.Combine(Path.GetTempPath(), "asyncfetch-chattr-probe-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                string? error = Run("chattr", "+i", dir);
                if (error != null)
                {
                    return "a directory cannot be made immutable here (needs chattr, CAP_LINUX_IMMUTABLE and a file system that supports it): " + error;
                }

                bool refused;
                try
                {
                    File.WriteAllText(Path.Combine(dir, "x"), "x");
                    refused = false;
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    refused = true;
                }

                Run("chattr", "-i", dir);
                return refused ? null : "chattr +i did not stop a file being created in the directory";
            }
            finally
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }

        /// <summary>Runs a command (bounded); null when it exited with 0, else what went wrong.</summary>
        private static string? Run(string file, params string[] args)
        {
            try
            {
                var info = new ProcessStartInfo(file)
                {
                    RedirectStandardError = true,
                    RedirectStandardOutput = true,
                    UseShellExecute = false,
                };
                foreach (string a in args)
                {
                    info.ArgumentList.Add(a);
                }

                using Process p = Process.Start(info)!;
                string stderr = p.StandardError.ReadToEnd();
                p.StandardOutput.ReadToEnd();
                if (!p.WaitForExit(30_000))
                {
                    p.Kill();
                    return file + " did not finish";
                }

                return p.ExitCode == 0 ? null : $"{file} exited with {p.ExitCode}: {stderr.Trim()}";
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception || e is InvalidOperationException)
            {
                return $"{file} cannot be run: {e.Message}";
            }
        }
    }

    /// <summary>A fact that mounts a tmpfs; skipped, saying why, where that is impossible.</summary>
    public sealed class TmpfsFactAttribute : FactAttribute
    {
        public TmpfsFactAttribute()
        {
            if (FileSystemTraps.MountProblem is string reason)
            {
                Skip = reason;
            }
        }
    }

    /// <summary>A fact that makes a directory immutable; skipped, saying why, where that is impossible.</summary>
    public sealed class ImmutableDirectoryFactAttribute : FactAttribute
    {
        public ImmutableDirectoryFactAttribute()
        {
            if (FileSystemTraps.ChattrProblem is string reason)
            {
                Skip = reason;
            }
        }
    }

    /// <summary>A theory that mounts a tmpfs; skipped, saying why, where that is impossible.</summary>
    public sealed class TmpfsTheoryAttribute : TheoryAttribute
    {
        public TmpfsTheoryAttribute()
        {
            if (FileSystemTraps.MountProblem is string reason)
            {
                Skip = reason;
            }
        }
    }

    /// <summary>A theory that makes a directory immutable; skipped, saying why, where that is impossible.</summary>
    public sealed class ImmutableDirectoryTheoryAttribute : TheoryAttribute
    {
        public ImmutableDirectoryTheoryAttribute()
        {
            if (FileSystemTraps.ChattrProblem is string reason)
            {
                Skip = reason;
            }
        }
    }
}
