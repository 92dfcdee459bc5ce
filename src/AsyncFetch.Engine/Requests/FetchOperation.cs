using System;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading;
using AsyncFetch.Engine.Connections;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Proxy;
using AsyncFetch.Engine.Tls;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// One request from submission to its single result. Lives on the loop thread, except that a request
    /// which never reaches the loop (invalid, engine gone) is completed by the submitting thread; completion
    /// is guarded so it happens exactly once whoever gets there first.
    ///
    /// An attempt: slot granted by the limiter, total-timeout timer armed, an idle pooled connection taken
    /// or a new one resolved and connected (under the connect timeout), request sent, response parsed. This object is
    /// the parser's sink and passes what it reports to its <see cref="ResponseRecorder"/>, which records it and hands the
    /// body to one sink. The connection reports how the response ended once it has returned from the parser (complete,
    /// stopped by the sink, a parse error, the connection lost), and only then is anything decided. A failure on a reused connection
    /// before any response byte is a stale keep-alive connection: an idempotent request gets one more attempt on a new
    /// connection. Redirects and retries with backoff sit above the attempt (<see cref="RequestPolicy"/>).
    /// </summary>
    internal sealed partial class FetchOperation
    {
        private static readonly Action<object?> TotalTimeoutCallback = s => ((FetchOperation)s!).OnTotalTimeout();

        private static int s_nextHash;
        private readonly FetchEngine _engine;
        private readonly Action<FetchResult> _callback;
        private readonly ResponseRecorder _response;
        private RequestPolicy? _policy; // created when a response or a failure may call for a redirect or a retry
        private readonly int _hash = Interlocked.Increment(ref s_nextHash); // cheaper than the identity hash in the engine's pending set
        private Uri _uri = null!;
        private int _completed;
        private LoopTimer? _totalTimer;
        private ConnectionEstablishment? _establishment;
        private long _queuedAt;
        private long _attemptStart;
        private bool _https;
        private ProxyRoute? _proxy;
        private bool _requestSent; // some of the current request went out: a non-idempotent one is not retried

        public FetchOperation(FetchEngine engine, FetchRequest request, FetchLimiter limiter, Action<FetchResult> callback)
        {
            _engine = engine;
            Request = request;
            Limiter = limiter;
            _callback = callback;
            Result = new FetchResult(request);
            _response = new ResponseRecorder(this);
        }

        /// <summary>The request being sent: the caller's, or after a redirect the next hop's (the result keeps the caller's).</summary>
        public FetchRequest Request { get; private set; }

        public FetchResult Result { get; }

        public FetchLimiter Limiter { get; }

        public string HostKey { get; private set; } = string.Empty;

        public string OriginKey { get; private set; } = string.Empty;

        public bool IsCompleted => Volatile.Read(ref _completed) != 0;

        /// <summary>Submission order within the limiter (FIFO tie-breaks).</summary>
        internal long Sequence { get; set; }

        /// <summary>The limiter's per-host slots while this request holds one.</summary>
        internal FetchLimiter.HostSlots? HostSlots { get; set; }

        /// <summary>The connection carrying the current attempt.</summary>
        internal HttpConnection? Connection { get; set; }

        internal CancellationTokenRegistration CancellationRegistration { get; set; }

        /// <summary>The request carries "Connection: close": its connection is not reused whatever the server says.</summary>
        internal bool RequestAsksToClose => FetchRequestHead.AsksToClose(Request);

        internal EventLoop Loop => _engine.Loop;

        internal FetchEngineOptions Options => _engine.Options;

        internal bool IsShuttingDown => _engine.IsShuttingDown;

        private RequestPolicy Policy => _policy ??= new RequestPolicy(this);

        private TimeSpan Timeout => Request.Timeout ?? _engine.Options.Timeout;

        /// <summary>How long establishing a connection may take (TCP connect, proxy tunnel and TLS handshake together).</summary>
        internal TimeSpan ConnectTimeout => Request.ConnectTimeout ?? _engine.Options.ConnectTimeout;

        /// <summary>Submitting thread: fixes the target once validation has passed.</summary>
        [MethodImpl(Hot.Path)]
        public void Prepare(Uri uri)
        {
            string host = uri.IdnHost;
            HostKey = host;
            SetTarget(uri, host);
        }

        /// <summary>
        /// The request goes to <paramref name="uri"/> (the first one, or a redirect hop's): its scheme, its proxy (each
        /// hop routed by its own target), and the pool its connections come from. A plain http request through a
        /// proxy shares the proxy's connections with every other target; an https one has a tunnel of its own
        /// target, so its key is the target's origin and TLS settings plus the proxy.
        /// </summary>
        [MethodImpl(Hot.Path)]
        private void SetTarget(Uri uri, string host)
        {
            _uri = uri;
            _https = uri.Scheme == "https";
            string key = uri.Scheme + "://" + host + ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
            if (_https)
            {
                key += TlsSettings.PoolKeySuffix(SkipCertificateCheck, ClientCertificates);
            }

            ProxyRoute? route = (Request.Proxy ?? _engine.Options.Proxy)?.RouteFor(uri);
            _proxy = route;
            if (route != null)
            {
                key = _https ? key + "|via:" + route.PoolKey : route.PoolKey;
                Result.Proxy = route.Name;
            }
            else
            {
                Result.Proxy = null;
            }

            OriginKey = key;
        }

        /// <summary>The connection must speak TLS (https).</summary>
        public bool IsHttps => _https;

        /// <summary>The proxy the current request goes through, or null (direct).</summary>
        internal ProxyRoute? Proxy => _proxy;

        /// <summary>The current request's target (a redirect hop's, after a redirect).</summary>
        internal Uri Target => _uri;

        /// <summary>The cookie jar of the current request, or null: none.</summary>
        internal System.Net.CookieContainer? Cookies => Request.CookieContainer ?? _engine.Options.CookieContainer;

        /// <summary>The User-Agent the request sends (for a CONNECT too).</summary>
        internal string UserAgent => Request.UserAgent ?? _engine.Options.UserAgent;

        /// <summary>The host name for SNI and certificate name checks (IDN as punycode, IPv6 without brackets).</summary>
        public string TlsHost => _uri.HostNameType == UriHostNameType.IPv6 ? _uri.DnsSafeHost : _uri.IdnHost;

        /// <summary>Host and port, for messages.</summary>
        public string Authority => _uri.Host + ":" + _uri.Port.ToString(CultureInfo.InvariantCulture);

        public bool SkipCertificateCheck => Request.SkipCertificateCheck ?? _engine.Options.SkipCertificateCheck;

        public System.Security.Cryptography.X509Certificates.X509CertificateCollection? ClientCertificates =>
            Request.ClientCertificates ?? _engine.Options.ClientCertificates;

        public override int GetHashCode() => _hash;

        public override bool Equals(object? obj) => ReferenceEquals(this, obj);

        /// <summary>Loop thread: hand the request to its limiter.</summary>
        [MethodImpl(Hot.Path)]
        public void Start()
        {
            if (IsCompleted)
            {
                return;
            }

            if (CoalesceKey != null)
            {
                _engine.InFlightGets.Join(this); // an identical GET in flight answers this one too
                return;
            }

            _queuedAt = EventLoop.Now;
            Limiter.Enqueue(this);
        }

        /// <summary>The limiter granted a slot: begin the first attempt.</summary>
        [MethodImpl(Hot.Path)]
        public void OnSlotGranted()
        {
            if (_engine.IsShuttingDown)
            {
                Fail(FetchErrorKind.Canceled, "The engine was disposed.", null);
                return;
            }

            Result.Timings.QueuedMs = _engine.Loop.TicksToMilliseconds(EventLoop.Now - _queuedAt);
            StartAttempt(allowPooled: true);
        }

        /// <summary>
        /// Writes the request head into the engine's send buffer; small bodies go along in the same buffer, a streamed
        /// body (<paramref name="content"/>) is for the connection to send after the head. The wait for the response
        /// (OperationTimeout) starts here.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public int WriteRequestHead(SendBuffer buffer, out byte[]? separateBody, out FetchRequestBody? content)
        {
            content = Request.Content;
            StartOperationTimer();
            FetchEngineOptions o = _engine.Options;
            _requestSent = true; // from here on a non-idempotent request is not retried
            // Through a proxy, plain http is sent in absolute form; https went through a tunnel and is origin-form.
            HttpRequestHead head = FetchRequestHead.Describe(Request, _uri, o.UserAgent, o.AutomaticDecompression, _https ? null : _proxy);
            head.Cookie = CookieJar.HeaderFor(Cookies, _uri); // each hop its own: the jar may have changed since the last
            int length = buffer.WriteHead(head);
            byte[]? body = Request.Body;
            separateBody = null;
            if (body != null && body.Length > 0)
            {
                if (body.Length <= 16 * 1024)
                {
                    length = buffer.Append(length, body);
                }
                else
                {
                    separateBody = body;
                }
            }

            return length;
        }

        public void OnFirstByte() => Result.Timings.FirstByteMs = Ms(EventLoop.Now - _attemptStart);

        /// <summary>Loop thread (or any thread before the request reached the loop): fails the attempt, which is retried if the retry policy allows, or else the request.</summary>
        public void Fail(FetchErrorKind kind, string message, Exception? exception)
        {
            if (!Policy.TryRetryFailure(kind, exception, _requestSent, _response.IsComplete))
            {
                Complete(kind, message, exception);
            }
        }

        /// <summary>The response's body is stored (the recorder has put it on the result): the request succeeds.</summary>
        internal void Succeed() => Complete(FetchErrorKind.None, null, null);

        /// <summary>Loop thread: cancellation requested through the token.</summary>
        public void Cancel()
        {
            bool waiting = !IsCompleted;
            Complete(FetchErrorKind.Canceled, "The request was canceled.", null);
            if (waiting)
            {
                SharedGet?.OnMemberCanceled(); // the GET it waited for goes on for the others, if any
            }
        }

        /// <summary>
        /// Completes a request that is not (or no longer) driven by a live loop: only the result and the
        /// callback, none of the loop's structures. Safe from any thread; a no-op if already completed.
        /// </summary>
        public void CompleteDetached(FetchErrorKind kind, string message)
        {
            if (Interlocked.Exchange(ref _completed, 1) != 0)
            {
                return;
            }

            Result.ErrorKind = kind;
            Result.ErrorMessage = message;
            Connection = null;
            ReleaseBody();
            Deliver();
        }

        [MethodImpl(Hot.Path)]
        private void StartAttempt(bool allowPooled)
        {
            try
            {
                Result.Attempts++;
                ReleaseBody(); // a previous attempt's partial file

                _attemptStart = EventLoop.Now;
                Result.Timings.ResetPhases();
                Result.StatusCode = 0;
                Result.SetRemoteEndPoint(null, 0);
                _engine.Loop.CancelTimer(_totalTimer); // a stale connection's attempt, given up for this one
                _totalTimer = _engine.Loop.SetTimer(Timeout, TotalTimeoutCallback, this);
                Open(allowPooled);
            }
            catch (Exception e)
            {
                Fail(FetchErrorKind.Internal, "Unexpected failure while starting the request: " + e.Message, e);
            }
        }

        /// <summary>Sends the current request on an idle pooled connection of its origin, or resolves and connects a new one.</summary>
        [MethodImpl(Hot.Path)]
        private void Open(bool allowPooled)
        {
            _requestSent = false;
            HttpConnection? pooled = allowPooled ? _engine.Pools.TakeIdle(OriginKey) : null;
            if (pooled != null)
            {
                Result.SetRemoteEndPoint(pooled.RemoteAddress, pooled.RemotePort);
                pooled.StartRequest(this);
                return;
            }

            _establishment = new ConnectionEstablishment(_engine, this);
            _establishment.Start(); // DNS, TCP, a proxy's tunnel, TLS: OnEstablished or OnEstablishFailed follows
        }

        /// <summary>The connection the attempt was waiting for is ready: a new connection over it carries the request.</summary>
        internal void OnEstablished(Transport transport)
        {
            _establishment = null;
            var connection = new HttpConnection(_engine, OriginKey, transport);
            try
            {
                connection.StartRequest(this);
            }
            catch (Exception e)
            {
                connection.OnFault(e);
            }
        }

        /// <summary>The connection could not be established: the attempt fails (and is retried if the retry policy allows).</summary>
        internal void OnEstablishFailed(FetchErrorKind kind, string message, Exception? exception)
        {
            _establishment = null;
            Fail(kind, message, exception);
        }

        /// <summary>Lets go of the attempt's connection (loop thread): one being established is abandoned, one in use aborted.</summary>
        private void DropConnection()
        {
            ConnectionEstablishment? establishment = _establishment;
            _establishment = null;
            establishment?.Abort();
            HttpConnection? connection = Connection;
            Connection = null;
            connection?.Abort();
        }

        private void OnTotalTimeout()
        {
            _totalTimer = null;
            Fail(FetchErrorKind.Timeout, $"The request did not complete within {Seconds(Timeout)} (TimeoutSec).", null);
        }

        /// <summary>Completes the request with its result (loop thread, or any thread before the request reached the loop); a no-op once completed.</summary>
        [MethodImpl(Hot.Path)]
        internal void Complete(FetchErrorKind kind, string? message, Exception? exception)
        {
            if (Interlocked.Exchange(ref _completed, 1) != 0)
            {
                return;
            }

            EventLoop loop = _engine.Loop;
            bool onLoop = loop.IsLoopThread;
            if (onLoop)
            {
                EndAttempt(loop);
            }

            _policy?.EndRetryWait(onLoop);
            _totalTimer = null;
            _operationTimer = null;
            ReleaseBody(); // a failure after a download's file was started: no partial file stays

            Result.ErrorKind = kind;
            Result.ErrorMessage = message;
            Result.Exception = exception;
            if (kind != FetchErrorKind.None)
            {
                Result.Body = null;
            }

            if (HostSlots != null)
            {
                Limiter.Release(this);
            }

            Deliver();
        }

        /// <summary>
        /// Loop thread: the attempt is over, whether the request completes or waits to retry: its timers stop, its
        /// connection closes (a response still in flight is abandoned with it), and its time is recorded.
        /// </summary>
        [MethodImpl(Hot.Path)]
        private void EndAttempt(EventLoop loop)
        {
            loop.CancelTimer(_totalTimer);
            _totalTimer = null;
            StopOperationTimer(loop);
            DropConnection();
            if (_attemptStart != 0)
            {
                Result.Timings.TotalMs = Ms(EventLoop.Now - _attemptStart);
            }
        }

        [MethodImpl(Hot.Path)]
        private void Deliver()
        {
            _engine.OnOperationFinished(this);
            try
            {
                CancellationRegistration.Dispose();
            }
            catch (ObjectDisposedException)
            {
                // The token's source is gone: nothing left to unregister.
            }

            try
            {
                _callback(Result);
            }
            catch (Exception e)
            {
                _engine.ReportCallbackFailure(e);
            }
        }

        /// <summary>Lets go of the current response's body (an unfinished download's file is deleted). Any thread.</summary>
        [MethodImpl(Hot.Path)]
        private void ReleaseBody() => _response.Release();

        private double Ms(long ticks) => _engine.Loop.TicksToMilliseconds(ticks);

        /// <summary>"2.5 s": a timeout, for messages.</summary>
        internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
    }
}
