using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Management.Automation;
using System.Threading;
using AsyncFetch.PowerShell.Internal;
using AsyncFetch.Engine.Batch;
using AsyncFetch.Engine.Journal;

namespace AsyncFetch.PowerShell
{
    /// <summary>
    /// The job's pump thread: input queue → batch → streams. No user code runs here: input was converted to
    /// requests on the pipeline thread (Start-FetchJob), and -OnComplete runs in the job's own runspace.
    /// Whatever way the pump ends, every request it accepted ends as a result and producers are released.
    /// </summary>
    public sealed partial class FetchJob
    {
        private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

        private void Pump()
        {
            var sinceProgress = Stopwatch.StartNew();
            JobState outcome = JobState.Completed;
            try
            {
                while (true)
                {
                    while (!_stopping && _batch.CanSubmit && _input.TryDequeue(out JobInput item))
                    {
                        _inputRoom.Release();
                        Submit(item);
                    }

                    // -OnComplete backpressure: results wait in the batch (bounded by its window) while the
                    // callback is behind, instead of piling up in the runner.
                    while ((_runner == null || _runner.Backlog < _window) && _batch.TryTake(out FetchResult result))
                    {
                        if (Crawl == null || Crawl.Take(result))
                        {
                            _writer!.Write(result);
                        }
                    }

                    if (!_stopping)
                    {
                        AddError(Crawl?.Feed(_batch, _recorder, _includeSkipped));
                    }

                    if (sinceProgress.Elapsed >= ProgressInterval)
                    {
                        sinceProgress.Restart();
                        ReportProgress(ProgressRecordType.Processing);
                    }

                    bool inputDone = _stopping || (_inputClosed && _input.IsEmpty);
                    if (inputDone && _batch.IsDrained && (_stopping || Crawl == null || Crawl.IsIdle))
                    {
                        break;
                    }

                    // Input, a stop or any result wakes the pump. Tried and measured (20,000 1 KiB GETs from nginx,
                    // 4 × 5 runs alternating with this code): waiting for a run of results when the window is full, as
                    // Invoke-AsyncFetch does, made jobs slower here (median 9-17k against 24-32k req/s); waking only
                    // when the input queue was empty made no difference. So this stays simple.
                    TimeSpan nap = TimeSpan.FromMilliseconds(_runner != null && _runner.Backlog >= _window ? 20 : 250);
                    _wake.WaitOne(Crawl?.WaitHint(nap) ?? nap);
                    _writer!.Tick();
                }

                if (!_stopping)
                {
                    _runner?.Complete();
                }

                outcome = _stopping ? JobState.Stopped : JobState.Completed;
            }
            catch (Exception e)
            {
                // Nothing may escape this thread: an unhandled exception on it would end the whole PowerShell process.
                outcome = JobState.Failed;
                AddError(new ErrorRecord(e, ErrorIds.JobFailed, ErrorCategory.NotSpecified, this));
            }

            try
            {
                WindDown(outcome);
            }
            catch (Exception)
            {
                // The job was disposed under us (Remove-Job -Force): there is no one left to tell.
            }
            finally
            {
                Finish(outcome);
            }
        }

        /// <summary>After a stop or a failure: no more input; what is in flight and queued ends as Canceled results.</summary>
        private void WindDown(JobState outcome)
        {
            CloseInput();
            if (outcome == JobState.Completed)
            {
                ReportProgress(ProgressRecordType.Completed);
                return;
            }

            _batch.Cancel();
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            while (!_batch.IsDrained && DateTime.UtcNow < deadline)
            {
                while (_batch.TryTake(out FetchResult result))
                {
                    Output.Add(PSObject.AsPSObject(result)); // canceled by the stop or the failure, not an error of its own
                }

                _batch.WaitForResult(TimeSpan.FromMilliseconds(50));
            }

            while (_input.TryDequeue(out JobInput item))
            {
                _inputRoom.Release();
                if (item.Request != null)
                {
                    Output.Add(PSObject.AsPSObject(FetchResult.CreateFailure(item.Request, FetchErrorKind.Canceled,
                        outcome == JobState.Stopped ? "The job was stopped before this request was sent." : "The job failed before this request was sent.")));
                }
            }

            ReportProgress(ProgressRecordType.Completed);
        }

        private void Submit(JobInput item)
        {
            // A crawl's start URLs are not skipped by the journal: its saved state decides (AddStart), and their hosts stay in scope.
            Admission admission = _recorder.Admit(item.Outcome, item.Request, _includeSkipped, item.Problem, resumable: Crawl == null);
            if (admission.Immediate != null)
            {
                _batch.TryAddCompleted(admission.Immediate); // the caller checked CanSubmit; keeps -Ordered and the counts
            }

            else if (admission.Request != null && Crawl != null)
            {
                Crawl.AddStart(admission.Request); // a crawl starts here; Feed sends it
            }
            else if (admission.Request != null)
            {
                _batch.TrySubmit(admission.Request); // an input is a request or an immediate result, never both
            }
        }

        private void AddError(ErrorRecord? error)
        {
            if (error != null)
            {
                Error.Add(error);
            }
        }

        private void ReportProgress(ProgressRecordType type)
        {
            FetchBatchStatistics s = _batch.GetStatistics();
            Progress.Add(new ProgressRecord(Math.Abs(Id) + 1, "FetchJob " + Name, ResultRecords.ProgressStatus(s)) { RecordType = type });
        }

        /// <summary>One queued input, converted to a request on the pipeline thread.</summary>
        internal readonly struct JobInput
        {
            public JobInput(RequestBuilder.Outcome outcome, FetchRequest? request, string? problem)
            {
                Outcome = outcome;
                Request = request;
                Problem = problem;
            }

            public RequestBuilder.Outcome Outcome { get; }

            public FetchRequest? Request { get; }

            /// <summary>Why a NotAUrl input gives no URL, when it is more than the lack of a URL property.</summary>
            public string? Problem { get; }
        }
    }
}
