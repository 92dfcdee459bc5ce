using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Connections;
using AsyncFetch.Engine.Downloads;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Requests;

namespace AsyncFetch
{
    /// <summary>
    /// The HTTP/1.1 engine: one event loop thread owning every socket, connection pool, parser and timer,
    /// and two doors in from other threads, <see cref="Submit"/> (a callback per result) and
    /// <see cref="FetchAsync(FetchRequest, CancellationToken)"/> (a Task per result). Every request ends as
    /// exactly one <see cref="FetchResult"/>: success, an HTTP error status, or a typed failure — also when it
    /// is cancelled, when the engine is disposed, and when the loop itself fails.
    /// </summary>
    public sealed class FetchEngine : IDisposable
    {
        /// <summary>The longest Dispose waits for aborted downloads to delete their temporary files.</summary>
        private static readonly TimeSpan CleanupWait = TimeSpan.FromSeconds(5);

        private static readonly Action<object?> StartCallback = s => ((FetchOperation)s!).Start();
        private static readonly Action<object?> CancelCallback = s => ((FetchOperation)s!).Cancel();

        // Every request submitted and not completed, so a dying loop or Dispose can fail them. Concurrent: the
        // submitting thread adds and the loop removes, once per request each, and a lock here was the hottest
        // contention between a cmdlet's pipeline thread and the loop.
        private readonly ConcurrentDictionary<FetchOperation, byte> _pending = new ConcurrentDictionary<FetchOperation, byte>();
        private readonly HashSet<ConnectionEstablishment> _establishing = new HashSet<ConnectionEstablishment>();
        private readonly HashSet<HttpConnection> _connections = new HashSet<HttpConnection>();
        private volatile bool _disposed;
        private readonly object _disposeLock = new object();
        private int _openConnections;
        private long _connectionsOpened;
        private long _requestsCompleted;
        private InFlightGets? _inFlightGets;

        /// <summary>Starts an engine (its loop thread) with <paramref name="options"/>, or the defaults when null.</summary>
        public FetchEngine(FetchEngineOptions? options = null)
            : this(options, null)
        {
        }

        /// <summary>An engine over a given selector (tests use this to inject selector failures).</summary>
        internal FetchEngine(FetchEngineOptions? options, ISelector? selector)
        {
            Options = (options ?? new FetchEngineOptions()).Validate();
            ParserLimits = new HttpParserLimits
            {
                MaxHeaderBytes = Options.MaxHeaderBytes,
                MaxHeaderCount = Options.MaxHeaderCount,
            };
            ReceiveBuffer = new byte[Options.MaxHeaderBytes + (64 * 1024)];
            Loop = new EventLoop(selector ?? Selectors.Create(Options.Selector), "AsyncFetch event loop");
            DefaultLimiter = new FetchLimiter(Loop, Options.MaxConcurrency, Options.PerHostLimit, Options.RateLimit, Options.PerHostRateLimit);
            Loop.Faulted += OnLoopFaulted;
            Loop.CallbackFailed += e => CallbackFailed?.Invoke(e);
            Dns = new DnsResolver(Loop, Options.DnsCacheTime, Options.Resolver);
            Pools = new ConnectionPools(Loop, Options.IdleTimeout);
        }

        /// <summary>Raised (on the loop thread) when a result callback or other callback throws; the engine goes on.</summary>
        public event Action<Exception>? CallbackFailed;

        /// <summary>The options the engine was created with.</summary>
        public FetchEngineOptions Options { get; }

        /// <summary>The limits used when a request is submitted without a limiter of its own.</summary>
        public FetchLimiter DefaultLimiter { get; }

        /// <summary>True once the engine has been disposed or its loop has stopped: it completes new requests with a failure.</summary>
        public bool IsClosed => _disposed || Loop.IsClosed;

        /// <summary>"epoll" or "select".</summary>
        public string SelectorName => Loop.SelectorName;

        /// <summary>Requests submitted and not yet completed.</summary>
        public int PendingRequests => _pending.Count;

        /// <summary>Connections open now (connecting, busy or idle in a pool).</summary>
        public int OpenConnections => Volatile.Read(ref _openConnections);

        /// <summary>Connections opened since the engine started (reuse shows as requests per connection).</summary>
        public long ConnectionsOpened => Interlocked.Read(ref _connectionsOpened);

        /// <summary>Requests that have finished on this engine, any outcome.</summary>
        public long RequestsCompleted => Interlocked.Read(ref _requestsCompleted);

        internal EventLoop Loop { get; }

        internal DnsResolver Dns { get; }

