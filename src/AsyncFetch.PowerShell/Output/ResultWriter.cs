using System.Management.Automation;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Output
{
    /// <summary>
    /// The steps every completed request goes through, the same for Invoke-AsyncFetch and FetchJob: recorded
    /// (journal and summary), a verbose line with -Verbose, a non-terminating error for a failure or an HTTP error
    /// status, then its output or -OnComplete. Used on the one thread that takes results from the batch; the
    /// <see cref="IResultSink"/> says where the records go. Nothing here allocates beyond the records themselves.
    ///
    /// The order is what -ErrorAction Stop relies on: the result is in the journal and the summary before its error
    /// is written, so when that error stops the command, the journal holds exactly the results that were written out
    /// (the requests still in flight are canceled and not journaled, so -Resume fetches them again).
    /// </summary>
    internal sealed class ResultWriter
    {
        private readonly RunRecorder _recorder;
        private readonly IResultSink _sink;
        private readonly bool _verbose;
        private readonly bool _checkHttpStatus;

        /// <param name="checkHttpStatus">Write an AsyncFetch.HttpError for a 4xx or 5xx response (not with -SkipHttpErrorCheck).</param>
        public ResultWriter(RunRecorder recorder, IResultSink sink, bool verbose, bool checkHttpStatus)
        {
            _recorder = recorder;
            _sink = sink;
            _verbose = verbose;
            _checkHttpStatus = checkHttpStatus;
        }

        /// <summary>Writes one completed request.</summary>
        [MethodImpl(Hot.Path)]
        public void Write(FetchResult result)
        {
            string? errorId = _recorder.TakeErrorId(result);
            if (result.ErrorKind != FetchErrorKind.Skipped)
            {
                WriteError(_recorder.Record(result));
            }

            if (_verbose)
            {
                _sink.WriteVerbose(ResultRecords.VerboseLine(result));
            }

            // A request cancelled by stopping the run (Stop-Job) was the user's doing: its result is kept, without an error.
            if (result.ErrorKind != FetchErrorKind.Canceled || !_sink.IsStopping)
            {
                WriteError(ResultRecords.ErrorFor(result, errorId));
            }

            // An error status is an error as Invoke-WebRequest makes it; a 3xx that was not followed is a response
            // like a 2xx (it is what -MaximumRedirection 0 asks for). The same test as Succeeded, journal and summary.
            if (_checkHttpStatus && result.ErrorKind == FetchErrorKind.None && !result.Succeeded)
            {
                _sink.WriteError(ResultRecords.HttpErrorFor(result));
            }

            _sink.WriteResult(result);
        }

        /// <summary>Called while the consumer waits for results: keeps the journal on disk, and says when it failed.</summary>
        public void Tick() => WriteError(_recorder.Tick());

        private void WriteError(ErrorRecord? error)
        {
            if (error != null)
            {
                _sink.WriteError(error);
            }
        }
    }
}
