using System;
using System.Collections.Generic;
using System.Security.Cryptography.X509Certificates;

namespace AsyncFetch
{
    /// <summary>One HTTP request. Values left null fall back to the engine's <see cref="FetchEngineOptions"/>.</summary>
    public sealed class FetchRequest
    {
        /// <summary>A GET request for <paramref name="uri"/>.</summary>
        public FetchRequest(Uri uri)
        {
            Uri = uri ?? throw new ArgumentNullException(nameof(uri));
        }

        /// <summary>A request for a URL string. A string that is not an absolute URI fails at submission as InvalidRequest.</summary>
        public FetchRequest(string uri)
        {
            if (uri == null)
            {
                throw new ArgumentNullException(nameof(uri));
            }

            RawUri = uri;
            Uri = Uri.TryCreate(uri, UriKind.RelativeOrAbsolute, out Uri? parsed) ? parsed : null;
        }

        /// <summary>The target; null when <see cref="RawUri"/> could not be parsed at all.</summary>
        public Uri? Uri { get; private set; }

        /// <summary>The URL text as given, when the request was made from a string.</summary>
        public string? RawUri { get; private set; }

        private string _method = "GET";

        /// <summary>The HTTP method (GET unless set).</summary>
        public string Method
        {
            get => _method;
            set
            {
                _method = value;
                IsMethodSet = true;
            }
        }

        /// <summary>True once <see cref="Method"/> has been set explicitly (a command may then not replace it).</summary>
        public bool IsMethodSet { get; private set; }

        /// <summary>Extra request header fields, sent in this order after the defaults they do not replace.</summary>
        public IList<KeyValuePair<string, string>> Headers { get; } = new List<KeyValuePair<string, string>>();

        /// <summary>The request body, sent with a Content-Length; null: no body (or <see cref="Content"/>).</summary>
        public byte[]? Body { get; set; }

        /// <summary>
        /// A request body read while it is sent (a file, a stream, a multipart form: see <see cref="FetchRequestBody"/>),
        /// instead of <see cref="Body"/> (setting both makes the request invalid); null: none.
        /// </summary>
        public FetchRequestBody? Content { get; set; }

        /// <summary>
        /// The longest wait for the next bytes of the response (also the wait for its first byte once the request is
        /// sent, and between the blocks of a streamed upload), Invoke-WebRequest's -OperationTimeoutSeconds: when nothing
        /// arrives for this long the attempt fails with <see cref="FetchErrorKind.Timeout"/>, so a server that stalls
        /// or trickles below one read per interval is given up on. The whole response may take longer (see
        /// <see cref="Timeout"/>). Null: the engine's <see cref="FetchEngineOptions.OperationTimeout"/>; zero or less: none.
        /// </summary>
        public TimeSpan? OperationTimeout { get; set; }

        /// <summary>The Content-Type of <see cref="Body"/> or <see cref="Content"/>; null: none sent (or the form's own for a <see cref="MultipartFormBody"/>).</summary>
        public string? ContentType { get; set; }

        /// <summary>The User-Agent of this request; null: the engine's <see cref="FetchEngineOptions.UserAgent"/>.</summary>
        public string? UserAgent { get; set; }

        /// <summary>Total time allowed for one attempt, from its start to the end of the response, redirect hops included.</summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>Time allowed to connect (DNS, TCP, proxy tunnel and TLS handshake); null: the engine's default.</summary>
        public TimeSpan? ConnectTimeout { get; set; }

        /// <summary>Limit on the (decoded) response body kept in memory; a larger body fails with TooLarge. A body written to a file has <see cref="MaxDownloadBytes"/> instead.</summary>
        public long? MaxResponseBytes { get; set; }

        /// <summary>Read and count the body but do not keep it (the result's Body is null).</summary>
        public bool DiscardBody { get; set; }

        /// <summary>
        /// Redirects (301, 302, 303, 307, 308) followed at most; 0 returns the 3xx response itself as the result.
        /// One more redirect than this fails the request (FetchErrorKind.Redirect). Null: the engine's default (5).
        /// </summary>
        public int? MaximumRedirection
        {
            get => _maximumRedirection;
            set => _maximumRedirection = NotNegative(value, nameof(MaximumRedirection));
        }

