using System;

namespace AsyncFetch.Engine.Batch
{
    /// <summary>Limits and ordering of one batch (one cmdlet call, one job).</summary>
    public sealed class FetchBatchOptions
    {
        /// <summary>Requests in flight at once.</summary>
        public int MaxConcurrency { get; set; } = 32;

        /// <summary>Requests in flight at once to one host; 0 means the same as <see cref="MaxConcurrency"/>.</summary>
        public int PerHostLimit { get; set; }

        /// <summary>
        /// Requests started per second in all (the batch's -RateLimit), spaced evenly with a burst of one: 20 starts one
        /// request every 50 ms whatever <see cref="MaxConcurrency"/> is. 0 (the default): no limit.
        /// </summary>
        public double RateLimit { get; set; }

        /// <summary>Requests started per second to one host, spaced evenly with a burst of one; 0 (the default): no limit.</summary>
        public double PerHostRateLimit { get; set; }

        /// <summary>
        /// Requests submitted but not yet taken by the consumer, at most (0: four times the concurrency, at least
        /// 64). This bounds memory for any input length, and also bounds the reorder buffer of an ordered batch.
        /// </summary>
        public int Window { get; set; }

        /// <summary>Hand results out in submission order instead of completion order.</summary>
        public bool Ordered { get; set; }

        /// <summary>
        /// Identical GETs of this batch in flight at once share one request, each still with a result of its own (see
        /// <see cref="FetchEngineOptions.CoalesceIdenticalGets"/>, which turns it on for every request of an engine).
        /// False (the default): every request is sent.
        /// </summary>
        public bool CoalesceIdenticalGets { get; set; }

        /// <summary>
        /// Work done for each result on a thread-pool thread before the result is queued for taking, so that it runs
        /// beside the loop and the thread that takes results instead of on either: a crawl parses the links of its
        /// pages there. Null (the default): results are queued as they complete. It should not throw: an exception goes to
        /// <see cref="FetchEngine.CallbackFailed"/> and the result is handed out as it is.
        /// </summary>
        public Action<FetchResult>? PrepareResult { get; set; }

        internal int EffectivePerHostLimit => PerHostLimit > 0 ? PerHostLimit : MaxConcurrency;

        /// <summary>The window in effect: <see cref="Window"/>, or when it is 0, four times the concurrency and at least 64.</summary>
        public int EffectiveWindow => Window > 0 ? Window : Math.Max(64, MaxConcurrency * 4);

        internal void Validate()
        {
            if (MaxConcurrency < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), "The concurrency limit must be at least 1.");
            }

            if (PerHostLimit < 0 || Window < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(PerHostLimit), "Limits cannot be negative.");
            }

            if (!FetchEngineOptions.IsValidRate(RateLimit) || !FetchEngineOptions.IsValidRate(PerHostRateLimit))
            {
                throw new ArgumentOutOfRangeException(nameof(RateLimit), "Rate limits must be finite and not negative (0 for none).");
            }
        }
    }
}
