using System.Management.Automation;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Output
{
    /// <summary>
    /// The steps every completed request goes through, the same for Invoke-AsyncFetch and FetchJob: recorded
    /// (journal and summary), a verbose line with -Verbose, a non-terminating error for a failure, its parsed body
    /// with -ParseContent (<see cref="ContentParser"/>), then its output or -OnComplete. Used on the one thread that
    /// takes results from the batch; the <see cref="IResultSink"/> says where the records go. Nothing here allocates
    /// beyond the records themselves (and the parsed bodies asked for).
    /// </summary>
    internal sealed class ResultWriter
    {
        private readonly RunRecorder _recorder;
        private readonly IResultSink _sink;
        private readonly bool _verbose;
        private readonly bool _parseContent;

        public ResultWriter(RunRecorder recorder, IResultSink sink, bool verbose, bool parseContent)
        {
            _recorder = recorder;
            _sink = sink;
            _verbose = verbose;
            _parseContent = parseContent;
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

            if (_parseContent)
            {
                WriteError(ContentParser.Attach(result)); // before the output, so -OnComplete sees ParsedContent
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
