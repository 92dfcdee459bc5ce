using System.Management.Automation;

namespace AsyncFetch.PowerShell.Output
{
    /// <summary>
    /// Where <see cref="ResultWriter"/> sends what a completed request produces: a cmdlet's own streams
    /// (<see cref="CmdletResultSink"/>, on its pipeline thread) or a job's (<see cref="JobResultSink"/>, on its pump
    /// thread). The writer decides what is written; the sink only knows where it goes and who runs -OnComplete.
    /// </summary>
    internal interface IResultSink
    {
        /// <summary>True while the user stops the run: a Canceled result is then the user's doing, kept without an error.</summary>
        bool IsStopping { get; }

        /// <summary>The result's output: the result itself, or what -OnComplete makes of it.</summary>
        void WriteResult(FetchResult result);

        void WriteError(ErrorRecord error);

        void WriteVerbose(string message);
    }
}
