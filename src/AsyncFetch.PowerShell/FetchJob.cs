using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using AsyncFetch.PowerShell.Internal;
using AsyncFetch.PowerShell.Jobs;
using AsyncFetch.PowerShell.Output;
using AsyncFetch.Engine.Batch;
using AsyncFetch.Engine.Journal;

namespace AsyncFetch.PowerShell
{
    /// <summary>
    /// A background fetch as a real PowerShell job (modelled on PowerShell/ThreadJob): a <see cref="Job2"/>
    /// registered with the session's JobManager through a <see cref="JobDefinition"/> naming
    /// <see cref="FetchJobSourceAdapter"/>, so Get-Job, Wait-Job, Receive-Job, Stop-Job and Remove-Job work on it.
    ///
    /// Pieces (one file each): this file holds the streams, state and statistics; FetchJob.Pump.cs the pump
    /// thread that feeds the shared engine from the input queue and drains results into the streams (through
    /// Output/ResultWriter.cs and Output/JobResultSink.cs, as Invoke-AsyncFetch does through its own sink);
    /// Jobs/OnCompleteRunner.cs the runspace the job owns for -OnComplete. Input arrives while the starting pipeline
    /// still runs (bounded queue: the caller waits when it is full), the job outlives that pipeline, and all its
    /// threads are background threads, so an exiting PowerShell never waits for it.
    ///
    /// Users name this type (help, the format view, -is checks): it stays AsyncFetch.PowerShell.FetchJob, at the
    /// project root with the other public types users see by name.
    /// </summary>
    public sealed partial class FetchJob : Job2
    {
        internal const int InputCapacity = 10000;

        private static readonly ConcurrentDictionary<Guid, FetchJob> Registry = new ConcurrentDictionary<Guid, FetchJob>();

        private readonly FetchBatch _batch;
        private readonly RequestDefaults _defaults;
        private readonly ConcurrentQueue<JobInput> _input = new ConcurrentQueue<JobInput>();
        private readonly SemaphoreSlim _inputRoom = new SemaphoreSlim(InputCapacity, InputCapacity);
        private readonly AutoResetEvent _wake = new AutoResetEvent(false);
        private readonly ManualResetEventSlim _finished = new ManualResetEventSlim(false);
        private readonly string? _onCompleteText;
        private readonly IDictionary<string, object?> _usingValues;
        private readonly string _modulePath;
        private readonly string? _location;
        private readonly bool _verbose;
        private readonly RunRecorder _recorder;
        private readonly bool _includeSkipped;
        private readonly bool _checkHttpStatus;
        private readonly bool _parseContent;
        private readonly int _window;
        private readonly object _stateLock = new object();
        private OnCompleteRunner? _runner;
        private ResultWriter? _writer; // set by StartJob, before the pump starts
        private FetchBatchStatistics? _final; // frozen when the job ends, so Elapsed and rates stop moving
        private Thread? _pump;
        private volatile bool _inputClosed;
        private volatile bool _stopping;

        internal FetchJob(PSCmdlet cmdlet, string command, string? name, RequestDefaults defaults, FetchBatchOptions options, string? onComplete, IDictionary<string, object?> usingValues, bool verbose, RunRecorder recorder, bool includeSkipped, bool checkHttpStatus, bool parseContent)
            : base(command, name)
        {
            PSJobTypeName = "FetchJob";
            _defaults = defaults;
            _verbose = verbose;
            _onCompleteText = onComplete;
            _recorder = recorder;
            _includeSkipped = includeSkipped;
            _checkHttpStatus = checkHttpStatus;
            _parseContent = parseContent;
            _usingValues = usingValues;
            _modulePath = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(typeof(FetchJob).Assembly.Location) ?? ".", "AsyncFetch.psd1");
            _location = defaults.Location; // the caller's, for the -OnComplete runspace

            Output = new PSDataCollection<PSObject> { EnumeratorNeverBlocks = true };
            Error = new PSDataCollection<ErrorRecord> { EnumeratorNeverBlocks = true };
            Progress = new PSDataCollection<ProgressRecord> { EnumeratorNeverBlocks = true };
            Verbose = new PSDataCollection<VerboseRecord> { EnumeratorNeverBlocks = true };
            Warning = new PSDataCollection<WarningRecord> { EnumeratorNeverBlocks = true };
            Debug = new PSDataCollection<DebugRecord> { EnumeratorNeverBlocks = true };
            Information = new PSDataCollection<InformationRecord> { EnumeratorNeverBlocks = true };

