using System;
using System.Management.Automation;
using System.Threading;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// Start-FetchJob: the same requests as Invoke-AsyncFetch (the same parameter definition), run as a
    /// background job. The job is written to the output at once; pipeline input then streams into it while the
    /// pipeline still runs (waiting only when the job's input queue is full), and the job outlives the pipeline.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Start, "FetchJob", HelpUri = "https://github.com/AsyncFetch/AsyncFetch/blob/main/docs/en-US/Start-FetchJob.md")]
    [OutputType(typeof(FetchJob))]
    public sealed class StartFetchJobCommand : FetchCommandBase, IDisposable
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private FetchJob? _job;
        private RequestDefaults _defaults = null!;

        /// <summary>A name for the job (Get-Job -Name, Receive-FetchJob -Name).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        /// <summary>
        /// A script block run for each completed request in a runspace the job owns (with the module imported),
        /// with $_ and $args[0] the FetchResult. Its output is the job's output. It sees the caller's variables only
        /// as $using:name, whose values are taken when the job starts.
        /// </summary>
        [Parameter]
        public ScriptBlock? OnComplete { get; set; }

        /// <summary>Emit results in input order instead of completion order.</summary>
        [Parameter]
        public SwitchParameter Ordered { get; set; }

        protected override void BeginProcessing()
        {
            System.Collections.Generic.Dictionary<string, object?> usingValues = new System.Collections.Generic.Dictionary<string, object?>();
            bool verbose = MyInvocation.BoundParameters.TryGetValue("Verbose", out object? v) && ((SwitchParameter)v).IsPresent;
            // The job's Command, shown by Get-Job: the line as typed, without the password of a URL in it nor the
            // credential header values, tokens and passwords the command was given (masked before it is shortened).
            string? typed = MyInvocation.Line?.Trim();
            var secrets = CommandSecrets.Collect(typed, Headers, WebSession, Uri, Token, Credential, ProxyCredential);
            string command = FetchRedaction.Text(typed, secrets) is string line && line.Length > 0
                ? (line.Length > 120 ? line.Substring(0, 117) + "..." : line)
                : "Start-FetchJob";
            string? onComplete = OnComplete == null ? null : UsingCapture.Rewrite(OnComplete.ToString(), this, out usingValues);
            _defaults = BuildDefaults();
            RunRecorder recorder = OpenRecorder();
            try
            {
                _job = new FetchJob(this, command, Name, _defaults, BuildBatchOptions(Ordered.IsPresent), onComplete, usingValues, verbose, recorder, IncludeSkipped.IsPresent, CheckHttpStatus, ParseContent.IsPresent);
                _job.SessionFile = SessionFileToSave;
                OpenCrawl(_job); // -Follow
                _job.StartJob();
            }
            catch
            {
                recorder.Dispose(); // the journal's lock must not outlive a job that never ran
                throw;
            }

            WriteObject(_job);
        }

        /// <summary>-Follow: the job crawls; a script block -Follow runs on the job's thread in a runspace of its own.</summary>
        private void OpenCrawl(FetchJob job)
        {
            CheckCrawlParameters();
            if (!IsCrawl)
            {
                return;
            }

            Func<FetchResult, System.Collections.Generic.IEnumerable<string>?>? follow = null;
            if (FollowScript is ScriptBlock script)
            {
                var runner = new Jobs.FollowRunner(script.ToString(), job.AddFollowError);
                job.FollowRunner = runner;
                follow = runner.Run;
            }

            job.Crawl = OpenCrawlRun(_defaults, follow);
        }

        protected override void ProcessRecord()
        {
            foreach (PSObject? item in Uri)
            {
                try
                {
                    // Converted here, on the pipeline thread: reading the input's properties may run user script.
                    RequestBuilder.Outcome outcome = RequestBuilder.FromInput(item, _defaults, out FetchRequest? request, out string? problem);
                    if (!_job!.InjectInput(outcome, request, problem, _stop.Token))
                    {
                        return; // the job was stopped: it takes no more input
                    }
                }
                catch (OperationCanceledException)
                {
                    throw new PipelineStoppedException();
                }
            }
        }

        protected override void EndProcessing() => _job?.CloseInput();

        protected override void StopProcessing() => _stop.Cancel();

        /// <summary>However the pipeline ends, the job finishes what it was given.</summary>
        public void Dispose()
        {
            _job?.CloseInput();
            _stop.Dispose();
        }
    }
}
