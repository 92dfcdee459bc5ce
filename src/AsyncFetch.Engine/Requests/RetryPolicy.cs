using System;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Proxy;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// What is retried and how long to wait; pure functions (the clock and the random source are parameters).
    ///
    /// - Retried for idempotent methods: connect failures, timeouts (not one that fires after the whole
    ///   response arrived), a connection lost mid-response, a DNS answer "try again" (EAI_AGAIN: a resolver
    ///   that timed out or failed for now), and the statuses 408, 429, 500, 502, 503, 504.
    /// - Other methods (POST, PATCH, ...): only when no byte of the request was sent, i.e. connect failures,
    ///   DNS "try again", and timeouts before sending (the connect timeout, or the total one during DNS or
    ///   connect). The server cannot have acted on a request it never saw.
    /// - A proxy refusing a tunnel (CONNECT) with 408, 429, 500, 502, 503 or 504: any method (the target never
    ///   saw the request).
    /// - Not retried: a DNS "no such host" (a definitive answer; retrying would only spend the backoff),
    ///   protocol and size errors, cancellation, and every other status.
    /// - The wait: Retry-After on 429 and 503 when present and parseable (delta-seconds, or an HTTP-date taken
    ///   relative to the response's Date header, else to the local clock), else RetryInterval * 2^(n-1) for
    ///   the n-th retry, capped at MaxRetryDelay, then ±20 % jitter (still within the cap) so that a batch of
    ///   requests failing together does not come back together. A Retry-After above MaxRetryDelay: no retry.
    /// </summary>
    internal static class RetryPolicy
    {
        /// <summary>The statuses retried (for idempotent methods).</summary>
        [MethodImpl(Hot.Path)]
        public static bool IsRetryableStatus(int status) =>
            status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;

        /// <summary>Whether a failure of this kind may be retried; <paramref name="requestSent"/>: some of the request went out.</summary>
        public static bool IsRetryableFailure(FetchErrorKind kind, Exception? exception, string method, bool requestSent, bool responseComplete)
        {
            switch (kind)
            {
                case FetchErrorKind.Connect:
                    return true;
                case FetchErrorKind.Dns:
                    return IsTemporaryDnsFailure(exception);
                case FetchErrorKind.Timeout:
                    return !responseComplete && (!requestSent || HttpRequestWriter.IsIdempotent(method));
                case FetchErrorKind.ConnectionLost:
                    return HttpRequestWriter.IsIdempotent(method);
                case FetchErrorKind.Proxy:
                    // The target never saw the request: any method may try again when the proxy's trouble is transient.
                    return exception is ProxyTunnelException refused && IsRetryableStatus(refused.StatusCode);
                default:
                    return false;
            }
        }

        /// <summary>True for a resolver's "try again later" (EAI_AGAIN), as opposed to "no such host".</summary>
        public static bool IsTemporaryDnsFailure(Exception? exception)
        {
            for (Exception? e = exception; e != null; e = e.InnerException)
            {
                if (e is SocketException se)
                {
                    return se.SocketErrorCode == SocketError.TryAgain;
                }
            }

            return false;
        }

        /// <summary>The exponential backoff before retry number <paramref name="retry"/> (1-based), capped and jittered; <paramref name="random01"/> in [0, 1).</summary>
        public static TimeSpan Backoff(TimeSpan interval, int retry, TimeSpan cap, double random01)
        {
            double ms = interval.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30));
            double capMs = cap.TotalMilliseconds;
            ms = Math.Min(ms, capMs) * (0.8 + (0.4 * random01));
            return TimeSpan.FromMilliseconds(Math.Min(ms, capMs));
        }

        /// <summary>
        /// Parses a Retry-After value: delta-seconds, or an HTTP-date relative to <paramref name="date"/> (the
        /// response's Date header) when that parses, else to <paramref name="nowUtc"/>. A date in the past is a
        /// zero wait. False when the value is neither form (the backoff applies then).
        /// </summary>
        public static bool TryParseRetryAfter(string? value, string? date, DateTimeOffset nowUtc, out TimeSpan delay)
        {
            delay = TimeSpan.Zero;
            if (value == null)
            {
                return false;
            }

            string v = value.Trim();
            if (v.Length > 0 && IsDigits(v))
            {
                // Too many digits for a long is still "a very long time": beyond any cap.
                delay = long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds) && seconds <= (long)TimeSpan.MaxValue.TotalSeconds - 1
                    ? TimeSpan.FromSeconds(seconds)
                    : TimeSpan.MaxValue;
                return true;
            }

            if (!TryParseHttpDate(v, out DateTimeOffset when))
            {
                return false;
            }

            DateTimeOffset reference = date != null && TryParseHttpDate(date.Trim(), out DateTimeOffset served) ? served : nowUtc;
            TimeSpan d = when - reference;
            delay = d > TimeSpan.Zero ? d : TimeSpan.Zero;
            return true;
        }

        private static readonly string[] HttpDateFormats =
        {
            "r",                                // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            "dddd, dd'-'MMM'-'yy HH':'mm':'ss 'GMT'", // obsolete RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            "ddd MMM d HH':'mm':'ss yyyy",      // obsolete asctime: Sun Nov  6 08:49:37 1994
        };

        /// <summary>Parses the three HTTP-date forms of RFC 9110 section 5.6.7 (always GMT).</summary>
        public static bool TryParseHttpDate(string s, out DateTimeOffset value) =>
            DateTimeOffset.TryParseExact(
                s,
                HttpDateFormats,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AllowInnerWhite | DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out value);

        private static bool IsDigits(string s)
        {
            foreach (char c in s)
            {
                if (c < '0' || c > '9')
                {
                    return false;
                }
            }

            return true;
        }
    }
}