        /// <summary>
        /// Keep Authorization, Cookie and Proxy-Authorization headers, and the <see cref="GetCredential">credentials</see>,
        /// when a redirect leaves the origin (scheme, host, port). Null: the engine's default (false).
        /// </summary>
        public bool? PreserveAuthorizationOnRedirect { get; set; }

        /// <summary>Follow a redirect from https to http (refused otherwise, as FetchErrorKind.Redirect). Null: the engine's default (false).</summary>
        public bool? AllowInsecureRedirect { get; set; }

        /// <summary>
        /// Retries after a transient failure (connect failure, timeout, connection lost, DNS "try again") or a
        /// 408/429/500/502/503/504 response; idempotent methods only, other methods only when nothing of the
        /// request was sent. Null: the engine's default (0, no retries).
        /// </summary>
        public int? MaximumRetryCount
        {
            get => _maximumRetryCount;
            set => _maximumRetryCount = NotNegative(value, nameof(MaximumRetryCount));
        }

        /// <summary>
        /// The first retry's delay (Invoke-WebRequest's -RetryIntervalSec); each further retry doubles it, with
        /// ±20 % jitter, capped at the engine's MaxRetryDelay. A Retry-After header on 429/503 replaces it.
        /// Null: the engine's default (5 s).
        /// </summary>
        public TimeSpan? RetryInterval
        {
            get => _retryInterval;
            set => _retryInterval = value < TimeSpan.Zero ? throw new ArgumentOutOfRangeException(nameof(RetryInterval), "RetryInterval must not be negative.") : value;
        }

        private int? _maximumRedirection;
        private int? _maximumRetryCount;
        private TimeSpan? _retryInterval;

        private static int? NotNegative(int? value, string name) =>
            value < 0 ? throw new ArgumentOutOfRangeException(name, name + " must not be negative.") : value;

        /// <summary>
        /// Write a successful (2xx) response body to a file in this directory instead of memory; the name comes from
        /// Content-Disposition or the URL path, sanitized, with " (1)", " (2)" ... added when the name is taken (see
        /// <see cref="Force"/>). The directory is created when missing. Use a full path: a relative one is resolved
        /// against the process's current directory. Ignored when <see cref="OutFile"/> is set. Null: no file.
        /// </summary>
        public string? OutDirectory { get; set; }

        /// <summary>
        /// Write a successful (2xx) response body to exactly this file (wins over <see cref="OutDirectory"/>). Its
        /// directory must exist; an existing file is an error (ErrorKind File) unless <see cref="Force"/> is set.
        /// Use a full path: a relative one is resolved against the process's current directory. Null: no file.
        /// </summary>
        public string? OutFile { get; set; }

        /// <summary>Replace an existing file instead of failing (<see cref="OutFile"/>) or adding a suffix (<see cref="OutDirectory"/>).</summary>
        public bool Force { get; set; }

        /// <summary>
        /// Limit on the bytes written to disk for a download (the decoded size for a compressed body); a larger body
        /// fails with TooLarge and leaves no file. Null: the engine's <see cref="FetchEngineOptions.MaxDownloadBytes"/>.
        /// <see cref="MaxResponseBytes"/> does not apply to a body written to disk.
        /// </summary>
        public long? MaxDownloadBytes { get; set; }

        /// <summary>True when the body of a successful response goes to a file.</summary>
        internal bool HasOutputTarget => OutFile != null || OutDirectory != null;

        /// <summary>
        /// https: true accepts any server certificate (no chain, expiry or name check), false validates it; null
        /// uses <see cref="FetchEngineOptions.SkipCertificateCheck"/>. Connections made without the check are
        /// pooled apart and never carry a request that wants it.
        /// </summary>
        public bool? SkipCertificateCheck { get; set; }

        /// <summary>
        /// https: client certificates to offer when the server asks for one (see
        /// <see cref="FetchEngineOptions.ClientCertificates"/>); null uses the engine's. Connections are pooled per
        /// set of certificates (by thumbprint).
        /// </summary>
        public X509CertificateCollection? ClientCertificates { get; set; }

        /// <summary>
        /// The proxy for this request (and its redirect hops, each routed by its own target); null uses
        /// <see cref="FetchEngineOptions.Proxy"/>, and <see cref="FetchProxy.Direct"/> goes direct even when the
        /// engine has a proxy.
        /// </summary>
        public FetchProxy? Proxy { get; set; }

