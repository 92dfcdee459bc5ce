using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// Receive-FetchJob: the results of FetchJobs with Receive-Job's consuming semantics (what it returns is not
    /// returned again unless -Keep), plus what scripts want: -Failed (only failed results) and -Summary.
    /// -Wait streams results as they complete until the job ends.
    /// </summary>
    [Cmdlet(VerbsCommunications.Receive, "FetchJob", DefaultParameterSetName = JobSet, HelpUri = "https://github.com/AsyncFetch/AsyncFetch/blob/main/docs/en-US/Receive-FetchJob.md")]
    [OutputType(typeof(FetchResult), typeof(FetchSummary))]
    public sealed class ReceiveFetchJobCommand : PSCmdlet, IDisposable
    {
        private const string JobSet = "Job";
        private const string IdSet = "Id";
        private const string NameSet = "Name";

        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly List<FetchJob> _jobs = new List<FetchJob>();

        /// <summary>The jobs, e.g. from Start-FetchJob or Get-Job.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = JobSet)]
        [ValidateNotNull]
        public Job[] Job { get; set; } = Array.Empty<Job>();

        /// <summary>The session ids of the jobs.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet)]
        public int[] Id { get; set; } = Array.Empty<int>();

        /// <summary>The names of the jobs.</summary>
        [Parameter(Mandatory = true, ParameterSetName = NameSet)]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        public string[] Name { get; set; } = Array.Empty<string>();

        /// <summary>Stream results as they complete until each job has finished.</summary>
        [Parameter]
        public SwitchParameter Wait { get; set; }

        /// <summary>Leave what is returned in the job, to be returned again.</summary>
        [Parameter]
        public SwitchParameter Keep { get; set; }

        /// <summary>With -Wait: remove each job once it has finished and everything was received.</summary>
        [Parameter]
        public SwitchParameter AutoRemoveJob { get; set; }

        /// <summary>Return only failed results (transport failures and statuses of 400 or more). Results passed over are consumed too, unless -Keep.</summary>
        [Parameter]
        public SwitchParameter Failed { get; set; }

        /// <summary>Return a summary per job (counts by status and error kind, elapsed, requests/s) instead of results; consumes nothing.</summary>
        [Parameter]
        public SwitchParameter Summary { get; set; }

        protected override void BeginProcessing()
        {
            if (AutoRemoveJob && !Wait)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException("-AutoRemoveJob can only be used with -Wait."), ErrorIds.AutoRemoveNeedsWait, ErrorCategory.InvalidArgument, null));
            }
        }

        protected override void ProcessRecord()
        {
            switch (ParameterSetName)
            {
                case IdSet:
                    foreach (int id in Id)
                    {
                        Add(FetchJob.All.FirstOrDefault(j => j.Id == id), id);
                    }

                    break;
                case NameSet:
                    foreach (string name in Name)
                    {
                        var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
                        List<FetchJob> found = FetchJob.All.Where(j => pattern.IsMatch(j.Name)).OrderBy(j => j.Id).ToList();
                        if (found.Count == 0)
                        {
                            Add(null, name);
                        }

                        found.ForEach(j => Add(j, name));
                    }

                    break;
                default:
                    foreach (Job job in Job)
                    {
                        if (job is FetchJob fetchJob)
                        {
                            Add(fetchJob, job.Id);
                        }
                        else
                        {
                            WriteError(new ErrorRecord(new ArgumentException($"Job {job.Id} ({job.Name}) is a {job.PSJobTypeName}, not a FetchJob; use Receive-Job for it."), ErrorIds.NotAFetchJob, ErrorCategory.InvalidType, job));
                        }
                    }

                    break;
            }
        }

        protected override void EndProcessing()
        {
            foreach (FetchJob job in _jobs)
            {
                if (Summary)
                {
                    if (Wait)
                    {
                        WaitUntilFinished(job);
                    }

                    // The type -SummaryVariable gives, with the job it describes.
                    var summary = PSObject.AsPSObject(job.GetSummary());
                    summary.Properties.Add(new PSNoteProperty("JobId", job.Id));
                    summary.Properties.Add(new PSNoteProperty("JobName", job.Name));
                    summary.Properties.Add(new PSNoteProperty("State", job.JobStateInfo.State.ToString()));
                    WriteObject(summary);
                    continue;
                }

                int kept = 0, keptErrors = 0;
                while (true)
                {
                    bool finished = job.IsFinished; // read before receiving, so nothing added after it is missed
                    ReceiveAvailable(job, ref kept, ref keptErrors);
                    if (!Wait || finished)
                    {
                        break;
                    }

                    job.WaitFinished(TimeSpan.FromMilliseconds(100), _stop.Token);
                    if (_stop.IsCancellationRequested)
                    {
                        throw new PipelineStoppedException();
                    }
                }

                if (AutoRemoveJob)
                {
                    InvokeCommand.InvokeScript(false, ScriptBlock.Create("param($j) Remove-Job -Job $j -Force"), null, job);
                }
            }
        }

        protected override void StopProcessing() => _stop.Cancel();

        public void Dispose() => _stop.Dispose();

        private void Add(FetchJob? job, object key)
        {
            if (job == null)
            {
                WriteError(new ErrorRecord(new ArgumentException(string.Format(CultureInfo.CurrentCulture, "No FetchJob matches '{0}'.", key)), ErrorIds.JobNotFound, ErrorCategory.ObjectNotFound, key));
            }
            else if (!_jobs.Contains(job))
            {
                _jobs.Add(job);
            }
        }

        private void WaitUntilFinished(FetchJob job)
        {
            while (!job.WaitFinished(TimeSpan.FromMilliseconds(200), _stop.Token))
            {
                if (_stop.IsCancellationRequested)
                {
                    throw new PipelineStoppedException();
                }
            }
        }

        /// <summary>Writes what the job's streams hold now: consumed, or (with -Keep) the part not yet written by this call.</summary>
        private void ReceiveAvailable(FetchJob job, ref int kept, ref int keptErrors)
        {
            IList<PSObject> output;
            if (Keep)
            {
                output = new List<PSObject>();
                for (int i = kept; i < job.Output.Count; i++)
                {
                    output.Add(job.Output[i]);
                }

                kept += output.Count;
            }
            else
            {
                output = job.Output.ReadAll();
            }

            foreach (PSObject item in output)
            {
                if (Failed && item.BaseObject is FetchResult r && r.Succeeded)
                {
                    continue;
                }

                WriteObject(item);
            }

            if (Keep)
            {
                // Errors are shown but stay; the other streams are left for Receive-Job, as they are not results.
                for (; keptErrors < job.Error.Count; keptErrors++)
                {
                    WriteError(job.Error[keptErrors]);
                }

                return;
            }

            foreach (ErrorRecord e in job.Error.ReadAll())
            {
                WriteError(e);
            }

            foreach (VerboseRecord v in job.Verbose.ReadAll())
            {
                WriteVerbose(v.Message);
            }

            foreach (WarningRecord w in job.Warning.ReadAll())
            {
                WriteWarning(w.Message);
            }

            foreach (InformationRecord i in job.Information.ReadAll())
            {
                WriteInformation(i);
            }

            job.Debug.ReadAll();
            foreach (ProgressRecord p in job.Progress.ReadAll())
            {
                WriteProgress(p);
            }
        }
    }
}
