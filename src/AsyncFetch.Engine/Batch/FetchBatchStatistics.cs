using System;
using System.Collections.Generic;

namespace AsyncFetch.Engine.Batch
{
    /// <summary>A snapshot of a batch's progress.</summary>
    public sealed class FetchBatchStatistics
    {
        internal FetchBatchStatistics(long submitted, long completed, long succeeded, long failed, long taken, long active, TimeSpan elapsed, IReadOnlyDictionary<int, long> byStatus, IReadOnlyDictionary<FetchErrorKind, long> byErrorKind)
        {
            InFlight = Math.Min(active, submitted - completed);
            Submitted = submitted;
            Completed = completed;
            Succeeded = succeeded;
            Failed = failed;
            Taken = taken;
            Elapsed = elapsed;
            ByStatus = byStatus;
            ByErrorKind = byErrorKind;
        }

        /// <summary>Requests submitted to the batch.</summary>
        public long Submitted { get; }

        /// <summary>Requests that finished (any outcome, skipped ones not counted).</summary>
        public long Completed { get; }

        /// <summary>Completed with a response whose status is below 400.</summary>
        public long Succeeded { get; }

        /// <summary>Completed with a transport failure or a status of 400 or more.</summary>
        public long Failed { get; }

        /// <summary>
        /// Completed requests that shared an identical GET in flight instead of going to the network
        /// (<see cref="FetchBatchOptions.CoalesceIdenticalGets"/>): requests sent = <see cref="Completed"/> minus this.
        /// </summary>
        public long Coalesced { get; internal set; }

        /// <summary>Results handed to the consumer.</summary>
        public long Taken { get; }

        /// <summary>Requests running now (holding a concurrency slot): at most the concurrency limit.</summary>
        public long InFlight { get; }

        /// <summary>Requests submitted and waiting for a slot.</summary>
        public long Waiting => Submitted - Completed - InFlight;

        /// <summary>Time since the first submission.</summary>
        public TimeSpan Elapsed { get; }

        /// <summary>Completed requests per second of <see cref="Elapsed"/>.</summary>
        public double RequestsPerSecond => Elapsed.TotalSeconds > 0 ? Completed / Elapsed.TotalSeconds : 0;

        /// <summary>Responses by HTTP status code.</summary>
        public IReadOnlyDictionary<int, long> ByStatus { get; }

        /// <summary>Transport failures by kind.</summary>
        public IReadOnlyDictionary<FetchErrorKind, long> ByErrorKind { get; }
    }
}