            _batch = new FetchBatch(EngineHost.Shared, options);
            _window = options.EffectiveWindow;
            _batch.ResultAvailable += () => _wake.Set();
            Registry[InstanceId] = this;

            // Through the JobManager, as ThreadJob does: its adapter then answers Get-Job and friends.
            var definition = new JobDefinition(typeof(FetchJobSourceAdapter), command, Name);
            var parameters = new Dictionary<string, object> { { FetchJobSourceAdapter.NewJobParameter, this } };
            cmdlet.JobManager.NewJob(new JobInvocationInfo(definition, parameters));
        }

        /// <summary>The crawl of -Follow; set before the job starts.</summary>
        internal CrawlRun? Crawl { get; set; }

        /// <summary>The runspace of a script block -Follow; closed when the job finishes.</summary>
        internal Jobs.FollowRunner? FollowRunner { get; set; }

        /// <summary>An error of a script block -Follow, into the job's error stream (pump thread).</summary>
        internal void AddFollowError(ErrorRecord error) => Error.Add(error);

        /// <summary>The session to save when the job finishes (-SessionPath); set before the job starts.</summary>
        internal SessionFile? SessionFile { get; set; }

        /// <summary>Inputs accepted as requests so far.</summary>
        public long Queued => Statistics.Submitted;

        /// <summary>Inputs skipped because the journal showed them already succeeded (-Resume).</summary>
        public long Skipped => _recorder.Skipped;

        public long Completed => Statistics.Completed;

        public long Succeeded => Statistics.Succeeded;

        public long Failed => Statistics.Failed;

        public long InFlight => Statistics.InFlight;

        public TimeSpan Elapsed => Statistics.Elapsed;

        public double RequestsPerSecond => Statistics.RequestsPerSecond;

        public override string StatusMessage => ResultRecords.ProgressStatus(Statistics);

        private FetchBatchStatistics Statistics => _final ?? _batch.GetStatistics();

        public override string Location => "AsyncFetch";

        /// <summary>True exactly while unread records are in any stream.</summary>
        public override bool HasMoreData =>
            Output.Count > 0 || Error.Count > 0 || Progress.Count > 0 || Verbose.Count > 0 || Warning.Count > 0 || Debug.Count > 0 || Information.Count > 0;

        /// <summary>
        /// A summary of the job so far, the type Invoke-AsyncFetch -SummaryVariable gives: counts by status and error
        /// kind, bytes received, latency percentiles, elapsed seconds, requests/s.
        /// </summary>
        public FetchSummary GetSummary() => _recorder.BuildSummary(Statistics);

        internal static FetchJob? Find(Guid instanceId) => Registry.TryGetValue(instanceId, out FetchJob? job) ? job : null;

        internal static IEnumerable<FetchJob> All => Registry.Values;

        internal bool IsFinished => _finished.IsSet;

        /// <summary>True once StopJob has been called on a started job.</summary>
        internal bool IsStopping => _stopping;

