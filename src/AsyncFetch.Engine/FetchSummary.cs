using System;
using System.Collections.Generic;

namespace AsyncFetch
{
    /// <summary>
    /// The outcome of a run so far: counts, bytes, timing and latency percentiles. One type for
    /// Invoke-AsyncFetch -SummaryVariable and Receive-FetchJob -Summary (which adds the job's JobId, JobName and State).
    /// Flat and JSON-friendly: numbers, and string-keyed sorted breakdowns; no TimeSpan.
    /// A snapshot: later results do not change it.
    /// </summary>
    public sealed class FetchSummary
    {
        /// <summary>Results in the run so far (skipped ones included).</summary>
        public long Total { get; internal set; }

        /// <summary>Inputs accepted as requests so far (a running job may have some still waiting to be sent).</summary>
        public long Queued { get; internal set; }

        /// <summary>Requests that have finished, successfully or not (Total without the skipped ones).</summary>
        public long Completed { get; internal set; }

        /// <summary>Requests sent and not finished yet (0 once the run has ended).</summary>
        public long InFlight { get; internal set; }

        /// <summary>Responses with a status below 400.</summary>
        public long Succeeded { get; internal set; }

        /// <summary>Failures and responses with a status of 400 or more.</summary>
        public long Failed { get; internal set; }

        /// <summary>Inputs skipped because the journal showed them finished successfully (-Resume).</summary>
        public long Skipped { get; internal set; }

        /// <summary>Body bytes received (after content decoding), kept in memory, written to files or discarded; a HEAD response's announced length and the shared responses of coalesced results are not counted.</summary>
        public long BytesReceived { get; internal set; }

        /// <summary>
        /// Results that shared the response (or failure) of an identical GET in flight instead of a request of their own
        /// (-CoalesceRequests, <see cref="FetchEngineOptions.CoalesceIdenticalGets"/>); they count in the totals above too.
        /// </summary>
        public long Coalesced { get; internal set; }

        /// <summary>Responses by HTTP status code.</summary>
        public SortedDictionary<string, long> ByStatus { get; } = new SortedDictionary<string, long>(StringComparer.Ordinal);

        /// <summary>Transport failures by error kind.</summary>
        public SortedDictionary<string, long> ByErrorKind { get; } = new SortedDictionary<string, long>(StringComparer.Ordinal);

        /// <summary>Wall time of the run in seconds (a number, so it converts cleanly to JSON and CSV).</summary>
        public double ElapsedSeconds { get; internal set; }

        /// <summary>Finished (not skipped) requests per second.</summary>
        public double RequestsPerSecond => ElapsedSeconds > 0 ? Math.Round(Completed / ElapsedSeconds, 1) : 0;

        /// <summary>Median latency of the responses, in milliseconds.</summary>
        public double LatencyP50Ms { get; internal set; }

        /// <summary>95th percentile latency, in milliseconds.</summary>
        public double LatencyP95Ms { get; internal set; }

        /// <summary>99th percentile latency, in milliseconds.</summary>
        public double LatencyP99Ms { get; internal set; }

        /// <inheritdoc/>
        public override string ToString() => $"{Total} total, {Succeeded} succeeded, {Failed} failed, {Skipped} skipped in {ElapsedSeconds:0.0} s";
    }
}
