using System;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Threading;

namespace AsyncFetch.PowerShell
{
    /// <summary>The job's pump thread: input queue → batch → streams.</summary>
    public sealed partial class FetchJob
    {
        private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

        private void Pump()
        {
            var sinceProgress = Stopwatch.StartNew();
            try
            {
                while (true)
                {
                    while (!_stopping && _batch.CanSubmit && _input.TryDequeue(out PSObject? item))
                    {
                        _inputRoom.Release();
                        Submit(item);
                    }

                    while (_batch.TryTake(out FetchResult result))
                    {
                        Emit(result, null);
                    }

                    if (sinceProgress.Elapsed >= ProgressInterval)
                    {
                        sinceProgress.Restart();
                        ReportProgress(ProgressRecordType.Processing);
                    }

                    bool inputDone = _stopping || (_inputClosed && _input.IsEmpty);
                    if (inputDone && _batch.IsDrained)
                    {
                        break;
                    }

                    _wake.WaitOne(250);
                    _recorder.Tick();
                }

                if (_stopping)
                {
                    CancelUnsent();
                }
                else
                {
                    _runner?.Complete();
                }

                ReportProgress(ProgressRecordType.Completed);
                Finish(_stopping ? JobState.Stopped : JobState.Completed);
            }
            catch (Exception e)
            {
                // Nothing may escape this thread: an unhandled exception on it would end the whole PowerShell process.
                try
                {
                    _batch.Cancel();
                    Error.Add(new ErrorRecord(e, ErrorIds.JobFailed, ErrorCategory.NotSpecified, this));
                }
                catch (Exception)
                {
                    // The job was disposed under us (Remove-Job -Force): there is no one left to tell.
                }

                try
                {
                    Finish(JobState.Failed);
                }
                catch (Exception)
                {
                    // As above.
                }
            }
        }

        /// <summary>Inputs still queued when the job was stopped: each gets its Canceled result too (nothing is lost).</summary>
        private void CancelUnsent()
        {
            while (_input.TryDequeue(out PSObject? item))
            {
                _inputRoom.Release();
                if (RequestBuilder.FromInput(item, _defaults, out FetchRequest? request) != RequestBuilder.Outcome.Skip)
                {
                    Emit(FetchResult.CreateFailure(request!, FetchErrorKind.Canceled, "The job was stopped before this request was sent."), null);
                }
            }
        }

        private void Submit(PSObject? item)
        {
            Admission admission = _recorder.Admit(item, _defaults, _includeSkipped);
            if (admission.Immediate != null)
            {
                Emit(admission.Immediate, admission.ErrorId);
            }

            if (admission.Request != null)
            {
                _batch.TrySubmit(admission.Request); // the caller checked CanSubmit
            }
        }

        private void Emit(FetchResult result, string? errorId)
        {
            if (result.ErrorKind != FetchErrorKind.Skipped)
            {
                _recorder.Record(result);
            }

            if (_verbose)
            {
                Verbose.Add(new VerboseRecord(ResultRecords.VerboseLine(result)));
            }

            // A request cancelled by Stop-Job was the user's doing: its result is kept, without an error.
            bool stoppedByUser = _stopping && result.ErrorKind == FetchErrorKind.Canceled;
            ErrorRecord? error = stoppedByUser ? null : ResultRecords.ErrorFor(result, errorId);
            if (error != null)
            {
                Error.Add(error);
            }

            if (_runner != null && !_stopping)
            {
                _runner.Add(result);
            }
            else
            {
                Output.Add(PSObject.AsPSObject(result));
            }
        }

        private void ReportProgress(ProgressRecordType type)
        {
            FetchBatchStatistics s = _batch.GetStatistics();
            Progress.Add(new ProgressRecord(Math.Abs(Id) + 1, "FetchJob " + Name, ResultRecords.ProgressStatus(s)) { RecordType = type });
        }
    }
}
