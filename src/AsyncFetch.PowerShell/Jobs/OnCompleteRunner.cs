using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Jobs
{
    /// <summary>
    /// Runs a job's -OnComplete in a runspace the job owns (the module imported there), on that runspace's own
    /// pipeline thread: never on the engine's loop thread, never in the user's runspace. The script block is
    /// re-created from its text in that runspace and run once per result as a pipeline's process block, so $_
    /// and $args[0] are the FetchResult. Its output becomes job output; an exception it throws becomes a job
    /// error (ErrorId AsyncFetch.OnCompleteFailed) and the job goes on.
    /// </summary>
    internal sealed class OnCompleteRunner : IDisposable
    {
        private const string Wrapper = @"
param([string] $__AsyncFetchOnComplete, [string] $__AsyncFetchFailedFormat, [string] $__AsyncFetchFailedId)
begin { $__asyncFetchCallback = [scriptblock]::Create($__AsyncFetchOnComplete) }
process {
    $__asyncFetchResult = $_
    try { & $__asyncFetchCallback $__asyncFetchResult }
    catch {
        $__asyncFetchError = [AsyncFetch.PowerShell.FetchException]::new(
            ($__AsyncFetchFailedFormat -f $__asyncFetchResult.RequestedUri, $_.Exception.Message), $_.Exception, $__asyncFetchResult)
        Write-Error -Exception $__asyncFetchError -ErrorId $__AsyncFetchFailedId -Category InvalidResult -TargetObject $__asyncFetchResult
    }
    finally { $__AsyncFetchCounter.Done() }
}";

        private readonly Runspace _runspace;
        private readonly System.Management.Automation.PowerShell _ps;
        private readonly PSDataCollection<object> _input = new PSDataCollection<object>();
        private readonly IAsyncResult _invocation;
        private readonly CallbackCounter _counter = new CallbackCounter();
        private long _added;

        public OnCompleteRunner(string scriptText, System.Collections.Generic.IDictionary<string, object?> usingValues, string modulePath, string? location, PSDataCollection<PSObject> output, PSDataCollection<ErrorRecord> errors)
        {
            InitialSessionState iss = InitialSessionState.CreateDefault2();
            iss.ImportPSModule(new[] { modulePath });
            _runspace = RunspaceFactory.CreateRunspace(iss);
            _runspace.Open();
            foreach (System.Collections.Generic.KeyValuePair<string, object?> value in usingValues)
            {
                _runspace.SessionStateProxy.SetVariable(value.Key, value.Value); // $using:x, rewritten by UsingCapture
            }

            _ps = System.Management.Automation.PowerShell.Create();
            _ps.Runspace = _runspace;
            if (location != null)
            {
                _ps.AddCommand("Set-Location").AddParameter("LiteralPath", location).Invoke();
                _ps.Commands.Clear();
            }

            _runspace.SessionStateProxy.SetVariable("__AsyncFetchCounter", _counter);
            _ps.Streams.Error = errors;
            // The message and ErrorId are Invoke-AsyncFetch's own (resx and ErrorIds), not retyped in the script.
            _ps.AddScript(Wrapper).AddArgument(scriptText).AddArgument(Strings.OnCompleteFailed).AddArgument(ErrorIds.OnCompleteFailed);
            _invocation = _ps.BeginInvoke<object, PSObject>(_input, output);
        }

        /// <summary>Results handed to the callback and not yet through it (the job's backpressure reads this).</summary>
        public long Backlog => Interlocked.Read(ref _added) - _counter.Count;

        /// <summary>Hands a result to the callback; false when the runner was stopped meanwhile (Stop-Job).</summary>
        public bool TryAdd(FetchResult result)
        {
            try
            {
                _input.Add(result);
                Interlocked.Increment(ref _added);
                return true;
            }
            catch (PSInvalidOperationException)
            {
                return false; // the input was completed by a concurrent stop
            }
        }

        /// <summary>No more results: waits until the callback has processed every one.</summary>
        public void Complete()
        {
            _input.Complete();
            try
            {
                _ps.EndInvoke(_invocation);
            }
            catch (RuntimeException)
            {
                // Stopped or failed: its errors are already in the job's error stream.
            }
        }

        public void Stop()
        {
            _input.Complete();
            _ps.BeginStop(null, null);
        }

        public void Dispose()
        {
            _ps.Dispose();
            _runspace.Dispose();
        }
    }

    /// <summary>Counts results the job's -OnComplete has finished with (called from its script).</summary>
    public sealed class CallbackCounter
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public void Done() => Interlocked.Increment(ref _count);
    }
}
