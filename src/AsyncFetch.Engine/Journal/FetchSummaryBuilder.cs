using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Journal
{
    /// <summary>
    /// Builds <see cref="FetchSummary"/> snapshots from results as they are taken. Results are added on the thread that
    /// takes them; a snapshot may be built on any thread (a job's summary is asked for by the user's thread while the
    /// job's pump adds): one lock, uncontended but for that.
    /// </summary>
    public sealed class FetchSummaryBuilder
    {
        private readonly object _gate = new object();
        private readonly LatencyHistogram _latency = new LatencyHistogram();
        private readonly Dictionary<int, long> _byStatus = new Dictionary<int, long>(); // per result: an int key, no string
        private readonly Dictionary<FetchErrorKind, long> _byErrorKind = new Dictionary<FetchErrorKind, long>();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _total;
        private long _succeeded;
        private long _failed;
        private long _skipped;
        private long _bytes;
        private long _coalesced;

        /// <summary>Counts a finished request (latency, status, error kind, bytes).</summary>
        [MethodImpl(Hot.Path)]
        public void Add(FetchResult result)
        {
            lock (_gate)
            {
                _total++;
                if (result.Succeeded)
                {
                    _succeeded++;
                }
                else
                {
                    _failed++;
                }

                if (result.Coalesced)
                {
                    _coalesced++;
                }

                if (result.ErrorKind == FetchErrorKind.None)
                {
                    _byStatus[result.StatusCode] = _byStatus.TryGetValue(result.StatusCode, out long n) ? n + 1 : 1;
                    _latency.Add(result.ElapsedMs);
                    if (!result.Coalesced && !string.Equals(result.Method, "HEAD", StringComparison.Ordinal))
                    {
                        _bytes += result.ContentLength;
                    }
                }
                else
                {
                    _byErrorKind[result.ErrorKind] = _byErrorKind.TryGetValue(result.ErrorKind, out long n) ? n + 1 : 1;
                }
            }
        }

        /// <summary>An input that was not fetched because it had already succeeded.</summary>
        public void AddSkipped()
        {
            lock (_gate)
            {
                _total++;
                _skipped++;
            }
        }

        /// <summary>The summary of a run that has ended: what was added so far, timed from this builder's creation.</summary>
        public FetchSummary Build() => Build(null);

        /// <summary>
        /// The summary of what was added so far. With <paramref name="live"/> (a running or finished batch's
        /// statistics), Queued, Completed, InFlight and the elapsed time are the batch's; without, the run has ended:
        /// nothing is in flight and the time is this builder's.
        /// </summary>
        public FetchSummary Build(Batch.FetchBatchStatistics? live)
        {
            var summary = new FetchSummary();
            lock (_gate)
            {
                // The string-keyed, sorted views (what JSON and the screen show) are made here, once per snapshot.
                foreach (KeyValuePair<int, long> pair in _byStatus)
                {
                    summary.ByStatus[pair.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)] = pair.Value;
                }

                foreach (KeyValuePair<FetchErrorKind, long> pair in _byErrorKind)
                {
                    summary.ByErrorKind[pair.Key.ToString()] = pair.Value;
                }

                summary.Total = _total;
                summary.Succeeded = _succeeded;
                summary.Failed = _failed;
                summary.Skipped = _skipped;
                summary.BytesReceived = _bytes;
                summary.Coalesced = _coalesced;
                summary.Completed = _total - _skipped;
                summary.Queued = _total - _skipped;
                summary.LatencyP50Ms = _latency.Percentile(50);
                summary.LatencyP95Ms = _latency.Percentile(95);
                summary.LatencyP99Ms = _latency.Percentile(99);
            }

            TimeSpan elapsed = _clock.Elapsed;
            if (live != null)
            {
                summary.Queued = live.Submitted;
                summary.Completed = live.Completed;
                summary.InFlight = live.InFlight;
                elapsed = live.Elapsed;
            }

            summary.ElapsedSeconds = Math.Round(elapsed.TotalSeconds, 3);
            return summary;
        }
    }
}
