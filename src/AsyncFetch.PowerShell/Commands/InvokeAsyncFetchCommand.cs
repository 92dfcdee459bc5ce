using System;
using System.Diagnostics;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using System.Threading;
using AsyncFetch.Engine.Internal;
using AsyncFetch.PowerShell.Internal;
using AsyncFetch.PowerShell.Output;
using AsyncFetch.Engine.Batch;
using AsyncFetch.Engine.Journal;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// Invoke-AsyncFetch: pipeline input becomes concurrent requests on the shared engine.
    ///
    /// Threading: the engine completes requests on its loop thread into the batch's queue;
    /// only this pipeline thread drains it, writes output, errors, verbose and progress, and runs -OnComplete.
    /// ProcessRecord submits and drains without blocking; when the batch's window is full it waits while
    /// draining, so memory stays bounded for any input length. EndProcessing drains until every request has
    /// finished. StopProcessing (Ctrl+C) and Dispose (-ErrorAction Stop, a downstream Select-Object -First)
    /// only cancel: each request still ends as a Canceled result, sockets closed.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "AsyncFetch", HelpUri = "https://github.com/AsyncFetch/AsyncFetch/blob/main/docs/en-US/Invoke-AsyncFetch.md")]
    [OutputType(typeof(FetchResult), typeof(PSObject))]
    public sealed partial class InvokeAsyncFetchCommand : FetchCommandBase, IDisposable
    {
        private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);
        private static readonly TimeSpan WaitSlice = TimeSpan.FromMilliseconds(200);

        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly Stopwatch _sinceProgress = new Stopwatch();
        private FetchBatch? _batch;
        private RunRecorder? _recorder;
        private ResultWriter? _writer;
        private bool _summarySet;
        private RequestDefaults _defaults = null!;
        private bool _verbose;
        private bool _progress;
        private int _progressId;
        private long _knownTotal = -1;
        private int _refillRun = 1;

        /// <summary>A script block run for each completed request on the pipeline thread, with $_ (and $args[0]) the FetchResult; its output is the command's output.</summary>
        [Parameter]
        public ScriptBlock? OnComplete { get; set; }

        /// <summary>Emit results in input order (a bounded reorder buffer) instead of completion order.</summary>
        [Parameter]
        public SwitchParameter Ordered { get; set; }

        /// <summary>
        /// The name of a variable (without $) that receives a FetchSummary when the command ends: totals, counts by
        /// status and error kind, elapsed time, requests/s and latency percentiles. Set also when the run is stopped.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? SummaryVariable { get; set; }

        protected override void BeginProcessing()
        {
            _defaults = BuildDefaults();
            PrepareOutFile(_defaults);
            _recorder = OpenRecorder();
            _batch = new FetchBatch(EngineHost.Shared, BuildBatchOptions(Ordered.IsPresent));
            _refillRun = Math.Max(1, Math.Min(ThrottleLimit / 2, _batch.Window / 4));
            _verbose = MyInvocation.BoundParameters.TryGetValue("Verbose", out object? v)
                ? ((SwitchParameter)v).IsPresent
                : !Equals(GetVariableValue("VerbosePreference"), ActionPreference.SilentlyContinue);
            _progress = !Equals(GetVariableValue("ProgressPreference"), ActionPreference.SilentlyContinue);
            _progressId = Math.Abs(GetHashCode() % 100000) + 1;
            _writer = new ResultWriter(_recorder, new CmdletResultSink(this, OnComplete, WritesResults), _verbose, CheckHttpStatus, ParseContent.IsPresent);
            OpenCrawl(); // -Follow (InvokeAsyncFetchCommand.Crawl.cs)
            if (!MyInvocation.ExpectingInput)
            {
                _knownTotal = Uri.Length;
            }

            if (_verbose && _recorder.ResumeDescription != null)
            {
                WriteVerbose(_recorder.ResumeDescription);
            }

            _sinceProgress.Start();
        }

        [MethodImpl(Hot.Path)]
        protected override void ProcessRecord()
        {
            CountOutFileInputs();
            foreach (PSObject? input in Uri)
            {
                RequestBuilder.Outcome outcome = RequestBuilder.FromInput(input, _defaults, out FetchRequest? built, out string? problem);
                // A crawl's start URLs are not skipped by the journal: its saved state decides (AddStart), and their hosts stay in scope.
                Admission admission = _recorder!.Admit(outcome, built, IncludeSkipped.IsPresent, problem, resumable: _crawl == null);
                if (admission.Immediate != null)
                {
                    // Through the batch, so that -Ordered keeps its place and the statistics count it.
                    MakeRoom();
                    _batch!.TryAddCompleted(admission.Immediate);
                }
                else if (admission.Request != null && _crawl != null)
                {
                    _crawl.AddStart(admission.Request); // a crawl starts here; the crawl sends it (FeedCrawl)
                }
                else if (admission.Request != null)
                {
                    MakeRoom();
                    _batch!.TrySubmit(admission.Request);
                }
            }

            Drain();
        }

        /// <summary>
        /// Drains, and waits while draining, until the window has room (only this thread submits, so it stays). A full
        /// window waits for a run of results (half the throttle limit, at most a quarter of the window), not for the
        /// next one: woken per completion, this thread and the loop would hand requests over one at a time, and on two
        /// cores those thread switches cost more than the requests.
        /// </summary>
        private void MakeRoom()
        {
            while (!_batch!.CanSubmit)
            {
                Drain();
                if (!_batch.CanSubmit)
                {
                    Wait(_refillRun);
                }
            }
        }

        protected override void EndProcessing()
        {
            while (!_batch!.IsDrained || CrawlBusy)
            {
                Drain();
                if (!_batch.IsDrained || CrawlBusy)
                {
                    Wait();
                }
            }

            Drain();
            CloseCrawl();
            SetSummary();
            if (SessionFileToSave?.Save() is ErrorRecord sessionError)
            {
                WriteError(sessionError);
            }

            if (_progress && _progressShown)
            {
                WriteProgress(new ProgressRecord(_progressId, Strings.ProgressActivity, "Done") { RecordType = ProgressRecordType.Completed });
            }
        }

        protected override void StopProcessing()
        {
            _stop.Cancel();
            _batch?.Cancel();
        }

        public void Dispose()
        {
            _batch?.Dispose();
            try
            {
                SetSummary(); // a run ended by Ctrl+C or -ErrorAction Stop still reports what it did
                SessionFileToSave?.Save(); // and keeps the cookies it got
            }
            catch (Exception)
            {
                // The session may be going away; the summary is a courtesy then.
            }

            _recorder?.Dispose();
            _stop.Dispose();
        }

        private void SetSummary()
        {
            if (SummaryVariable != null && _recorder != null && !_summarySet)
            {
                _summarySet = true;
                SessionState.PSVariable.Set(SummaryVariable, _recorder.BuildSummary());
            }
        }

        private bool _progressShown;

        private void Wait(int results = 1)
        {
            _batch!.WaitForResults(results, _crawl?.WaitHint(WaitSlice) ?? WaitSlice, _stop.Token);
            _writer!.Tick();

            if (_stop.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }

            ReportProgress();
        }

        [MethodImpl(Hot.Path)]
        private void Drain()
        {
            while (_batch!.TryTake(out FetchResult result))
            {
                if (_crawl == null || _crawl.Take(result))
                {
                    _writer!.Write(result);
                }
            }

            FeedCrawl();

            ReportProgress();
        }

        [MethodImpl(Hot.Path)]
        private void ReportProgress()
        {
            if (!_progress || _sinceProgress.Elapsed < ProgressInterval)
            {
                return;
            }

            _sinceProgress.Restart();
            FetchBatchStatistics s = _batch!.GetStatistics();
            var record = new ProgressRecord(_progressId, Strings.ProgressActivity, ResultRecords.ProgressStatus(s));
            if (_knownTotal > 0)
            {
                record.PercentComplete = (int)Math.Min(100, s.Completed * 100 / _knownTotal);
            }

            WriteProgress(record);
            _progressShown = true;
        }
    }
}
