using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>
    /// Finds the tinyproxy binary, installing Debian's package when it is missing (apt-get, as root). Decided once
    /// per test process (a Lazy), at test discovery, so that the tests can be skipped with the reason when there is
    /// no tinyproxy: xunit 2 can only skip a test it has not started. The package's service is never started here
    /// (the tests run their own instances; Debian's policy-rc.d in containers keeps apt from starting it too).
    /// ASYNCFETCH_NO_TINYPROXY=1 turns the tests off without trying.
    /// </summary>
    internal static class Tinyproxy
    {
        private static readonly Lazy<(string? Path, string? Problem)> s_binary = new Lazy<(string?, string?)>(FindOrInstall);

        /// <summary>The tinyproxy executable, or null when it is missing and could not be installed.</summary>
        public static string? Path => s_binary.Value.Path;

        /// <summary>Why the tinyproxy tests are skipped, or null when they can run.</summary>
        public static string? SkipReason => s_binary.Value.Problem;

        private static (string?, string?) FindOrInstall()
        {
            if (Environment.GetEnvironmentVariable("ASYNCFETCH_NO_TINYPROXY") == "1")
            {
                return (null, "the tinyproxy tests are turned off (ASYNCFETCH_NO_TINYPROXY=1).");
            }

            string? found = Find();
            if (found != null)
            {
                return (found, null);
            }

            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                return (null, "tinyproxy is not installed, and it is only installed automatically on Linux (apt-get).");
            }

            if (Find("apt-get") == null)
            {
                return (null, "tinyproxy is not installed and apt-get is not available to install it.");
            }

            // apt-get update only when the package is unknown (a fresh container has no package lists).
            string? failure = Run("apt-get", "install -y -q tinyproxy", out string log);
            if (failure != null && log.Contains("Unable to locate package", StringComparison.Ordinal))
            {
                failure = Run("apt-get", "update -q", out log) ?? Run("apt-get", "install -y -q tinyproxy", out log);
            }

            found = Find();
            if (found != null)
            {
                return (found, null);
            }

            string tail = log.Length > 600 ? log.Substring(log.Length - 600) : log;
            return (null, $"tinyproxy is not installed and 'apt-get install -y tinyproxy' failed ({failure ?? "no binary afterwards"}; installing needs root): {tail.Trim()}");
        }

        private static string? Find(string name = "tinyproxy")
        {
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':'))
            {
                if (dir.Length > 0 && File.Exists(System.IO.Path.Combine(dir, name)))
                {
                    return System.IO.Path.Combine(dir, name);
                }
            }

            foreach (string dir in new[] { "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin" })
            {
                if (File.Exists(System.IO.Path.Combine(dir, name)))
                {
                    return System.IO.Path.Combine(dir, name);
                }
            }

            return null;
        }

        /// <summary>Runs a command (bounded to 5 minutes); returns null on success, else what went wrong.</summary>
        private static string? Run(string file, string arguments, out string log)
        {
            var info = new ProcessStartInfo(file, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            try
            {
                using Process process = Process.Start(info)!;
                var output = new System.Text.StringBuilder();
                process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
                process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                if (!process.WaitForExit(300_000))
                {
                    process.Kill(entireProcessTree: true);
                    log = output.ToString();
                    return $"{file} {arguments} did not finish within 5 minutes";
                }

                process.WaitForExit();
                lock (output)
                {
                    log = output.ToString();
                }

                return process.ExitCode == 0 ? null : $"{file} {arguments} exited with {process.ExitCode}";
            }
            catch (Exception e)
            {
                log = string.Empty;
                return $"{file} could not be run: {e.Message}";
            }
        }
    }

    /// <summary>A fact that needs tinyproxy: skipped, with the reason, when it is missing and cannot be installed.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class TinyproxyFactAttribute : FactAttribute
    {
        public TinyproxyFactAttribute()
        {
            if (Tinyproxy.SkipReason is string reason)
            {
                Skip = reason;
            }
        }
    }
}
