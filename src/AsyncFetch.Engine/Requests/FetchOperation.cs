using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
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
    /// or a new one resolved and connected (under the connect timeout), request sent, response parsed into
    /// this object (it is the parser's sink). A failure on a reused connection before any response byte is
    /// a stale keep-alive connection: an idempotent request gets one more attempt on a new connection.
    /// Redirects and retries with backoff sit above the attempt: see FetchOperation.Policy.cs.
    /// </summary>
    internal sealed partial class FetchOperation : IHttpBodySink
    {
        private static readonly Action<object?> TotalTimeoutCallback = s => ((FetchOperation)s!).OnTotalTimeout();
        private static readonly Action<object?> ConnectTimeoutCallback = s => ((FetchOperation)s!).OnConnectTimeout();
        private static readonly Action<object?> TlsTimeoutCallback = s => ((FetchOperation)s!).OnTlsTimeout();
        private static readonly Action<object?> TunnelTimeoutCallback = s => ((FetchOperation)s!).OnTunnelTimeout();
        private static readonly DnsResolver.Callback ResolvedCallback = (a, e, s) => ((FetchOperation)s!).OnResolved(a, e);

        private static int s_nextHash;
        private readonly FetchEngine _engine;
        private readonly Action<FetchResult> _callback;
        private readonly int _hash = Interlocked.Increment(ref s_nextHash); // cheaper than the identity hash in the engine's pending set
        private Uri _uri = null!;
        private int _completed;
        private bool _staleRetried;
        private LoopTimer? _totalTimer;
        private LoopTimer? _connectTimer;
        private long _queuedAt;
        private long _attemptStart;
        private long _dnsStart;
        private long _connectStart;
        private long _tlsStart;
        private long _tunnelStart;
        private bool _https;
        private ProxyRoute? _proxy;
        private string[]? _decodings; // the codings to remove from the body, in that order (see DecodingsFor); null for none
        private byte[]? _body;
        private long _bodyLength; // a discarded body may pass 2 GiB; a kept one never does (checked in OnBody)
        private long _declaredLength = -1;
        private bool _keepBody;

        public FetchOperation(FetchEngine engine, FetchRequest request, FetchLimiter limiter, Action<FetchResult> callback)
        {
            _engine = engine;
            Request = request;
            Limiter = limiter;
            _callback = callback;
            Result = new FetchResult(request);
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

        /// <summary>The array the bytes being parsed come from (set by the connection before each parse), so a download can write body chunks from it without a copy.</summary>
        internal byte[]? ReceiveArray { get; set; }

        /// <summary>The connection carrying the current attempt.</summary>
        internal HttpConnection? Connection { get; set; }

        internal CancellationTokenRegistration CancellationRegistration { get; set; }

        /// <summary>The request carries "Connection: close": its connection is not reused whatever the server says.</summary>
        internal bool RequestAsksToClose
        {
            get
            {
                foreach (System.Collections.Generic.KeyValuePair<string, string> h in Request.Headers)
                {
                    if (string.Equals(h.Key, "Connection", StringComparison.OrdinalIgnoreCase) && Internal.HttpText.HasToken(h.Value, "close"))
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        private TimeSpan Timeout => Request.Timeout ?? _engine.Options.Timeout;

        private TimeSpan ConnectTimeout => Request.ConnectTimeout ?? _engine.Options.ConnectTimeout;

        private long MaxBody => Request.MaxResponseBytes ?? _engine.Options.MaxResponseBytes;

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

        /// <summary>Writes the request head into the loop's send buffer; small bodies go along in the same buffer.</summary>
        [MethodImpl(Hot.Path)]
        public int WriteRequestHead(ref byte[] buffer, out byte[]? separateBody)
        {
            FetchEngineOptions o = _engine.Options;
            _requestSent = true; // from here on a non-idempotent request is not retried
            // Through a proxy, plain http is sent in absolute form; https went through a tunnel and is origin-form.
            int length = FetchRequestHead.Write(ref buffer, Request, _uri, o.UserAgent, o.AutomaticDecompression, _https ? null : _proxy);
            byte[]? body = Request.Body;
            separateBody = null;
            if (body != null && body.Length > 0)
            {
                if (body.Length <= 16 * 1024)
                {
                    if (buffer.Length < length + body.Length)
                    {
                        Array.Resize(ref buffer, length + body.Length);
                    }

                    Buffer.BlockCopy(body, 0, buffer, length, body.Length);
                    length += body.Length;
                }
                else
                {
                    separateBody = body;
                }
            }

            return length;
        }

        public void OnConnected()
        {
            _engine.Loop.CancelTimer(_connectTimer);
            _connectTimer = null;
            Result.Timings.ConnectMs = Ms(EventLoop.Now - _connectStart);
        }

        /// <summary>
        /// The TLS handshake begins: the connect timeout, which covers establishing the connection, keeps running
        /// for what is left of it.
        /// </summary>
        public void OnTlsStarted() => _tlsStart = ContinueUnderConnectTimeout(TlsTimeoutCallback);

        public void OnTlsEstablished()
        {
            _engine.Loop.CancelTimer(_connectTimer);
            _connectTimer = null;
            Result.Timings.TlsMs = Ms(EventLoop.Now - _tlsStart);
        }

        /// <summary>
        /// The CONNECT request to the proxy goes out: like the TLS handshake after it, it runs under what is left of
        /// the connect timeout.
        /// </summary>
        public void OnTunnelStarted() => _tunnelStart = ContinueUnderConnectTimeout(TunnelTimeoutCallback);

        /// <summary>
        /// A step of establishing the connection begins (CONNECT, the TLS handshake): the connect timer is re-armed,
        /// with <paramref name="onTimeout"/> to say which step ran out, for what is left of the connect timeout. Returns now.
        /// </summary>
        private long ContinueUnderConnectTimeout(Action<object?> onTimeout)
        {
            EventLoop loop = _engine.Loop;
            long now = EventLoop.Now;
            loop.CancelTimer(_connectTimer);
            TimeSpan left = ConnectTimeout - TimeSpan.FromMilliseconds(Ms(now - _connectStart));
            _connectTimer = loop.SetTimer(left > TimeSpan.Zero ? left : TimeSpan.Zero, onTimeout, this);
            return now;
        }

        /// <summary>The proxy accepted CONNECT; the TLS handshake follows (and re-arms the timer).</summary>
        public void OnTunnelEstablished() => Result.Timings.TunnelMs = Ms(EventLoop.Now - _tunnelStart);

        /// <summary>Why the connect failed, naming the proxy when there is one; <paramref name="reasons"/> lists the addresses tried.</summary>
        internal string DescribeConnectFailure(string reasons) =>
            _proxy == null ? "Could not connect to " + reasons : $"Could not connect to the proxy {_proxy.Name}: {reasons}";

        public void OnFirstByte() => Result.Timings.FirstByteMs = Ms(EventLoop.Now - _attemptStart);

        [MethodImpl(Hot.Path)]
        public void OnHeadersComplete(HttpResponseParser parser)
        {
            Result.StatusCode = parser.StatusCode;
            Result.ReasonPhrase = parser.ReasonPhrase;
            Result.HttpVersion = parser.MinorVersion == 1 ? "1.1" : "1.0";
            Result.Headers = FetchHeaders.Wrap(parser.Headers); // the parser starts a new list for the next response
            if (parser.StatusCode >= 301 && InterceptResponse(parser))
            {
                return; // a redirect to follow or a status to retry: its body is drained and discarded
            }

            string? encoding = _engine.Options.AutomaticDecompression ? parser.Headers["Content-Encoding"] : null;
            _decodings = DecodingsFor(parser.TransferCodings, ContentDecoder.IsSupported(encoding) ? encoding : null);
            if (Request.HasOutputTarget && BeginDownload(parser))
            {
                return; // the body goes to a file (FetchOperation.Download.cs)
            }

            _keepBody = !Request.DiscardBody || _decodings != null;
            _bodyLength = 0;
            _body = null;

            // The limit protects memory: a body that is only counted (DiscardBody, not compressed) may be any size.
            if (_keepBody && _decodings == null && parser.ContentLength is long declared && MaxBody >= 0 && declared > MaxBody)
            {
                throw new FetchFailure(FetchErrorKind.TooLarge, $"The response body ({declared} bytes) is larger than the limit of {MaxBody} bytes.");
            }

            _declaredLength = parser.ContentLength ?? -1;
            if (_keepBody && _declaredLength > 0)
            {
                // Framed by Content-Length: up to 1 MiB is allocated at once (the final array for most bodies);
                // beyond that the buffer grows as bytes arrive, so a declared length alone costs no memory.
                _body = new byte[Math.Min(_declaredLength, 1 << 20)];
            }
        }

        [MethodImpl(Hot.Path)]
        public void OnBody(ReadOnlySpan<byte> data)
        {
            if (_plan != ResponsePlan.Deliver)
            {
                return; // the body of a redirect or of a response to be retried: nobody will see it
            }

            if (_download != null)
            {
                WriteDownload(data);
                _bodyLength += data.Length;
                return;
            }

            // A kept body is limited as it arrives; an encoded one too (its decoded size is checked again while
            // decoding), since it is held in memory until then.
            if (_keepBody && MaxBody >= 0 && _bodyLength + (long)data.Length > MaxBody)
            {
                throw new FetchFailure(FetchErrorKind.TooLarge, $"The response body is larger than the limit of {MaxBody} bytes.");
            }

            if (!_keepBody)
            {
                _bodyLength += data.Length;
                return;
            }

            if (_body == null || _bodyLength + data.Length > _body.Length)
            {
                long needed = _bodyLength + (long)data.Length;
                long wanted = Math.Max(needed, Math.Max(4096, (_body?.Length ?? 0) * 2L));
                if (_declaredLength >= needed && wanted > _declaredLength)
                {
                    wanted = _declaredLength; // grow to exactly the declared size: the final array needs no trim
                }

                if (MaxBody >= 0 && wanted > MaxBody)
                {
                    wanted = MaxBody; // no room past the limit, which the body cannot pass (checked above)
                }

                if (wanted > int.MaxValue - 64)
                {
                    throw new FetchFailure(FetchErrorKind.TooLarge, "The response body is larger than 2 GiB, which cannot be held in memory.");
                }

                Array.Resize(ref _body, (int)wanted);
            }

            data.CopyTo(new Span<byte>(_body, (int)_bodyLength, data.Length));
            _bodyLength += data.Length;
        }

        /// <summary>The connection parsed a whole response (and has already been pooled or closed).</summary>
        [MethodImpl(Hot.Path)]
        public void OnResponseComplete()
        {
            if (IsCompleted)
            {
                return;
            }

            try
            {
                if (_plan != ResponsePlan.Deliver)
                {
                    FollowPlan();
                    return;
                }

                _responseComplete = true;
                CompleteResponse();
            }
            catch (Exception e)
            {
                // The connection has let go of this request already: nobody else would fail it.
                Fail(FetchErrorKind.Internal, "Unexpected failure while finishing the response: " + e.Message, e);
            }
        }

        private void CompleteResponse()
        {
            if (_download != null)
            {
                CompleteDownload();
                return;
            }

            if (_decodings != null && _body != null)
            {
                byte[] body = _body;
                int length = (int)_bodyLength;
                _body = null;
                if (length <= InlineDecodeLimit)
                {
                    // Only while the output stays small: a few hundred bytes of br can decode to the whole MaxBody.
                    var inline = new Decoded(body, length, _decodings, MaxBody, !Request.DiscardBody, InlineDecodedLimit);
                    if (inline.Run() != ContentDecoder.Outcome.Unfinished)
                    {
                        FinishDecoded(inline);
                        return;
                    }
                }

                // A large body is decoded on the thread pool: the loop must not stall every other socket and
                // timer meanwhile.
                OffLoop(new Decoded(body, length, _decodings, MaxBody, !Request.DiscardBody, -1), w => w.Run(), FinishDecoded);
                return;
            }

            if (_keepBody)
            {
                Result.Body = _body == null ? Array.Empty<byte>() : _body.Length == _bodyLength ? _body : Trim(_body, (int)_bodyLength);
            }

            Result.ContentLength = _bodyLength;
            _body = null;
            Complete(FetchErrorKind.None, null, null);
        }

        /// <summary>
        /// What to remove from a body with <paramref name="transferCodings"/> (in the order applied) and the supported
        /// <paramref name="contentEncoding"/> (null when none, or not to be decoded): the transfer codings first, last
        /// applied first, then the content coding (RFC 9112 section 6.1, RFC 9110 section 8.4). Null when there is nothing.
        /// </summary>
        private static string[]? DecodingsFor(IReadOnlyList<string> transferCodings, string? contentEncoding)
        {
            int count = transferCodings.Count + (contentEncoding == null ? 0 : 1);
            if (count == 0)
            {
                return null;
            }

            var decodings = new string[count];
            for (int i = 0; i < transferCodings.Count; i++)
            {
                decodings[i] = transferCodings[transferCodings.Count - 1 - i];
            }

            if (contentEncoding != null)
            {
                decodings[count - 1] = contentEncoding;
            }

            return decodings;
        }

        /// <summary>Compressed bodies up to this size are decoded on the loop (a thread hop would cost more).</summary>
        private const int InlineDecodeLimit = 64 * 1024;

        /// <summary>An inline decoding stops past this much output and starts again on the thread pool (a bomb, or very repetitive data).</summary>
        private const int InlineDecodedLimit = 1024 * 1024;

        /// <summary>
        /// Runs work that must not hold up the loop (decoding a large body) on the thread pool, then hands it back
        /// to the loop through <see cref="EventLoop.PostWhenDone"/>, as DNS answers come back. The attempt's timeout
        /// keeps running meanwhile, so <paramref name="onLoop"/> first checks that the request has not ended (timed
        /// out, cancelled). When the loop is gone (the engine was disposed and failed the request already),
        /// <paramref name="ifLoopGone"/> cleans up instead. <paramref name="run"/> reports its failures on the work
        /// object and does not throw.
        /// </summary>
        private void OffLoop<TWork>(TWork work, Action<TWork> run, Action<TWork> onLoop, Action<TWork>? ifLoopGone = null)
        {
            var job = new OffLoopJob<TWork>(work, run, onLoop, ifLoopGone);
            _engine.Loop.PostWhenDone(Task.Run(job.Run), OffLoopJob<TWork>.OnLoop, job, OffLoopJob<TWork>.IfLoopGone);
        }

        private sealed class OffLoopJob<TWork>
        {
            public static readonly Action<Task, object?> OnLoop = (t, s) => ((OffLoopJob<TWork>)s!)._onLoop(((OffLoopJob<TWork>)s!)._work);
            public static readonly Action<Task, object?> IfLoopGone = (t, s) => ((OffLoopJob<TWork>)s!)._ifLoopGone?.Invoke(((OffLoopJob<TWork>)s!)._work);

            private readonly TWork _work;
            private readonly Action<TWork> _run;
            private readonly Action<TWork> _onLoop;
            private readonly Action<TWork>? _ifLoopGone;

            public OffLoopJob(TWork work, Action<TWork> run, Action<TWork> onLoop, Action<TWork>? ifLoopGone)
            {
                _work = work;
                _run = run;
                _onLoop = onLoop;
                _ifLoopGone = ifLoopGone;
            }

            public void Run() => _run(_work);
        }

        /// <summary>Loop thread: the decoded body (or why it could not be decoded) completes the request.</summary>
        private void FinishDecoded(Decoded work)
        {
            if (IsCompleted)
            {
                return; // timed out or cancelled while decoding
            }

            ContentDecoder.Outcome outcome = work.Run();
            if (work.Failure != null)
            {
                Fail(FetchErrorKind.Internal, "Unexpected failure while decoding the response: " + work.Failure.Message, work.Failure);
            }
            else if (outcome == ContentDecoder.Outcome.TooLarge)
            {
                Fail(FetchErrorKind.TooLarge, work.Error!, null);
            }
            else if (outcome == ContentDecoder.Outcome.Broken)
            {
                Fail(FetchErrorKind.Protocol, work.Error!, null);
            }
            else
            {
                Result.Body = work.Output;
                Result.ContentLength = work.DecodedLength;
                Complete(FetchErrorKind.None, null, null);
            }
        }

        /// <summary>
        /// One decoding, run once (on the loop for small bodies, on the thread pool for large ones): the codings come off
        /// one after another, each output the next one's input, and every output meets the same limit.
        /// </summary>
        private sealed class Decoded
        {
            private byte[]? _body; // the encoded body, let go of once decoded
            private readonly int _length;
            private readonly string[] _codings;
            private readonly long _max;
            private readonly bool _keep;
            private readonly long _yieldAfter;
            private bool _done;

            public Decoded(byte[] body, int length, string[] codings, long max, bool keep, long yieldAfter)
            {
                _yieldAfter = yieldAfter;
                _body = body;
                _length = length;
                _codings = codings;
                _max = max;
                _keep = keep;
            }

            public ContentDecoder.Outcome Outcome { get; private set; }

            public byte[]? Output { get; private set; }

            public long DecodedLength { get; private set; }

            public string? Error { get; private set; }

            public Exception? Failure { get; private set; }

            /// <summary>Decodes (the first time) and returns the outcome; never throws.</summary>
            public ContentDecoder.Outcome Run()
            {
                if (!_done)
                {
                    _done = true;
                    try
                    {
                        byte[] data = _body!;
                        int length = _length;
                        for (int i = 0; i < _codings.Length; i++)
                        {
                            bool last = i == _codings.Length - 1;
                            Outcome = ContentDecoder.Decode(data, length, _codings[i], _max, !last || _keep, out byte[]? output, out long decodedLength, out string? error, _yieldAfter);
                            DecodedLength = decodedLength;
                            Error = error;
                            if (Outcome != ContentDecoder.Outcome.Decoded || last)
                            {
                                Output = Outcome == ContentDecoder.Outcome.Decoded ? output : null;
                                break;
                            }

                            data = output!;
                            length = data.Length;
                        }
                    }
                    catch (Exception e)
                    {
                        Failure = e; // not the data's fault (out of memory, say): reported as Internal
                    }
                    finally
                    {
                        _body = null; // the result lives on without it (an unfinished inline run starts over with a new Decoded)
                    }
                }

                return Outcome;
            }
        }

        public void OnParseError(HttpParseError error, string message)
        {
            FetchErrorKind kind = error switch
            {
                HttpParseError.HeaderSectionTooLarge => FetchErrorKind.TooLarge,
                HttpParseError.TooManyHeaders => FetchErrorKind.TooLarge,
                HttpParseError.BodyTooLarge => FetchErrorKind.TooLarge,
                HttpParseError.UnexpectedEndOfStream => FetchErrorKind.ConnectionLost,
                _ => FetchErrorKind.Protocol,
            };
            Fail(kind, message, null);
        }

        /// <summary>The connection broke; <paramref name="staleConnection"/>: it was a reused one and nothing of the response had arrived.</summary>
        public void OnConnectionLost(string message, bool staleConnection)
        {
            if (IsCompleted)
            {
                return;
            }

            if (staleConnection && !_staleRetried && HttpRequestWriter.IsIdempotent(Request.Method))
            {
                _staleRetried = true;
                _engine.Loop.CancelTimer(_totalTimer);
                StartAttempt(allowPooled: false);
                return;
            }

            Fail(FetchErrorKind.ConnectionLost, message, null);
        }

        /// <summary>Loop thread (or any thread before the request reached the loop): fails the attempt, which is retried if the retry policy allows, or else the request.</summary>
        public void Fail(FetchErrorKind kind, string message, Exception? exception)
        {
            if (!TryRetryFailure(kind, exception))
            {
                Complete(kind, message, exception);
            }
        }

        /// <summary>Loop thread: cancellation requested through the token.</summary>
        public void Cancel() => Complete(FetchErrorKind.Canceled, "The request was canceled.", null);

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
            AbandonDownload();
            Deliver();
        }

        [MethodImpl(Hot.Path)]
        private void StartAttempt(bool allowPooled)
        {
            try
            {
                Result.Attempts++;
                if (_download != null)
                {
                    AbandonDownload(); // a previous attempt's partial file
                }

                _attemptStart = EventLoop.Now;
                Result.Timings.ResetPhases();
                Result.StatusCode = 0;
                Result.SetRemoteEndPoint(null, 0);
                _requestSent = false;
                _responseComplete = false;
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
            HttpConnection? pooled = allowPooled ? _engine.Pools.TakeIdle(OriginKey) : null;
            if (pooled != null)
            {
                Result.SetRemoteEndPoint(pooled.RemoteAddress, pooled.RemotePort);
                pooled.StartRequest(this);
                return;
            }

            _dnsStart = EventLoop.Now;
            _resolving = true;
            _engine.Dns.Resolve(_proxy == null ? _uri.DnsSafeHost : _proxy.Host, ResolvedCallback, this);
        }

        private void OnResolved(IPAddress[]? addresses, Exception? error)
        {
            // Not resolving: the answer to an attempt abandoned meanwhile (timed out during DNS, then retried).
            if (IsCompleted || !_resolving)
            {
                return;
            }

            _resolving = false;

            try
            {
                Result.Timings.DnsMs = Ms(EventLoop.Now - _dnsStart);
                if (addresses == null)
                {
                    string message = error?.Message ?? $"Could not resolve host '{(_proxy == null ? _uri.Host : _proxy.Host)}'.";
                    Fail(FetchErrorKind.Dns, _proxy == null ? message : $"Could not reach the proxy {_proxy.Name}: {message}", error?.InnerException);
                    return;
                }

                _connectStart = EventLoop.Now;
                _connectTimer = _engine.Loop.SetTimer(ConnectTimeout, ConnectTimeoutCallback, this);
                _engine.NewConnection(OriginKey).Connect(this, addresses, _proxy == null ? _uri.Port : _proxy.Port);
            }
            catch (Exception e)
            {
                Fail(FetchErrorKind.Internal, "Unexpected failure while connecting: " + e.Message, e);
            }
        }

        private void OnTotalTimeout()
        {
            _totalTimer = null;
            Fail(FetchErrorKind.Timeout, $"The request did not complete within {Seconds(Timeout)} (TimeoutSec).", null);
        }

        private void OnConnectTimeout()
        {
            _connectTimer = null;
            string what = _proxy == null ? $"{_uri.Host}:{_uri.Port}" : "the proxy " + _proxy.Name;
            Fail(FetchErrorKind.Timeout, $"Could not connect to {what} within {Seconds(ConnectTimeout)} (ConnectTimeoutSec).", null);
        }

        private void OnTunnelTimeout()
        {
            _connectTimer = null;
            Fail(FetchErrorKind.Timeout, $"Could not open a tunnel to {Authority} through the proxy {_proxy?.Name} within {Seconds(ConnectTimeout)} (ConnectTimeoutSec): the proxy did not answer CONNECT.", null);
        }

        private void OnTlsTimeout()
        {
            _connectTimer = null;
            Fail(FetchErrorKind.Timeout, $"Could not establish a connection to {Authority} within {Seconds(ConnectTimeout)} (ConnectTimeoutSec): the TLS handshake did not finish.", null);
        }

        [MethodImpl(Hot.Path)]
        private void Complete(FetchErrorKind kind, string? message, Exception? exception)
        {
            if (Interlocked.Exchange(ref _completed, 1) != 0)
            {
                return;
            }

            EventLoop loop = _engine.Loop;
            if (loop.IsLoopThread)
            {
                loop.CancelTimer(_totalTimer);
                loop.CancelTimer(_connectTimer);
                loop.CancelTimer(_retryTimer);
                HttpConnection? connection = Connection;
                Connection = null;
                connection?.Abort();
                if (_attemptStart != 0)
                {
                    Result.Timings.TotalMs = Ms(EventLoop.Now - _attemptStart);
                }
            }

            _totalTimer = null;
            _connectTimer = null;
            _retryTimer = null;
            _body = null;
            if (_download != null)
            {
                AbandonDownload(); // a failure after the file was started: no partial file stays
            }

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

        private double Ms(long ticks) => _engine.Loop.TicksToMilliseconds(ticks);

        private static byte[] Trim(byte[] data, int length)
        {
            var trimmed = new byte[length];
            Buffer.BlockCopy(data, 0, trimmed, 0, length);
            return trimmed;
        }

        private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
    }

    /// <summary>Thrown inside the parse path to fail the current request with a specific kind.</summary>
    internal sealed class FetchFailure : Exception
    {
        public FetchFailure(FetchErrorKind kind, string message)
            : base(message)
        {
            Kind = kind;
        }

        public FetchErrorKind Kind { get; }
    }
}