        /// <summary>
        /// The cookie jar of this request and its redirect hops (see <see cref="FetchEngineOptions.CookieContainer"/>):
        /// its cookies for each hop's URL are sent, and the Set-Cookie fields of every response are stored in it, so
        /// requests sharing a jar see each other's cookies. A Cookie header of the caller's own is sent too, the jar's
        /// cookies after it in the same field. Null: the engine's jar, if any.
        /// </summary>
        public System.Net.CookieContainer? CookieContainer { get; set; }

        /// <summary>
        /// Credentials for the server (see <see cref="FetchCredential"/> for when they are sent). Null: the user name and
        /// password in <see cref="Uri"/> ("https://user:password@host/"), if any, sent as Basic with the request, as curl
        /// does; user information is never sent in the request line or Host either way.
        /// </summary>
        public FetchCredential? Credential
        {
            get => _credential;
            set
            {
                _credential = value;
            }
        }

        /// <summary>
        /// Send credentials (<see cref="GetCredential"/>) over plain http. Without it such a request fails as
        /// InvalidRequest before anything is sent. Null: the engine's default (false).
        /// </summary>
        public bool? AllowUnencryptedAuthentication { get; set; }

        private static readonly object NoUserInfo = new object();
        private FetchCredential? _credential;
        private object? _fromUserInfo; // null: not read yet; NoUserInfo: the URL has none (one write, so any thread sees either)
        private bool _ignoreUserInfo; // a redirect hop: its credentials are the ones its chain had, not the target's user info

        /// <summary>
        /// The credentials this request sends: <see cref="Credential"/>, else the user name and password in
        /// <see cref="Uri"/> as Basic; null for none. Read once per request.
        /// </summary>
        public FetchCredential? GetCredential()
        {
            if (_credential != null || _ignoreUserInfo)
            {
                return _credential;
            }

            object? fromUserInfo = _fromUserInfo;
            if (fromUserInfo == null)
            {
                fromUserInfo = (Uri == null ? null : FetchCredential.FromUserInfo(Uri)) ?? NoUserInfo;
                _fromUserInfo = fromUserInfo;
            }

            return fromUserInfo as FetchCredential;
        }

        /// <summary>
        /// The Authorization value the credentials put on the wire now, or null: none, waiting for a challenge, or an
        /// Authorization header of the caller's own (it wins).
        /// </summary>
        internal string? AuthorizationToSend
        {
            get
            {
                FetchCredential? credential = GetCredential();
                return credential == null || credential.WaitsForChallenge || HasHeader("Authorization") ? null : credential.Authorization;
            }
        }

        /// <summary>
        /// The request that answers a 401 whose WWW-Authenticate values (<paramref name="challenges"/>) offer Basic, when
        /// this one holds credentials back until asked; null otherwise (a request sends them at most once unasked).
        /// </summary>
        internal FetchRequest? ForChallenge(IEnumerable<string> challenges)
        {
            FetchCredential? credential = GetCredential();
            if (credential == null || !credential.WaitsForChallenge || HasHeader("Authorization") || !FetchCredential.OffersBasic(challenges))
            {
                return null;
            }

            FetchRequest next = Clone();
            next.Credential = credential.Answered;
            return next;
        }

