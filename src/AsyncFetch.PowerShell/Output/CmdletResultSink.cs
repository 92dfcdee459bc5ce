using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Output
{
    /// <summary>
    /// Invoke-AsyncFetch's streams: WriteObject, WriteError and WriteVerbose of the cmdlet, and -OnComplete invoked
    /// in place. Only the cmdlet's pipeline thread may call it: that is the thread that may write to the pipeline
    /// and run the user's script block.
    /// </summary>
    internal sealed class CmdletResultSink : IResultSink
    {
        private readonly Cmdlet _cmdlet;
        private readonly ScriptBlock? _onComplete;
        private readonly bool _writeResults;

        /// <param name="writeResults">False: no -OnComplete means no output (-OutFile without -PassThru, as Invoke-WebRequest).</param>
        public CmdletResultSink(Cmdlet cmdlet, ScriptBlock? onComplete, bool writeResults = true)
        {
            _cmdlet = cmdlet;
            _onComplete = onComplete;
            _writeResults = writeResults;
        }

        /// <summary>False: a stopped Invoke-AsyncFetch writes nothing more (its pipeline is stopping), so a Canceled result it writes is an error like any failure.</summary>
        public bool IsStopping => false;

        [MethodImpl(Hot.Path)]
        public void WriteResult(FetchResult result)
        {
            if (_onComplete == null)
            {
                if (_writeResults)
                {
                    _cmdlet.WriteObject(result);
                }

                return;
            }

            Collection<PSObject> output;
            try
            {
                // A new list each time: InvokeWithContext takes $_ out of the list it is given.
                output = _onComplete.InvokeWithContext(null, new List<PSVariable> { new PSVariable("_", result) }, result);
            }
            catch (RuntimeException e) when (!(e is PipelineStoppedException) && !(e is ActionPreferenceStopException))
            {
                string message = string.Format(CultureInfo.CurrentCulture, Strings.OnCompleteFailed, result.RequestedUri, e.Message);
                var record = new ErrorRecord(new FetchException(message, e, result), ErrorIds.OnCompleteFailed, ErrorCategory.InvalidResult, result);
                _cmdlet.WriteError(record);
                return;
            }

            foreach (PSObject item in output)
            {
                _cmdlet.WriteObject(item);
            }
        }

        public void WriteError(ErrorRecord error) => _cmdlet.WriteError(error);

        public void WriteVerbose(string message) => _cmdlet.WriteVerbose(message);
    }
}
