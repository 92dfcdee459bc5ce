using System.Globalization;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Batch;
using AsyncFetch.Engine.Journal;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>The records a result produces, the same for Invoke-AsyncFetch and FetchJob.</summary>
    internal static class ResultRecords
    {
        /// <summary>The non-terminating error of a failed request (TargetObject: the result); null for a response.</summary>
        [MethodImpl(Hot.Path)]
        public static ErrorRecord? ErrorFor(FetchResult result, string? errorId = null)
        {
            if (result.ErrorKind == FetchErrorKind.None || result.ErrorKind == FetchErrorKind.Skipped)
            {
                return null;
            }

            return new ErrorRecord(new FetchException(result), errorId ?? ErrorIds.For(result.ErrorKind), ErrorIds.CategoryOf(result.ErrorKind), result);
        }

        /// <summary>
        /// The non-terminating error of a response with an error status (4xx, 5xx), as Invoke-WebRequest reports it
        /// (its category, InvalidOperation, and its wording), with the URL that answered; TargetObject: the result.
        /// </summary>
        public static ErrorRecord HttpErrorFor(FetchResult result)
        {
            string status = result.ReasonPhrase.Length == 0
                ? result.StatusCode.ToString(CultureInfo.InvariantCulture)
                : string.Format(CultureInfo.InvariantCulture, "{0} ({1})", result.StatusCode, result.ReasonPhrase);
            string answered = result.Uri?.AbsoluteUri ?? result.RequestedUri; // both stored without a password (FetchRedaction)
            string message = result.RedirectCount == 0
                ? string.Format(CultureInfo.CurrentCulture, Strings.HttpError, status, answered)
                : string.Format(CultureInfo.CurrentCulture, Strings.HttpErrorRedirected, status, answered, result.RequestedUri);
            return new ErrorRecord(new FetchException(message, null, result), ErrorIds.HttpError, ErrorCategory.InvalidOperation, result);
        }

        /// <summary>The one verbose line per completion: status (or error kind), milliseconds, bytes, URI; then redirects, attempts and the output file when there are any.</summary>
        public static string VerboseLine(FetchResult result)
        {
            object status = result.ErrorKind == FetchErrorKind.None ? (object)result.StatusCode : result.ErrorKind;
            string line = string.Format(CultureInfo.InvariantCulture, Strings.VerboseCompletion, status, result.ElapsedMs, result.ContentLength, result.RequestedUri);
            if (result.RedirectCount > 0)
            {
                line += string.Format(CultureInfo.InvariantCulture, Strings.VerboseRedirected, result.RedirectCount, result.Uri);
            }

            if (result.Attempts > 1)
            {
                line += string.Format(CultureInfo.InvariantCulture, Strings.VerboseAttempts, result.Attempts);
            }

            if (result.OutFile != null)
            {
                line += string.Format(CultureInfo.InvariantCulture, Strings.VerboseOutFile, result.OutFile);
            }

            return line;
        }

        /// <summary>The progress status line of a batch.</summary>
        public static string ProgressStatus(FetchBatchStatistics s) =>
            string.Format(CultureInfo.CurrentCulture, Strings.ProgressStatus, s.Completed, s.InFlight, s.Failed, s.RequestsPerSecond);
    }
}