        private bool HasHeader(string name)
        {
            foreach (KeyValuePair<string, string> h in Headers)
            {
                if (string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Anything the caller wants back on the result (the cmdlets put the pipeline input here).</summary>
        public object? Tag { get; set; }

        /// <summary>In a crawl (<see cref="FetchCrawl"/>), how many links from a start URL (depth 0) this URL was found; 0 otherwise.</summary>
        public int Depth { get; set; }

        /// <summary>In a crawl, the URL of the page this URL was found on (for a redirect target, the page that linked to the redirect); null for a start URL and outside a crawl.</summary>
        public string? Referrer { get; set; }

        /// <summary>Adds a header field (validated when the request is sent).</summary>
        public FetchRequest WithHeader(string name, string value)
        {
            Headers.Add(new KeyValuePair<string, string>(name, value));
            return this;
        }

        /// <summary>A copy with its own header list, so defaults can be filled in without touching the caller's object.</summary>
        public FetchRequest Clone() => CopyTo(RawUri != null ? new FetchRequest(RawUri) : new FetchRequest(Uri!));

        /// <summary>A <see cref="Clone()"/> aimed at <paramref name="uri"/>: the same method, body, headers and settings.</summary>
        public FetchRequest Clone(Uri uri) => CopyTo(new FetchRequest(uri ?? throw new ArgumentNullException(nameof(uri))));

        private FetchRequest CopyTo(FetchRequest copy)
        {
            copy._method = _method;
            copy.IsMethodSet = IsMethodSet;
            copy.Body = Body;
            copy.Content = Content;
            copy.OperationTimeout = OperationTimeout;
            copy.ContentType = ContentType;
            copy.UserAgent = UserAgent;
            copy.Timeout = Timeout;
            copy.ConnectTimeout = ConnectTimeout;
            copy.MaxResponseBytes = MaxResponseBytes;
            copy.DiscardBody = DiscardBody;
            copy.SkipCertificateCheck = SkipCertificateCheck;
            copy.ClientCertificates = ClientCertificates;
            copy.Proxy = Proxy;
            copy.CookieContainer = CookieContainer;
            copy._credential = _credential;
            copy._ignoreUserInfo = _ignoreUserInfo;
            copy.AllowUnencryptedAuthentication = AllowUnencryptedAuthentication;
            copy.Tag = Tag;
            copy.Depth = Depth;
            copy.Referrer = Referrer;
            copy._maximumRedirection = _maximumRedirection;
            copy.PreserveAuthorizationOnRedirect = PreserveAuthorizationOnRedirect;
            copy.AllowInsecureRedirect = AllowInsecureRedirect;
            copy._maximumRetryCount = _maximumRetryCount;
            copy._retryInterval = _retryInterval;
            copy.OutDirectory = OutDirectory;
            copy.OutFile = OutFile;
            copy.Force = Force;
            copy.MaxDownloadBytes = MaxDownloadBytes;
            foreach (KeyValuePair<string, string> h in Headers)
            {
                copy.Headers.Add(h);
            }

            return copy;
        }

        /// <summary>
        /// The request for the next hop of a redirect: a <see cref="Clone()"/> aimed at <paramref name="target"/>,
        /// turned into a bodiless GET (its Content-* headers dropped) when <paramref name="becomeGet"/>, without
        /// Authorization, Cookie and Proxy-Authorization and the credentials when <paramref name="dropCredentials"/>, and
        /// without a caller-set Host header when the origin changes (it named the old one). The hop keeps the credentials
        /// the request had (from its URL's user information too) and takes none from the target's.
        /// </summary>
        internal FetchRequest ForRedirect(Uri target, bool becomeGet, bool dropCredentials, bool originChanged)
        {
            FetchRequest next = Clone();
            next.Uri = target;
            next.RawUri = null;
            next.Credential = dropCredentials ? null : GetCredential();
            next._ignoreUserInfo = true;
            if (becomeGet)
            {
                next._method = "GET";
                next.Body = null;
                next.Content = null;
                next.ContentType = null;
            }

            for (int i = next.Headers.Count - 1; i >= 0; i--)
            {
                string name = next.Headers[i].Key;
                if ((becomeGet && name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                    || (becomeGet && string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                    || (dropCredentials && IsCredentialHeader(name))
                    || (originChanged && string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase)))
                {
                    next.Headers.RemoveAt(i);
                }
            }

            return next;
        }

        /// <summary>
        /// Headers that carry credentials, dropped when a redirect leaves the origin. Proxy-Authorization is among them:
        /// a caller who set it by hand (instead of <see cref="FetchProxy.Credential"/>, which the connection adds only
        /// on its way to a proxy) would otherwise send it to a new origin that is reached directly (NO_PROXY).
        /// </summary>
        internal static bool IsCredentialHeader(string? name) =>
            string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, "Cookie", StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, "Proxy-Authorization", StringComparison.OrdinalIgnoreCase);

        /// <summary>The method and URL, without a password in the URL (<see cref="FetchRedaction.Text(string)"/>).</summary>
        public override string ToString() => Method + " " + FetchRedaction.Text(Uri?.OriginalString ?? RawUri);
    }
}
