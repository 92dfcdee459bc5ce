using System.Management.Automation;
using AsyncFetch.PowerShell.Jobs;

namespace AsyncFetch.PowerShell.Output
{
    /// <summary>
    /// A FetchJob's streams: its PSDataCollections, written on the job's pump thread, and -OnComplete handed to the
    /// job's <see cref="OnCompleteRunner"/>, which runs it in the runspace the job owns. No user code runs here.
    /// </summary>
    internal sealed class JobResultSink : IResultSink
    {
        private readonly FetchJob _job;
        private readonly OnCompleteRunner? _runner;

        public JobResultSink(FetchJob job, OnCompleteRunner? runner)
        {
            _job = job;
            _runner = runner;
        }

        /// <summary>True once Stop-Job has been asked to stop the job.</summary>
        public bool IsStopping => _job.IsStopping;

        public void WriteResult(FetchResult result)
        {
            if (_runner == null || _job.IsStopping || !_runner.TryAdd(result))
            {
                _job.Output.Add(PSObject.AsPSObject(result)); // no callback, or it was stopped meanwhile
            }
        }

        public void WriteError(ErrorRecord error) => _job.Error.Add(error);

        public void WriteVerbose(string message) => _job.Verbose.Add(new VerboseRecord(message));
    }
}
