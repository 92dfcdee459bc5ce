using System;
using System.Security.Cryptography.X509Certificates;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch
{
    /// <summary>Engine-wide settings and the defaults for requests that leave a value unset.</summary>
    public sealed class FetchEngineOptions
    {
        private int? _maxHeaderCount;

        /// <summary>Requests in flight at once (queued requests wait, first come first served).</summary>
        public int MaxConcurrency { get; set; } = 64;

        /// <summary>Requests in flight at once to one host name.</summary>
        public int PerHostLimit { get; set; } = 16;

        /// <summary>
        /// Requests started per second in all by the engine's default limiter (requests submitted without a limiter
        /// of their own), spaced evenly with a burst of one; 0 (the default) for no limit.
        /// </summary>
        public double RateLimit { get; set; }

        /// <summary>Requests started per second to one host by the engine's default limiter, spaced evenly with a burst of one; 0 (the default) for no limit.</summary>
        public double PerHostRateLimit { get; set; }

        /// <summary>Default total time per attempt.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

        /// <summary>Default time allowed for establishing a TCP connection (all addresses of the host together).</summary>
        public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

        /// <summary>
        /// Default longest wait for the next bytes of a response (see <see cref="FetchRequest.OperationTimeout"/>);
        /// zero (the default): none, only <see cref="Timeout"/> bounds an attempt.
        /// </summary>
        public TimeSpan OperationTimeout { get; set; }

        /// <summary>
        /// Happy Eyeballs (RFC 8305) "connection attempt delay": when a host name resolves to several addresses
        /// (IPv6 and IPv4 interleaved, IPv6 first), the next address is tried when the previous attempt fails or
        /// after this long without a connection, whichever comes first; attempts in flight keep racing and the
        /// first to connect wins. Default 250 ms. Zero starts every address at once; <see cref="TimeSpan.MaxValue"/>
        /// tries them strictly one after another. <see cref="ConnectTimeout"/> bounds the whole race.
        /// </summary>
        public TimeSpan ConnectionAttemptDelay { get; set; } = TimeSpan.FromMilliseconds(250);

        /// <summary>How long an unused keep-alive connection stays in the pool.</summary>
        public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>How long a resolved host name is reused.</summary>
        public TimeSpan DnsCacheTime { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>The User-Agent sent when a request sets none ("AsyncFetch/&lt;version&gt;").</summary>
        public string UserAgent { get; set; } = "AsyncFetch/" + typeof(FetchEngineOptions).Assembly.GetName().Version?.ToString(3);

        /// <summary>The response's status line and header section together; more is TooLarge.</summary>
        public int MaxHeaderBytes { get; set; } = 64 * 1024;

        /// <summary>
        /// Header fields in one response; more is TooLarge. By default as many as <see cref="MaxHeaderBytes"/> can hold (a field
        /// line takes at least 3 bytes), so the size limit is the one a response meets.
        /// </summary>
        public int MaxHeaderCount
        {
            get => _maxHeaderCount ?? Engine.Http.HttpParserLimits.DefaultMaxHeaderCount(MaxHeaderBytes);
            set => _maxHeaderCount = value;
        }

        /// <summary>Default limit on a (decoded) response body kept in memory.</summary>
        public long MaxResponseBytes { get; set; } = 256L * 1024 * 1024;

        /// <summary>
        /// Default limit on the bytes a download writes to disk (decoded size for a compressed body); -1, the
        /// default, for no limit: downloads exist for big files, and their bodies never sit in memory.
        /// </summary>
        public long MaxDownloadBytes { get; set; } = -1;

        /// <summary>Send Accept-Encoding: gzip, deflate (and br where the runtime can decode it) and decode such bodies.</summary>
        public bool AutomaticDecompression { get; set; } = true;

        /// <summary>Default for <see cref="FetchRequest.MaximumRedirection"/>: redirects followed at most (0: none, the 3xx is the result).</summary>
        public int MaximumRedirection { get; set; } = 5;

        /// <summary>Default for <see cref="FetchRequest.PreserveAuthorizationOnRedirect"/>.</summary>
        public bool PreserveAuthorizationOnRedirect { get; set; }

        /// <summary>Default for <see cref="FetchRequest.AllowInsecureRedirect"/>.</summary>
        public bool AllowInsecureRedirect { get; set; }

        /// <summary>Default for <see cref="FetchRequest.AllowUnencryptedAuthentication"/>: false, credentials go over https only.</summary>
        public bool AllowUnencryptedAuthentication { get; set; }

        /// <summary>Default for <see cref="FetchRequest.MaximumRetryCount"/> (0: no retries).</summary>
        public int MaximumRetryCount { get; set; }

        /// <summary>Default for <see cref="FetchRequest.RetryInterval"/>: the first retry's delay, doubled for each further one.</summary>
        public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>
        /// The longest wait before a retry. The exponential backoff is capped at it; a Retry-After header asking
        /// for longer is not obeyed at all: the request is not retried and that response (429, 503) is the result,
        /// since waiting less than the server asked would only hammer it, and holding a request for an hour would
        /// stall a batch. Default 120 s.
        /// </summary>
        public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(120);

        /// <summary>
        /// Which selector the loop uses: <see cref="SelectorKind.Default"/> (epoll on Linux, Socket.Select elsewhere,
        /// unless the environment variable ASYNCFETCH_SELECTOR says <c>select</c> or <c>epoll</c>), or one of them forced.
        /// </summary>
        public SelectorKind Selector { get; set; } = SelectorKind.Default;

        /// <summary>
        /// Default for https requests that leave <see cref="FetchRequest.SkipCertificateCheck"/> unset: accept any
        /// server certificate (expired, self-signed, for another name). False: certificates are validated.
        /// </summary>
        public bool SkipCertificateCheck { get; set; }

        /// <summary>
        /// Default client certificates for https requests that leave <see cref="FetchRequest.ClientCertificates"/>
        /// unset; null for none. One is sent only when the server asks for it: the first with a private key whose
        /// issuer the server accepts, else the first with a private key.
        /// </summary>
        public X509CertificateCollection? ClientCertificates { get; set; }

        /// <summary>
        /// Root certificates trusted in addition to the system's store (a private CA, a test CA, or a self-signed
        /// server certificate to pin), without installing them anywhere. A server chain that the system refuses
        /// only because its root is unknown is accepted when that root is one of these (matched by thumbprint)
        /// and nothing else is wrong with the chain (expiry, signatures). The name must still match. Null: the
        /// system store alone.
        /// </summary>
        public X509Certificate2Collection? TrustedRootCertificates { get; set; }

        /// <summary>
        /// The proxy for requests that leave <see cref="FetchRequest.Proxy"/> unset; null (the default): direct.
        /// The environment is not read unless asked: pass <see cref="FetchProxy.FromEnvironment()"/> here for that.
        /// </summary>
        public FetchProxy? Proxy { get; set; }

        /// <summary>
        /// The cookie jar for requests that leave <see cref="FetchRequest.CookieContainer"/> unset; null (the default): no
        /// cookies are sent or kept. Each request (and each of its redirect hops) sends the jar's Cookie value for its
        /// URL, and every response (redirect responses included) stores its Set-Cookie fields in the jar under the URL
        /// that answered; the rules (domain, path, Secure, expiry, limits) are the container's, RFC 6265 as it reads it.
        /// The engine uses the jar on its loop thread only; one jar may be shared by several engines and by other code,
        /// which relies on the container's own locking (as HttpClientHandler does).
        /// </summary>
        public System.Net.CookieContainer? CookieContainer { get; set; }

        /// <summary>
        /// Identical GETs in flight at once share one request: a GET submitted while an identical one is on its way
        /// (same normal form of the URL, <see cref="FetchUrl"/>; same headers, settings and limiter: see the list below)
        /// does not go to the network but completes when that one completes, with a result of its own (its own request
        /// and Tag; the same status, headers, body, failure; <see cref="FetchResult.Coalesced"/> true; the shared
        /// request's timings). A request cancelled while it waits completes as Canceled alone; the shared request goes on
        /// for the others. Requests that write their body to a file, have a body, or use another method are never
        /// shared; nor are requests of different limiters (batches). Once a GET has completed, the next identical one
        /// goes to the network again: this is not a cache. Identical means the same URL by its normal form, header
        /// fields (in order), UserAgent, ContentType, DiscardBody, limits, timeouts, redirect and retry settings,
        /// SkipCertificateCheck, AllowUnencryptedAuthentication, and the same Credential, CookieContainer, Proxy and
        /// ClientCertificates objects. False (the default): every request is sent. A batch can turn it on for its own
        /// requests (FetchBatchOptions.CoalesceIdenticalGets).
        /// </summary>
        public bool CoalesceIdenticalGets { get; set; }

        /// <summary>Name resolution; null for <see cref="System.Net.Dns.GetHostAddressesAsync(string)"/>. Tests substitute it.</summary>
        internal Func<string, System.Threading.Tasks.Task<System.Net.IPAddress[]>>? Resolver { get; set; }

        internal FetchEngineOptions Validate()
        {
            if (MaxConcurrency < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), "MaxConcurrency must be at least 1.");
            }

            if (PerHostLimit < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(PerHostLimit), "PerHostLimit must be at least 1.");
            }

            if (!IsValidRate(RateLimit) || !IsValidRate(PerHostRateLimit))
            {
                throw new ArgumentOutOfRangeException(nameof(RateLimit), "Rate limits must be finite and not negative (0 for none).");
            }

            foreach (char c in UserAgent ?? string.Empty)
            {
                if ((c < 0x20 && c != '\t') || c == 0x7F)
                {
                    throw new ArgumentException("The default UserAgent contains a control character.", nameof(UserAgent));
                }
            }

            if (Timeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(Timeout), "Timeouts must be positive.");
            }

            if (MaximumRedirection < 0 || MaximumRetryCount < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(MaximumRedirection), "MaximumRedirection and MaximumRetryCount must not be negative.");
            }

            if (RetryInterval < TimeSpan.Zero || MaxRetryDelay < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(RetryInterval), "RetryInterval and MaxRetryDelay must not be negative.");
            }

            if (ConnectionAttemptDelay < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(ConnectionAttemptDelay), "ConnectionAttemptDelay must not be negative.");
            }

            return this;
        }

        internal static bool IsValidRate(double perSecond) => perSecond >= 0 && !double.IsInfinity(perSecond); // NaN fails the first test
    }
}
