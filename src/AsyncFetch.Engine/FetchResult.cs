using System;
using System.Net;
using System.Text;

namespace AsyncFetch
{
    /// <summary>
    /// The outcome of one request: always exactly one per request, success or failure. A failure has an
    /// <see cref="ErrorKind"/> and a message; an HTTP error status (4xx/5xx) is a response, not a failure.
    /// </summary>
    public sealed partial class FetchResult
    {
        private string? _content;
        private string? _errorMessage;
        private Uri? _uri;
        private IPAddress? _remoteAddress;
        private int _remotePort;

        internal FetchResult(FetchRequest request)
        {
            Request = request;
            Method = request.Method;
            RequestedUri = FetchRedaction.Text(request.RawUri ?? (request.Uri!.IsAbsoluteUri ? request.Uri.AbsoluteUri : request.Uri.OriginalString))!;
            Uri = request.Uri?.IsAbsoluteUri == true ? request.Uri : null;
        }

        /// <summary>A failed result made without the engine (the cmdlets use it for input that is not a request at all).</summary>
        public static FetchResult CreateFailure(FetchRequest request, FetchErrorKind kind, string message)
        {
            return new FetchResult(request) { ErrorKind = kind, ErrorMessage = message };
        }

        // Request, body bytes and exception are methods, not properties, so that Export-Csv and ConvertTo-Json
        // give flat, readable rows: no nested request objects, no giant byte arrays, no exception graphs.
        private FetchRequest Request { get; }

        /// <summary>The request this is the result of (pipe them back into Invoke-AsyncFetch to retry).</summary>
        public FetchRequest GetRequest() => Request;

        /// <summary>What the request was made from (the pipeline input for the cmdlets).</summary>
        public object? Input => Request.Tag;

        /// <summary>
        /// The URL as requested (the text given, when the request was made from a string), with a password in it shown
        /// as *** (<see cref="FetchRedaction"/>; <see cref="GetRequest"/> has the URL as given).
        /// </summary>
        public string RequestedUri { get; }

        /// <summary>
        /// The URL the response came from: the requested one, or the last redirect target when redirects were
        /// followed (for a failure, the URL of the last request tried), with a password in it shown as ***. Null for
        /// an unusable URL.
        /// </summary>
        public Uri? Uri
        {
            get => _uri;
            internal set => _uri = FetchRedaction.Url(value);
        }

        /// <summary>How many redirects were followed to reach <see cref="Uri"/> (0 when none).</summary>
        public int RedirectCount => Redirects?.Count ?? 0;

        /// <summary>
        /// The redirects followed, in order (empty when none). A method, not a property, for the same reason as
        /// <see cref="GetBody"/>: flat rows for Export-Csv and ConvertTo-Json.
        /// </summary>
        public System.Collections.Generic.IReadOnlyList<FetchRedirect> GetRedirects() =>
            (System.Collections.Generic.IReadOnlyList<FetchRedirect>?)Redirects ?? Array.Empty<FetchRedirect>();

        internal System.Collections.Generic.List<FetchRedirect>? Redirects { get; set; }

        /// <summary>The HTTP method of the request that answered (it may differ from the one sent first after a 303 redirect).</summary>
        public string Method { get; }

        /// <summary>The HTTP status code; 0 when no response arrived.</summary>
        public int StatusCode { get; internal set; }

        /// <summary>The reason phrase of the status line; empty when no response arrived.</summary>
        public string ReasonPhrase { get; internal set; } = string.Empty;

        /// <summary>"1.1" or "1.0"; empty when no response arrived.</summary>
        public string HttpVersion { get; internal set; } = string.Empty;

        /// <summary>The response header fields, in the order received.</summary>
        public FetchHeaders Headers { get; internal set; } = new FetchHeaders();

        /// <summary>The Content-Type header of the response, or null.</summary>
        public string? ContentType => Headers["Content-Type"];

        /// <summary>The (decoded) body bytes: empty for a response without one (HEAD, 204, 304); null for a failure or a discarded body.</summary>
        public byte[]? GetBody() => Body;

        /// <summary>
        /// The body as text, decoded with the charset of Content-Type: UTF-8 when none is given, and also when the
        /// charset cannot be used, which <see cref="CharsetFallback"/> then names. A UTF-8 byte order mark wins over the charset.
        /// </summary>
        public string? Content => _content ??= Body == null ? null : DecodeText(Body, ContentType, out _);

        /// <summary>
        /// The charset of Content-Type, as given, when <see cref="Content"/> could not be decoded with it: a name
        /// this runtime does not know ("x-nonsense") or refuses ("utf-7", refused on every runtime, as browsers do:
        /// it can smuggle markup past filters). <see cref="Content"/> is then the body decoded as UTF-8, the default,
        /// with U+FFFD for bytes that are not UTF-8; <see cref="GetBody"/> has the bytes as received. Null when the
        /// charset was used, when none (or an empty one) was given, and when there is no body.
        /// </summary>
        public string? CharsetFallback
        {
            get
            {
                if (Body == null)
                {
                    return null;
                }

                ResolveEncoding(ContentType, out string? refused);
                return refused;
            }
        }

        internal byte[]? Body { get; set; }

        /// <summary>Length of the (decoded) body in bytes, also when it was discarded; for a download, the bytes written to <see cref="OutFile"/>; for a HEAD response, the length its Content-Length announces (as Invoke-WebRequest reports it).</summary>
        public long ContentLength { get; internal set; }