        /// <summary>Idle keep-alive connections by origin, and their sweep (loop thread).</summary>
        internal ConnectionPools Pools { get; }

        internal HttpParserLimits ParserLimits { get; }

        /// <summary>The buffer request heads are written into before their connection sends them (loop thread only).</summary>
        internal SendBuffer SendBuffer { get; } = new SendBuffer();

        /// <summary>The loop's scratch buffer every connection reads into (loop thread only).</summary>
        internal byte[] ReceiveBuffer { get; }

        /// <summary>A limiter with its own concurrency limits (and no rate limits) for a batch of requests on this engine (a job, a cmdlet call).</summary>
        public FetchLimiter CreateLimiter(int maxConcurrency, int perHostLimit) => new FetchLimiter(Loop, maxConcurrency, perHostLimit);

        /// <summary>
        /// A limiter with its own limits for a batch of requests on this engine (a job, a cmdlet call): concurrency
        /// in all and per host, and request starts per second in all (<paramref name="rateLimit"/>) and per host
        /// (<paramref name="perHostRateLimit"/>), each spaced evenly with a burst of one; 0 means no rate limit.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">A limit below 1, or a rate that is negative, NaN or infinite.</exception>
        public FetchLimiter CreateLimiter(int maxConcurrency, int perHostLimit, double rateLimit, double perHostRateLimit) =>
            new FetchLimiter(Loop, maxConcurrency, perHostLimit, rateLimit, perHostRateLimit);

        /// <summary>
        /// Starts a request; <paramref name="onComplete"/> receives its result exactly once. The callback runs on
        /// the loop thread (or, for a request refused before reaching the loop, on the calling thread): keep it
        /// short, thread-safe and non-blocking. Safe to call from any thread.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public void Submit(FetchRequest request, Action<FetchResult> onComplete, FetchLimiter? limiter = null, CancellationToken cancellationToken = default) =>
            SubmitCore(request, onComplete, limiter, cancellationToken, Options.CoalesceIdenticalGets);

        /// <summary>
        /// <see cref="Submit(FetchRequest, Action{FetchResult}, FetchLimiter?, CancellationToken)"/>, sharing an identical
        /// GET in flight when <paramref name="coalesce"/> (a batch's CoalesceIdenticalGets, or the engine's).
        /// </summary>
        [MethodImpl(Hot.Path)]
        internal void SubmitCore(FetchRequest request, Action<FetchResult> onComplete, FetchLimiter? limiter, CancellationToken cancellationToken, bool coalesce)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }

            if (onComplete == null)
            {
                throw new ArgumentNullException(nameof(onComplete));
            }

            var op = new FetchOperation(this, request, limiter ?? DefaultLimiter, onComplete);
            string? invalid = FetchRequestHead.Validate(request, out Uri? uri)
                ?? FetchCredential.RefusalFor(request, Options.AllowUnencryptedAuthentication);
            if (invalid != null)
            {
                op.CompleteDetached(FetchErrorKind.InvalidRequest, invalid);
                return;
            }

            op.Prepare(uri!);
            if (coalesce)
            {
                op.CoalesceKey = CoalesceKey.For(request, uri!, op.Limiter, op.Cookies);
            }

            _pending.TryAdd(op, 0);

            // Added before these checks, so a Dispose or a dying loop either is seen here or fails the request itself
            // (both set their flag before they take their snapshot of _pending).
            if (_disposed)
            {
                op.CompleteDetached(FetchErrorKind.Canceled, "The engine has been disposed.");
                return;
            }

            if (Loop.Fault != null)
            {
                op.CompleteDetached(FetchErrorKind.Internal, LoopFailedMessage(Loop.Fault));
                return;
            }

