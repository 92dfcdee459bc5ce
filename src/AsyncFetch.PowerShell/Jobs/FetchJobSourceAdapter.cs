using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace AsyncFetch.PowerShell.Jobs
{
    /// <summary>
    /// The JobSourceAdapter through which the JobManager (and so Get-Job, Receive-Job, Stop-Job, Remove-Job)
    /// finds FetchJobs. As in ThreadJob, NewJob receives the already-built job in its parameters.
    /// </summary>
    public sealed class FetchJobSourceAdapter : JobSourceAdapter
    {
        internal const string NewJobParameter = "NewJob";

        public FetchJobSourceAdapter()
        {
            Name = nameof(FetchJobSourceAdapter);
        }

        public override Job2 NewJob(JobInvocationInfo specification)
        {
            foreach (CommandParameterCollection set in specification.Parameters)
            {
                foreach (CommandParameter p in set)
                {
                    if (p.Name == NewJobParameter && p.Value is FetchJob job)
                    {
                        return job;
                    }
                }
            }

            throw new PSArgumentException("A FetchJob is created with Start-FetchJob.");
        }

        public override IList<Job2> GetJobs() => FetchJob.All.Cast<Job2>().ToList();

        public override IList<Job2> GetJobsByName(string name, bool recurse) =>
            FetchJob.All.Where(j => string.Equals(j.Name, name, StringComparison.OrdinalIgnoreCase)).Cast<Job2>().ToList();

        public override IList<Job2> GetJobsByCommand(string command, bool recurse) =>
            FetchJob.All.Where(j => string.Equals(j.Command, command, StringComparison.OrdinalIgnoreCase)).Cast<Job2>().ToList();

        public override Job2? GetJobByInstanceId(Guid instanceId, bool recurse) => FetchJob.Find(instanceId);

        public override Job2? GetJobBySessionId(int id, bool recurse) => FetchJob.All.FirstOrDefault(j => j.Id == id);

        public override IList<Job2> GetJobsByState(JobState state, bool recurse) =>
            FetchJob.All.Where(j => j.JobStateInfo.State == state).Cast<Job2>().ToList();

        public override IList<Job2> GetJobsByFilter(Dictionary<string, object> filter, bool recurse) =>
            throw new PSNotSupportedException("FetchJobs cannot be filtered this way.");

        public override void RemoveJob(Job2 job)
        {
            if (job is FetchJob fetchJob)
            {
                if (!fetchJob.IsFinished)
                {
                    fetchJob.StopJob();
                }

                fetchJob.Dispose();
            }
        }
    }
}
