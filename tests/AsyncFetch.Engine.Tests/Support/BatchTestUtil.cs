using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>The consumer side of a batch, as the cmdlet drives it; every wait is bounded so a bug fails instead of hanging.</summary>
    internal static class BatchTestUtil
    {
        public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

        private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

        /// <summary>Submits every request while draining (backpressure: drain and wait when the window is full), then drains until the batch is empty.</summary>
        public static List<FetchResult> Run(FetchBatch batch, IEnumerable<FetchRequest> requests, Action<FetchBatch>? afterSubmit = null, TimeSpan? deadline = null)
        {
            var results = new List<FetchResult>();
            RunInto(batch, requests, results.Add, afterSubmit, deadline);
            return results;
        }

        /// <summary>As <see cref="Run(FetchBatch, IEnumerable{FetchRequest}, Action{FetchBatch}, TimeSpan?)"/>, handing each result to <paramref name="sink"/> (nothing kept).</summary>
        public static long RunInto(FetchBatch batch, IEnumerable<FetchRequest> requests, Action<FetchResult> sink, Action<FetchBatch>? afterSubmit = null, TimeSpan? deadline = null)
        {
            Stopwatch clock = Stopwatch.StartNew();
            TimeSpan limit = deadline ?? Deadline;
            long taken = 0;
            foreach (FetchRequest request in requests)
            {
                while (!batch.TrySubmit(request))
                {
                    if (Drain(batch, sink, ref taken) == 0)
                    {
                        CheckDeadline(batch, clock, limit, "submitting");
                        batch.WaitForResult(Poll);
                    }
                }

                afterSubmit?.Invoke(batch);
                Drain(batch, sink, ref taken);
            }

            DrainAll(batch, sink, ref taken, clock, limit);
            return taken;
        }

        /// <summary>Drains until everything submitted has been taken (bounded).</summary>
        public static List<FetchResult> DrainAll(FetchBatch batch, TimeSpan? deadline = null)
        {
            var results = new List<FetchResult>();
            long taken = 0;
            DrainAll(batch, results.Add, ref taken, Stopwatch.StartNew(), deadline ?? Deadline);
            return results;
        }

        /// <summary>Spins (bounded) until the condition holds; false when it never did.</summary>
        public static bool SpinUntil(Func<bool> condition, TimeSpan timeout) => SpinWait.SpinUntil(condition, timeout);

        public static string Describe(FetchBatch batch)
        {
            FetchBatchStatistics s = batch.GetStatistics();
            return $"submitted {s.Submitted}, completed {s.Completed}, taken {s.Taken}, outstanding {batch.Outstanding}, canceled {batch.IsCanceled}, " +
                "status {" + string.Join(", ", s.ByStatus.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")) + "}, " +
                "errors {" + string.Join(", ", s.ByErrorKind.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")) + "}";
        }

        private static void DrainAll(FetchBatch batch, Action<FetchResult> sink, ref long taken, Stopwatch clock, TimeSpan limit)
        {
            while (!batch.IsDrained)
            {
                if (Drain(batch, sink, ref taken) == 0)
                {
                    CheckDeadline(batch, clock, limit, "draining");
                    batch.WaitForResult(Poll);
                }
            }

            // Nothing may be left over once the batch says it is drained.
            Assert.False(batch.TryTake(out _), "a result could still be taken from a drained batch");
        }

        private static int Drain(FetchBatch batch, Action<FetchResult> sink, ref long taken)
        {
            int n = 0;
            while (batch.TryTake(out FetchResult result))
            {
                Assert.NotNull(result);
                sink(result);
                n++;
            }

            taken += n;
            return n;
        }

        private static void CheckDeadline(FetchBatch batch, Stopwatch clock, TimeSpan limit, string phase)
        {
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"The batch did not finish {phase} within {limit.TotalSeconds} s: {Describe(batch)}");
            }
        }
    }
}
