using System;
using System.Globalization;
using System.Management.Automation;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// -OutDirectory, -OutFile and -JournalPath as full file-system paths. They are resolved on the pipeline thread
    /// when the command runs, against the caller's current location: the engine (and a job's pump thread) would
    /// resolve a relative path against the process's directory, which is not PowerShell's $PWD.
    /// </summary>
    internal static class OutputPaths
    {
        /// <summary>The file-system path for a PowerShell path (which need not exist yet); a terminating error otherwise.</summary>
        public static string Resolve(PSCmdlet cmdlet, string path)
        {
            try
            {
                return ToFileSystemPath(cmdlet, path);
            }
            catch (Exception e) when (IsPathProblem(e))
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(e, ErrorIds.InvalidOutputPath, ErrorCategory.InvalidArgument, path));
                throw; // not reached
            }
        }

        /// <summary>
        /// The file-system path for a PowerShell path; throws (see <see cref="IsPathProblem"/>) for a missing drive or a
        /// path on another provider, whose provider path (Env:\x is "x") would otherwise land in the process's directory.
        /// </summary>
        public static string ToFileSystemPath(PSCmdlet cmdlet, string path)
        {
            string resolved = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out ProviderInfo provider, out PSDriveInfo _);
            if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException(string.Format(CultureInfo.CurrentCulture, Strings.NotAFileSystemPath, path, provider.Name));
            }

            return resolved;
        }

        /// <summary>The exceptions <see cref="ToFileSystemPath"/> throws for a path it cannot use.</summary>
        public static bool IsPathProblem(Exception e) =>
            e is ItemNotFoundException || e is DriveNotFoundException || e is ProviderNotFoundException || e is NotSupportedException || e is ArgumentException || e is PSInvalidOperationException;
    }
}