            if (cancellationToken.CanBeCanceled)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    op.CompleteDetached(FetchErrorKind.Canceled, "The request was canceled.");
                    return;
                }

                op.CancellationRegistration = cancellationToken.Register(s => Loop.Post(CancelCallback, s), op);
            }

            if (!Loop.Post(StartCallback, op))
            {
                op.CompleteDetached(FetchErrorKind.Internal, LoopFailedMessage(Loop.Fault));
            }
        }

        /// <summary>The Task bridge: a Task that always completes with a result (never faults), off the loop thread.</summary>
        public Task<FetchResult> FetchAsync(FetchRequest request, CancellationToken cancellationToken = default) =>
            FetchAsync(request, null, cancellationToken);

        /// <inheritdoc cref="FetchAsync(FetchRequest, CancellationToken)"/>
        public Task<FetchResult> FetchAsync(FetchRequest request, FetchLimiter? limiter, CancellationToken cancellationToken = default)
        {
            var tcs = new TaskCompletionSource<FetchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            Submit(request, r => tcs.TrySetResult(r), limiter, cancellationToken);
            return tcs.Task;
        }

        /// <summary>Cancels every pending request (each completes as Canceled), closes all connections and stops the loop.</summary>
        public void Dispose()
        {
            lock (_disposeLock)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
            }

            Loop.Post(Shutdown);
            Loop.Dispose();

            // Whatever the loop could not finish (it had failed, or a request slipped in behind the shutdown).
            foreach (FetchOperation op in SnapshotPending())
            {
                op.CompleteDetached(FetchErrorKind.Canceled, "The engine was disposed.");
            }

            // A download aborted while its writer was creating or writing the temporary file deletes it when that
            // operation returns: wait for it (bounded: a stalled disk must not hang the caller), so none is left behind.
            DownloadSink.WaitForCleanups(CleanupWait);
        }

        internal void ReportCallbackFailure(Exception e)
        {
            try
            {
                CallbackFailed?.Invoke(e);
            }
            catch
            {
                // Diagnostics must not break completion.
            }
        }

        [MethodImpl(Hot.Path)]
        internal void OnOperationFinished(FetchOperation op)
        {
            _pending.TryRemove(op, out _);
            if (!op.IsSharedFetch) // a shared GET's members count, not the GET itself
            {
                Interlocked.Increment(ref _requestsCompleted);
            }
        }

        /// <summary>A connection is being established (its TCP connect starts): it counts as open from now on.</summary>
        internal void OnConnectionOpening(ConnectionEstablishment establishment)
        {
            _establishing.Add(establishment);
            Interlocked.Increment(ref _openConnections);
            Interlocked.Increment(ref _connectionsOpened);
        }

        /// <summary>The establishment handed its transport on: the connection made from it keeps the count.</summary>
        internal void OnConnectionEstablished(ConnectionEstablishment establishment) => _establishing.Remove(establishment);

        /// <summary>An establishment failed or was abandoned: what it had opened is closed.</summary>
        internal void OnConnectionClosing(ConnectionEstablishment establishment)
        {
            if (_establishing.Remove(establishment))
            {
                Interlocked.Decrement(ref _openConnections);
            }
        }

        internal void OnConnectionStarted(HttpConnection connection) => _connections.Add(connection);

        internal void OnConnectionClosed(HttpConnection connection)
        {
            if (_connections.Remove(connection))
            {
                Interlocked.Decrement(ref _openConnections);
            }
        }

        /// <summary>Identical GETs in flight (loop thread only), made when the first request that may share one reaches the loop.</summary>
        internal InFlightGets InFlightGets => _inFlightGets ??= new InFlightGets(this);

        /// <summary>Set on the loop while disposing: requests that get a slot now fail instead of starting.</summary>
        internal bool IsShuttingDown { get; private set; }

        private void Shutdown()
        {
            IsShuttingDown = true;
            foreach (FetchOperation op in SnapshotPending())
            {
                op.Fail(FetchErrorKind.Canceled, "The engine was disposed.", null);
            }

            _inFlightGets?.FailAll(FetchErrorKind.Canceled, "The engine was disposed.");

            foreach (ConnectionEstablishment establishment in new List<ConnectionEstablishment>(_establishing))
            {
                establishment.Abort(); // none should be left: each belonged to a request failed above
            }

            foreach (HttpConnection connection in new List<HttpConnection>(_connections))
            {
                connection.Close();
            }

            Pools.Clear();
        }

        private void OnLoopFaulted(Exception fault)
        {
            string message = LoopFailedMessage(fault);
            foreach (FetchOperation op in SnapshotPending())
            {
                op.CompleteDetached(FetchErrorKind.Internal, message);
            }

            foreach (ConnectionEstablishment establishment in new List<ConnectionEstablishment>(_establishing))
            {
                try
                {
                    establishment.Abort();
                }
                catch (Exception)
                {
                    // The selector is what failed; the sockets still get closed below it.
                }
            }

            foreach (HttpConnection connection in new List<HttpConnection>(_connections))
            {
                try
                {
                    connection.Close();
                }
                catch (Exception)
                {
                    // The selector is what failed; the sockets still get closed below it.
                }
            }
        }

        private List<FetchOperation> SnapshotPending() => new List<FetchOperation>(_pending.Keys);

        private static string LoopFailedMessage(Exception? fault) =>
            "The engine's event loop has stopped" + (fault == null ? "." : ": " + fault.Message);
    }
}