        /// <summary>
        /// The full path of the file the body was written to (the request had OutFile or OutDirectory and the
        /// response was a 2xx with a body); null otherwise. The body is then not in memory: GetBody() and Content are null.
        /// </summary>
        public string? OutFile { get; internal set; }

        /// <summary>Where the time went: queued, DNS, connect, TLS, first byte, total.</summary>
        public FetchTimings Timings { get; } = new FetchTimings();

        /// <summary>
        /// The server address and port the final attempt connected to, as text ("127.0.0.1:8080", "[::1]:8080"):
        /// for a host with several addresses, the one that won the connection race. Null when no connection
        /// was made (a DNS or connect failure, a request that never started).
        /// </summary>
        public string? RemoteEndPoint => _remoteAddress == null
            ? null
            : (_remoteAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + _remoteAddress + "]" : _remoteAddress.ToString())
              + ":" + _remotePort.ToString(System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>
        /// The proxy the final request went through ("http://proxy:3128", never with credentials), or null when it
        /// went direct. <see cref="RemoteEndPoint"/> is then the proxy's address.
        /// </summary>
        public string? Proxy { get; internal set; }

        /// <summary>The server address of <see cref="RemoteEndPoint"/> (null when no connection was made).</summary>
        public IPAddress? GetRemoteAddress() => _remoteAddress;

        /// <summary>Records the connection the attempt runs on (null: none yet).</summary>
        internal void SetRemoteEndPoint(IPAddress? address, int port)
        {
            _remoteAddress = address;
            _remotePort = port;
        }

        /// <summary>Total milliseconds of the final attempt (with its redirect hops), to the microsecond (Timings has the unrounded phases).</summary>
        public double ElapsedMs => Math.Round(Timings.TotalMs, 3);

        /// <summary>
        /// How many attempts were made: 1 plus the retries (MaximumRetryCount) and the silent retry on a stale
        /// keep-alive connection. Redirect hops are part of their attempt and do not count.
        /// </summary>
        public int Attempts { get; internal set; }

        /// <summary>None for a response (any status), else why no response could be had.</summary>
        public FetchErrorKind ErrorKind { get; internal set; }

        /// <summary>What went wrong, for a failure; null for a response. A password of a URL in it is shown as ***.</summary>
        public string? ErrorMessage
        {
            get => _errorMessage;
            internal set => _errorMessage = FetchRedaction.Text(value);
        }

        /// <summary>The exception behind a failure, when there was one.</summary>
        public Exception? GetException() => Exception;

        internal Exception? Exception { get; set; }

        /// <summary>True when a response arrived (ErrorKind None).</summary>
        public bool IsResponse => ErrorKind == FetchErrorKind.None;

        /// <summary>In a crawl, how many links from a start URL (depth 0) the page was found; 0 outside a crawl.</summary>
        public int Depth => Request.Depth;

        /// <summary>In a crawl, the URL of the page this one was found on; null for a start URL and outside a crawl.</summary>
        public string? Referrer => Request.Referrer;

        /// <summary>True when a response arrived and its status is below 400.</summary>
        public bool Succeeded => ErrorKind == FetchErrorKind.None && StatusCode < 400;

        /// <inheritdoc/>
        public override string ToString() => ErrorKind == FetchErrorKind.None
            ? $"{StatusCode} {RequestedUri}"
            : $"{ErrorKind} {RequestedUri}: {ErrorMessage}";

        /// <summary>Decodes <paramref name="body"/> as <see cref="Content"/> does; <paramref name="refused"/> as <see cref="CharsetFallback"/>.</summary>
        internal static string DecodeText(byte[] body, string? contentType, out string? refused)
        {
            Encoding encoding = ResolveEncoding(contentType, out refused);
            int skip = 0;
            if (body.Length >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF)
            {
                encoding = Utf8;
                skip = 3;
            }

            return encoding.GetString(body, skip, body.Length - skip);
        }

        /// <summary>UTF-8 without a byte order mark; bytes that are not UTF-8 become U+FFFD.</summary>
        private static readonly Encoding Utf8 = new UTF8Encoding(false);

        /// <summary>
        /// The encoding of the charset of <paramref name="contentType"/>, or UTF-8 when none (or an empty one) is
        /// given or the charset cannot be used; <paramref name="refused"/> is then that charset's name, as given.
        /// </summary>
        private static Encoding ResolveEncoding(string? contentType, out string? refused)
        {
            refused = null;
            string? charset = GetCharset(contentType);
            if (string.IsNullOrEmpty(charset))
            {
                return Utf8;
            }

            try
            {
                Encoding encoding = Encoding.GetEncoding(charset);
                if (encoding.CodePage != Utf7CodePage)
                {
                    return encoding;
                }
            }
            catch (Exception e) when (e is ArgumentException || e is NotSupportedException)
            {
                // unknown to this runtime, or refused by it (.NET 5 and later refuse UTF-7)
            }

            refused = charset;
            return Utf8;
        }

        private const int Utf7CodePage = 65000;

        private static string? GetCharset(string? contentType)
        {
            if (contentType == null)
            {
                return null;
            }

            foreach (string part in contentType.Split(';'))
            {
                string p = part.Trim();
                if (p.StartsWith("charset=", StringComparison.OrdinalIgnoreCase))
                {
                    return p.Substring(8).Trim('"', '\'', ' ');
                }
            }

            return null;
        }
    }
}
