using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Batch
{
    /// <summary>
    /// Coordinates one batch of requests between a producer/consumer thread (the cmdlet's pipeline thread)
    /// and the engine's loop:
    ///
    /// - a submit window: <see cref="TrySubmit"/> refuses when <see cref="FetchBatchOptions.Window"/> results are
    ///   outstanding (submitted, not yet taken), so the caller drains before it reads more input and memory
    ///   stays bounded for any input length;
    /// - a completion queue the loop fills and only the consumer drains (<see cref="TryTake"/>,
    ///   <see cref="WaitForResult"/>): the loop never runs caller code;
    /// - optional input order: results wait in a reorder buffer until every earlier one is taken; the window
    ///   bounds that buffer too;
    /// - statistics, readable at any time.
    ///
    /// Every submitted request yields exactly one result, including after <see cref="Cancel"/> (as Canceled).
    /// TrySubmit/TryTake/WaitForResult belong to one consumer thread; the rest is thread-safe.
    /// </summary>
    public sealed class FetchBatch : IDisposable
    {
        private readonly FetchEngine _engine;
        private readonly FetchLimiter _limiter;
        private readonly int _window;
        private readonly bool _ordered;
        private readonly Action<FetchResult>? _prepare;
        private readonly bool _coalesce;
        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();
        private readonly object _lock = new object();
        private readonly ConcurrentQueue<FetchResult> _completed = new ConcurrentQueue<FetchResult>(); // unordered: no lock between loop and consumer
        private readonly FetchResult?[] _reorder;
        private readonly ManualResetEventSlim _signal = new ManualResetEventSlim(false);
        private readonly Dictionary<int, long> _byStatus = new Dictionary<int, long>();
        private readonly Dictionary<FetchErrorKind, long> _byErrorKind = new Dictionary<FetchErrorKind, long>();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Action<FetchResult> _onResult;
        private long _submitted;
        private long _uncounted; // results added complete that statistics leave out (Skipped)
        private long _completedCount;
        private long _succeeded;
        private long _failed;
        private long _coalesced;
        private long _taken;
        private int _disposed;
        private int _ready; // unordered: results queued and not yet taken
        private int _wakeAt = 1; // unordered: how many ready results wake the waiting consumer (WaitForResults)

        /// <summary>Creates a batch that sends its requests on <paramref name="engine"/>, with its own limits from <paramref name="options"/> (defaults when null).</summary>
        public FetchBatch(FetchEngine engine, FetchBatchOptions? options = null)
        {
            options ??= new FetchBatchOptions();
            options.Validate();
            _engine = engine ?? throw new ArgumentNullException(nameof(engine));
            _limiter = engine.CreateLimiter(options.MaxConcurrency, options.EffectivePerHostLimit, options.RateLimit, options.PerHostRateLimit);
            _window = options.EffectiveWindow;
            _ordered = options.Ordered;
            _coalesce = options.CoalesceIdenticalGets || engine.Options.CoalesceIdenticalGets;
            _reorder = _ordered ? new FetchResult?[_window] : Array.Empty<FetchResult?>();
            _prepare = options.PrepareResult;
            _onResult = r => OnResult(r, -1);
        }

        /// <summary>
        /// Raised (on the loop thread) after each result is queued. Keep handlers tiny, e.g. setting an event that
        /// a consumer waiting on several things (input and results) shares.
        /// </summary>
        public event Action? ResultAvailable;

        /// <summary>The limiter this batch's requests go through (its concurrency, per-host and rate limits).</summary>
        public FetchLimiter Limiter => _limiter;

        /// <summary>Submitted and not yet taken (at most the window).</summary>
        public long Outstanding => Interlocked.Read(ref _submitted) - Interlocked.Read(ref _taken);

        /// <summary>True when the window has room for another submission.</summary>
        public bool CanSubmit => Outstanding < _window;

        /// <summary>The submit window: at most this many requests are submitted and not yet taken.</summary>
        public int Window => _window;

        /// <summary>True when everything submitted has been taken.</summary>
        public bool IsDrained => Outstanding == 0;

        /// <summary>True once the batch was canceled: requests not yet finished end as Canceled results.</summary>
        public bool IsCanceled => _cancel.IsCancellationRequested;

        /// <summary>Submits the request unless the window is full (then drain first and try again).</summary>
        [MethodImpl(Hot.Path)]
        public bool TrySubmit(FetchRequest request)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }

            if (!CanSubmit)
            {
                return false;
            }

            long sequence = Interlocked.Increment(ref _submitted) - 1;
            // An ordered batch needs each result's place: it travels in the request's own callback (the same
            // request object may well be submitted twice).
            Action<FetchResult> onResult = _ordered ? r => OnResult(r, sequence) : _onResult;
            try
            {
                _engine.SubmitCore(request, onResult, _limiter, _cancel.Token, _coalesce);
            }
            catch
            {
                Interlocked.Decrement(ref _submitted); // never submitted: it must not hold a window slot
                throw;
            }

            return true;
        }

        /// <summary>
        /// Adds a result that needs no request (input that is not a URL, an input skipped by -Resume) in the place of
        /// the next submission, so it keeps its input order and counts against the window; false when the window is
        /// full. It is counted in the statistics like a completed request, except a Skipped one.
        /// </summary>
        public bool TryAddCompleted(FetchResult result)
        {
            if (result == null)
            {
                throw new ArgumentNullException(nameof(result));
            }

            if (!CanSubmit)
            {
                return false;
            }

            long sequence = Interlocked.Increment(ref _submitted) - 1;
            if (result.ErrorKind == FetchErrorKind.Skipped)
            {
                Interlocked.Increment(ref _uncounted);
            }

            OnResult(result, sequence);
            return true;
        }

        /// <summary>Takes the next result (in completion order, or input order for an ordered batch) if one is ready.</summary>
        [MethodImpl(Hot.Path)]
        public bool TryTake(out FetchResult result)
        {
            if (!_ordered)
            {
                if (!_completed.TryDequeue(out result!))
                {
                    return false;
                }

                Interlocked.Decrement(ref _ready);
                Interlocked.Increment(ref _taken);
                return true;
            }

            lock (_lock)
            {
                int slot = (int)(_taken % _window);
                FetchResult? next = _reorder[slot];
                if (next == null)
                {
                    result = null!;
                    return false;
                }

                _reorder[slot] = null;
                result = next;
                Interlocked.Increment(ref _taken);
                return true;
            }
        }

        /// <summary>Waits until a result can be taken, the timeout passes or the token is cancelled. True when one can.</summary>
        public bool WaitForResult(TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            // Any completion wakes the wait, but in an ordered batch a later result does not make one takeable:
            // keep waiting until the next one in order is there or the time is up.
            var clock = Stopwatch.StartNew();
            while (true)
            {
                _signal.Reset();
                if (HasResult())
                {
                    return true;
                }

                TimeSpan left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    return false;
                }

                try
                {
                    _signal.Wait(left, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }

        /// <summary>
        /// Waits until at least <paramref name="count"/> results can be taken (fewer when fewer are outstanding), the
        /// timeout passes or the token is cancelled; true when at least one can be taken. For a consumer whose window is
        /// full: it wakes once for a run of results instead of once per completion, so it then submits a run of requests
        /// and the two threads do not hand each request over one by one (which halves throughput on 2 cores).
        /// An ordered batch waits for the next result in order, as <see cref="WaitForResult"/>.
        /// </summary>
        public bool WaitForResults(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            long outstanding = Outstanding;
            int wanted = (int)Math.Min(count, outstanding);
            if (_ordered || wanted <= 1)
            {
                return WaitForResult(timeout, cancellationToken);
            }

            Volatile.Write(ref _wakeAt, wanted);
            try
            {
                var clock = Stopwatch.StartNew();
                while (true)
                {
                    _signal.Reset();
                    if (Volatile.Read(ref _ready) >= wanted)
                    {
                        return true;
                    }

                    TimeSpan left = timeout - clock.Elapsed;
                    if (left <= TimeSpan.Zero)
                    {
                        return HasResult();
                    }

                    try
                    {
                        _signal.Wait(left, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        return false;
                    }
                }
            }
            finally
            {
                Volatile.Write(ref _wakeAt, 1);
            }
        }

        /// <summary>Cancels every outstanding request; each still yields its (Canceled) result.</summary>
        public void Cancel()
        {
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already disposed: everything was cancelled then.
            }
        }

        /// <summary>The counters so far (submitted, completed, succeeded, failed, elapsed); safe from any thread.</summary>
        public FetchBatchStatistics GetStatistics()
        {
            lock (_lock)
            {
                return new FetchBatchStatistics(
                    Interlocked.Read(ref _submitted) - Interlocked.Read(ref _uncounted),
                    Interlocked.Read(ref _completedCount),
                    Interlocked.Read(ref _succeeded),
                    Interlocked.Read(ref _failed),
                    Interlocked.Read(ref _taken),
                    _limiter.Active,
                    _clock.Elapsed,
                    new Dictionary<int, long>(_byStatus),
                    new Dictionary<FetchErrorKind, long>(_byErrorKind))
                {
                    Coalesced = _coalesced,
                };
            }
        }

        /// <summary>Cancels what is outstanding. Results not yet taken are dropped with the batch.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            Cancel();
        }

        private bool HasResult()
        {
            if (!_ordered)
            {
                return !_completed.IsEmpty;
            }

            lock (_lock)
            {
                return _reorder[(int)(Interlocked.Read(ref _taken) % _window)] != null;
            }
        }

        /// <summary>Loop thread (or the submitting thread for a request refused at once): record and queue, after <see cref="FetchBatchOptions.PrepareResult"/> on the pool when there is one.</summary>
        [MethodImpl(Hot.Path)]
        private void OnResult(FetchResult result, long sequence)
        {
            if (_prepare == null)
            {
                Publish(result, sequence);
                return;
            }

            ThreadPool.UnsafeQueueUserWorkItem(
                state =>
                {
                    var (batch, prepared, place) = ((FetchBatch, FetchResult, long))state!;
                    try
                    {
                        batch._prepare!(prepared);
                    }
                    catch (Exception e)
                    {
                        // On a pool thread an escaping exception would end the process: reported as the engine's
                        // completion callbacks are (FetchEngine.CallbackFailed), and the result is taken as it is.
                        batch._engine.ReportCallbackFailure(e);
                    }

                    batch.Publish(prepared, place);
                },
                (this, result, sequence));
        }

        [MethodImpl(Hot.Path)]
        private void Publish(FetchResult result, long sequence)
        {
            lock (_lock)
            {
                if (result.ErrorKind == FetchErrorKind.Skipped)
                {
                    // not a completion: only its place in the queue
                }
                else if (result.ErrorKind == FetchErrorKind.None)
                {
                    _byStatus[result.StatusCode] = _byStatus.TryGetValue(result.StatusCode, out long n) ? n + 1 : 1;
                }
                else
                {
                    _byErrorKind[result.ErrorKind] = _byErrorKind.TryGetValue(result.ErrorKind, out long n) ? n + 1 : 1;
                }

                if (result.ErrorKind != FetchErrorKind.Skipped)
                {
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

                    _completedCount++;
                }

                if (_ordered)
                {
                    // The window guarantees the slot is free: at most _window results are outstanding.
                    _reorder[(int)(sequence % _window)] = result;
                }
            }

            if (!_ordered)
            {
                _completed.Enqueue(result); // after the counters: a consumer that takes it sees it counted
                if (Interlocked.Increment(ref _ready) >= Volatile.Read(ref _wakeAt))
                {
                    _signal.Set();
                }
            }
            else
            {
                _signal.Set();
            }

            ResultAvailable?.Invoke();
        }
    }
}
