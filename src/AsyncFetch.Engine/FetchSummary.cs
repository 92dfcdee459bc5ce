using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch
{
    /// <summary>
    /// The outcome of a run (Invoke-AsyncFetch -SummaryVariable): counts, timing and latency percentiles.
    /// Flat and JSON-friendly: the breakdowns are string-keyed and sorted.
    /// </summary>
    public sealed class FetchSummary
    {
        /// <summary>Results in the run (skipped ones included).</summary>
        public long Total { get; internal set; }

        /// <summary>Responses with a 2xx status.</summary>
        public long Succeeded { get; internal set; }

        /// <summary>Failures and non-2xx responses.</summary>
        public long Failed { get; internal set; }

        /// <summary>Inputs skipped because the journal showed them finished successfully (-Resume).</summary>
        public long Skipped { get; internal set; }

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

        /// <summary>Fetched (not skipped) requests per second.</summary>
        public double RequestsPerSecond => ElapsedSeconds > 0 ? Math.Round((Total - Skipped) / ElapsedSeconds, 1) : 0;

        /// <summary>Median latency of the requests, in milliseconds.</summary>
        public double LatencyP50Ms { get; internal set; }

        /// <summary>95th percentile latency, in milliseconds.</summary>
        public double LatencyP95Ms { get; internal set; }

        /// <summary>99th percentile latency, in milliseconds.</summary>
        public double LatencyP99Ms { get; internal set; }

        /// <inheritdoc/>
        public override string ToString() => $"{Total} total, {Succeeded} succeeded, {Failed} failed, {Skipped} skipped in {ElapsedSeconds:0.0} s";
    }
}
