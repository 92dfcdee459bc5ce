using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Journal
{
    /// <summary>Builds a <see cref="FetchSummary"/> from results as they are taken. One thread.</summary>
    public sealed class FetchSummaryBuilder
    {
        private readonly FetchSummary _summary = new FetchSummary();
        private readonly LatencyHistogram _latency = new LatencyHistogram();
        private readonly Dictionary<int, long> _byStatus = new Dictionary<int, long>(); // per result: an int key, no string
        private readonly Dictionary<FetchErrorKind, long> _byErrorKind = new Dictionary<FetchErrorKind, long>();
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        /// <summary>Counts a finished request (latency, status, error kind).</summary>
        [MethodImpl(Hot.Path)]
        public void Add(FetchResult result)
        {
            _summary.Total++;
            if (result.Succeeded)
            {
                _summary.Succeeded++;
            }
            else
            {
                _summary.Failed++;
            }

            if (result.Coalesced)
            {
                _summary.Coalesced++;
            }

            if (result.ErrorKind == FetchErrorKind.None)
            {
                _byStatus[result.StatusCode] = _byStatus.TryGetValue(result.StatusCode, out long n) ? n + 1 : 1;
                _latency.Add(result.ElapsedMs);
            }
            else
            {
                _byErrorKind[result.ErrorKind] = _byErrorKind.TryGetValue(result.ErrorKind, out long n) ? n + 1 : 1;
            }
        }

        /// <summary>An input that was not fetched because it had already succeeded.</summary>
        public void AddSkipped()
        {
            _summary.Total++;
            _summary.Skipped++;
        }

        /// <summary>The summary of what was added so far.</summary>
        public FetchSummary Build()
        {
            // The string-keyed, sorted views (what JSON and the screen show) are made here, once.
            _summary.ByStatus.Clear();
            foreach (KeyValuePair<int, long> pair in _byStatus)
            {
                _summary.ByStatus[pair.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)] = pair.Value;
            }

            _summary.ByErrorKind.Clear();
            foreach (KeyValuePair<FetchErrorKind, long> pair in _byErrorKind)
            {
                _summary.ByErrorKind[pair.Key.ToString()] = pair.Value;
            }

            _summary.ElapsedSeconds = Math.Round(_clock.Elapsed.TotalSeconds, 3);
            _summary.LatencyP50Ms = _latency.Percentile(50);
            _summary.LatencyP95Ms = _latency.Percentile(95);
            _summary.LatencyP99Ms = _latency.Percentile(99);
            return _summary;
        }

    }
}
