using System;
using System.Collections.Generic;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// What makes two GET requests identical, so one response can answer both (see <see cref="InFlightGets"/>):
    ///
    /// <list type="bullet">
    /// <item>both are GET (exactly "GET"), with no body, and neither writes its body to a file (<c>OutFile</c>,
    /// <c>OutDirectory</c>: a download is never shared);</item>
    /// <item>the same URL by its normal form (<see cref="FetchUrl"/>: case, default port, dot segments, fragment,
    /// percent-encoding; user information included);</item>
    /// <item>the same limiter (one batch, or the engine's default limits): requests of different batches never share;</item>
    /// <item>the same header fields in the same order (names compared case-insensitively, values exactly), the same
    /// UserAgent and ContentType;</item>
    /// <item>the same settings that shape the response or its handling: DiscardBody, MaxResponseBytes, Timeout,
    /// ConnectTimeout, OperationTimeout, MaximumRedirection, PreserveAuthorizationOnRedirect, AllowInsecureRedirect,
    /// MaximumRetryCount, RetryInterval, SkipCertificateCheck, AllowUnencryptedAuthentication;</item>
    /// <item>the very same objects (by reference) for Credential, CookieContainer, Proxy and ClientCertificates, and the
    /// same Cookie header from that jar when the request was submitted (a jar changed between two submissions, a login
    /// say, would have sent different cookies).</item>
    /// </list>
    ///
    /// Tag (the caller's own object) is not part of it. Made on the submitting thread, compared on the loop; immutable
    /// (it reads the request, which the engine never changes while it is in flight).
    /// </summary>
    internal sealed class CoalesceKey : IEquatable<CoalesceKey>
    {
        private readonly string _url;
        private readonly FetchRequest _request;
        private readonly FetchLimiter _limiter;
        private readonly string? _cookies;
        private readonly int _hash;

        private CoalesceKey(string url, FetchRequest request, FetchLimiter limiter, string? cookies)
        {
            _url = url;
            _request = request;
            _limiter = limiter;
            _cookies = cookies;
            _hash = StringComparer.Ordinal.GetHashCode(url) ^ request.Headers.Count;
        }

        /// <summary>
        /// The key of <paramref name="request"/> (whose absolute URL is <paramref name="uri"/>, whose cookies come from
        /// <paramref name="jar"/>), or null when it may not be shared.
        /// </summary>
        public static CoalesceKey? For(FetchRequest request, Uri uri, FetchLimiter limiter, System.Net.CookieContainer? jar)
        {
            if (request.Method != "GET" || request.Body != null || request.Content != null || request.HasOutputTarget
                || !FetchUrl.TryNormalize(uri, out string url))
            {
                return null;
            }

            return new CoalesceKey(url, request, limiter, CookieJar.HeaderFor(jar, uri));
        }

        /// <summary>The normal form of the URL.</summary>
        public string Url => _url;

        public override int GetHashCode() => _hash;

        public override bool Equals(object? obj) => Equals(obj as CoalesceKey);

        public bool Equals(CoalesceKey? other)
        {
            if (other == null)
            {
                return false;
            }

            if (ReferenceEquals(this, other))
            {
                return true;
            }

            FetchRequest a = _request, b = other._request;
            return _hash == other._hash
                && string.Equals(_url, other._url, StringComparison.Ordinal)
                && ReferenceEquals(_limiter, other._limiter)
                && SameHeaders(a.Headers, b.Headers)
                && a.UserAgent == b.UserAgent
                && a.ContentType == b.ContentType
                && a.DiscardBody == b.DiscardBody
                && a.MaxResponseBytes == b.MaxResponseBytes
                && a.Timeout == b.Timeout
                && a.ConnectTimeout == b.ConnectTimeout
                && a.OperationTimeout == b.OperationTimeout
                && a.MaximumRedirection == b.MaximumRedirection
                && a.PreserveAuthorizationOnRedirect == b.PreserveAuthorizationOnRedirect
                && a.AllowInsecureRedirect == b.AllowInsecureRedirect
                && a.MaximumRetryCount == b.MaximumRetryCount
                && a.RetryInterval == b.RetryInterval
                && a.SkipCertificateCheck == b.SkipCertificateCheck
                && a.AllowUnencryptedAuthentication == b.AllowUnencryptedAuthentication
                && ReferenceEquals(a.Credential, b.Credential)
                && ReferenceEquals(a.CookieContainer, b.CookieContainer)
                && string.Equals(_cookies, other._cookies, StringComparison.Ordinal)
                && ReferenceEquals(a.Proxy, b.Proxy)
                && ReferenceEquals(a.ClientCertificates, b.ClientCertificates);
        }

        private static bool SameHeaders(IList<KeyValuePair<string, string>> a, IList<KeyValuePair<string, string>> b)
        {
            if (a.Count != b.Count)
            {
                return false;
            }

            for (int i = 0; i < a.Count; i++)
            {
                if (!string.Equals(a[i].Key, b[i].Key, StringComparison.OrdinalIgnoreCase) || !string.Equals(a[i].Value, b[i].Value, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
