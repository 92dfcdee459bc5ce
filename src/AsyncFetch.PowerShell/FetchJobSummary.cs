using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using AsyncFetch.Engine.Batch;
using AsyncFetch.Engine.Journal;

namespace AsyncFetch.PowerShell
{
    /// <summary>What a FetchJob has done: counts by status and error kind, timing. Receive-FetchJob -Summary.</summary>
    public sealed class FetchJobSummary
    {
        internal FetchJobSummary(FetchJob job, FetchBatchStatistics s)
        {
            Id = job.Id;
            Name = job.Name;
            State = job.JobStateInfo.State;
            Queued = s.Submitted;
            Skipped = job.Skipped;
            Completed = s.Completed;
            Succeeded = s.Succeeded;
            Failed = s.Failed;
            InFlight = s.InFlight;
            Elapsed = s.Elapsed;
            RequestsPerSecond = s.RequestsPerSecond;
            ByStatus = ToTable(s.ByStatus);
            ByErrorKind = ToTable(s.ByErrorKind);
        }

        public int Id { get; }

        public string Name { get; }

        public JobState State { get; }

        public long Queued { get; }

        /// <summary>Inputs skipped because the journal showed them already succeeded (-Resume).</summary>
        public long Skipped { get; }

        public long Completed { get; }

        public long Succeeded { get; }

        public long Failed { get; }

        public long InFlight { get; }

        public TimeSpan Elapsed { get; }

        public double RequestsPerSecond { get; }

        /// <summary>Responses by status code (keys are the codes).</summary>
        public Hashtable ByStatus { get; }

        /// <summary>Transport failures by error kind (keys are the kind names).</summary>
        public Hashtable ByErrorKind { get; }

        private static Hashtable ToTable<TKey>(IReadOnlyDictionary<TKey, long> counts)
        {
            var table = new Hashtable();
            foreach (KeyValuePair<TKey, long> pair in counts)
            {
                table[pair.Key!.ToString()] = pair.Value;
            }

            return table;
        }
    }
}