        /// <summary>Waits until the job has finished (or the timeout passes).</summary>
        internal bool WaitFinished(TimeSpan timeout, CancellationToken cancellationToken)
        {
            try
            {
                return _finished.Wait(timeout, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public override void StartJob()
        {
            lock (_stateLock)
            {
                if (JobStateInfo.State != JobState.NotStarted)
                {
                    throw new InvalidOperationException("The job has already been started.");
                }

                if (_onCompleteText != null)
                {
                    _runner = new OnCompleteRunner(_onCompleteText, _usingValues, _modulePath, _location, Output, Error);
                }

                _writer = new ResultWriter(_recorder, new JobResultSink(this, _runner), _verbose, _checkHttpStatus, _parseContent);

                _pump = new Thread(Pump) { IsBackground = true, Name = "AsyncFetch job " + Id };
                SetJobState(JobState.Running);
                _pump.Start();
            }
        }

        /// <summary>
        /// Adds input already converted on the caller's pipeline thread (so no user code, such as a ScriptProperty
        /// of the input object, ever runs on the pump); waits while the queue is full. False once the job takes no
        /// more input (stopped, failed or finished), also while waiting.
        /// </summary>
        internal bool InjectInput(RequestBuilder.Outcome outcome, FetchRequest? request, string? problem, CancellationToken cancellationToken)
        {
            if (outcome == RequestBuilder.Outcome.Skip)
            {
                return !_inputClosed;
            }

            while (!_inputRoom.Wait(100, cancellationToken))
            {
                if (_inputClosed || _stopping)
                {
                    return false;
                }
            }

            lock (_stateLock)
            {
                if (_inputClosed || _stopping)
                {
                    _inputRoom.Release();
                    return false; // checked under the lock the pump closes input with: nothing slips past its wind-down
                }

                _input.Enqueue(new JobInput(outcome, request, problem));
            }

            _wake.Set();
            return true;
        }

        /// <summary>No more input: the job finishes once what it has is done.</summary>
        internal void CloseInput()
        {
            lock (_stateLock)
            {
                _inputClosed = true;
            }

            _wake.Set();
        }

        /// <summary>Cancels everything in flight (each becomes a Canceled result) and waits for the job to stop.</summary>
        public override void StopJob()
        {
            lock (_stateLock)
            {
                if (JobStateInfo.State == JobState.NotStarted)
                {
                    _recorder.Dispose();
                    SetJobState(JobState.Stopped);
                    _finished.Set();
                    return;
                }
            }

            _stopping = true;
            _batch.Cancel();
            _runner?.Stop();
            _wake.Set();
            if (Thread.CurrentThread != _pump)
            {
                _finished.Wait(TimeSpan.FromSeconds(10)); // (on the pump itself there is nothing to wait for)
            }
        }

        public override void StopJob(bool force, string reason) => StopJob();

        public override void StartJobAsync()
        {
            StartJob();
            OnStartJobCompleted(new System.ComponentModel.AsyncCompletedEventArgs(null, false, this));
        }

        public override void StopJobAsync() => StopJobAsync(false, string.Empty);

        public override void StopJobAsync(bool force, string reason)
        {
            ThreadPool.QueueUserWorkItem(_ =>
            {
                Exception? error = null;
                try
                {
                    StopJob();
                }
                catch (Exception e)
                {
                    error = e; // reported through the completion event, never thrown on a pool thread
                }

                try
                {
                    OnStopJobCompleted(new System.ComponentModel.AsyncCompletedEventArgs(error, false, this));
                }
                catch (Exception)
                {
                    // The job was disposed meanwhile.
                }
            });
        }

        public override void SuspendJob() => throw new PSNotSupportedException("A FetchJob cannot be suspended.");

        public override void SuspendJob(bool force, string reason) => SuspendJob();

        public override void SuspendJobAsync() => SuspendJob();

        public override void SuspendJobAsync(bool force, string reason) => SuspendJob();

        public override void ResumeJob() => throw new PSNotSupportedException("A FetchJob cannot be suspended or resumed.");

        public override void ResumeJobAsync() => ResumeJob();

        public override void UnblockJob() => throw new PSNotSupportedException("A FetchJob is never blocked.");

        public override void UnblockJobAsync() => UnblockJob();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                if (!IsFinished && JobStateInfo.State == JobState.Running)
                {
                    StopJob();
                }

                Registry.TryRemove(InstanceId, out _);
                _runner?.Dispose();
                _batch.Dispose();
            }

            base.Dispose(disposing);
        }

        private void Finish(JobState state)
        {
            // StateChanged handlers run on this (the pump) thread and may stop or remove the job (Receive-Job
            // -AutoRemoveJob does): StopJob does not wait when called on the pump, and the job counts as finished
            // only after the state is final, so nobody disposes it while it is still being set.
            _final = _batch.GetStatistics();
            _recorder.Dispose(); // the journal is complete and on disk before the job says it has finished
            AddError(SessionFile?.Save()); // and so is the session (-SessionPath)
            AddError(Crawl?.SaveIfDue(force: true)); // and the crawl's seen-set and open URLs
            FollowRunner?.Dispose();
            try
            {
                _runner?.Dispose(); // its runspace is not kept for the job's lifetime
            }
            catch (Exception)
            {
                // A runner that failed to stop cleanly still gives its threads back on dispose.
            }

            try
            {
                lock (_stateLock)
                {
                    if (!IsFinalState(JobStateInfo.State))
                    {
                        SetJobState(state);
                    }
                }
            }
            catch (ObjectDisposedException)
            {
                // Removed from a handler of this very state change: nothing left to update.
            }
            finally
            {
                _finished.Set();
            }
        }

        private static bool IsFinalState(JobState state) =>
            state == JobState.Completed || state == JobState.Failed || state == JobState.Stopped;
    }
}
