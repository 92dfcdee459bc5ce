using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// Which redirects are followed and how the next request looks; pure functions, so every rule is tested
    /// without a server (an https origin included, before the engine speaks TLS).
    ///
    /// - 301, 302, 303, 307 and 308 with a non-empty Location are redirects; any other 3xx, or one without a
    ///   Location, is an ordinary response. A relative Location is resolved against the URL that answered.
    /// - 303 turns every method but HEAD into a bodiless GET, and so do 301 and 302 after a POST (what browsers
    ///   and HttpClient do); 307 and 308 keep method and body.
    /// - Leaving the origin (scheme, host, port) drops Authorization, Cookie and Proxy-Authorization, unless preserved; once dropped
    ///   they stay dropped for the rest of the chain. A caller-set Host header is dropped too: it named the old host.
    /// - Refused (FetchErrorKind.Redirect): a Location that is no http(s) URL, https to http unless allowed, a
    ///   method and URL already requested in this chain (a loop: without a cookie jar the same request gets the
    ///   same answer), more redirects than the maximum, a target the request validation refuses, and a plain http
    ///   target that would still get the request's credentials (preserved across origins) unless unencrypted
    ///   authentication is allowed: the rule a request's first URL is held to holds for every hop.
    /// </summary>
    internal static class RedirectPolicy
    {
        /// <summary>The statuses followed.</summary>
        [MethodImpl(Hot.Path)]
        public static bool IsRedirect(int status) => status == 301 || status == 302 || status == 303 || status == 307 || status == 308;

        /// <summary>
        /// Returns null and the next hop's request in <paramref name="next"/> (its Uri is the target), or a message
        /// saying why the redirect is refused. <paramref name="chain"/> holds the redirects followed so far.
        /// </summary>
        public static string? Next(
            FetchRequest current,
            Uri currentUri,
            int status,
            string location,
            IReadOnlyList<FetchRedirect>? chain,
            int maximum,
            bool preserveCredentials,
            bool allowInsecure,
            bool allowUnencryptedAuthentication,
            out FetchRequest? next)
        {
            next = null;
            string shown = Printable(location);
            if (!Uri.TryCreate(currentUri, location.Trim(), out Uri? target) || !target.IsAbsoluteUri)
            {
                return $"The redirect's Location '{shown}' is not a valid URL.";
            }

            if (target.Scheme != "http" && target.Scheme != "https")
            {
                return $"Refused to follow the redirect to '{shown}': the scheme '{target.Scheme}' is not http or https.";
            }

            if (currentUri.Scheme == "https" && target.Scheme == "http" && !allowInsecure)
            {
                return $"Refused to follow the redirect from https to http ('{Printable(target.AbsoluteUri)}'); AllowInsecureRedirect permits it.";
            }

            string method = current.Method;
            bool becomeGet = (status == 303 && method != "HEAD") || ((status == 301 || status == 302) && method == "POST");
            string nextMethod = becomeGet ? "GET" : method;
            if (Visited(nextMethod, target, current.Method, currentUri, chain))
            {
                return $"Redirect loop: {nextMethod} '{Printable(target.AbsoluteUri)}' was already requested in this redirect chain.";
            }

            int followed = chain?.Count ?? 0;
            if (followed >= maximum)
            {
                return $"Too many redirects: more than {maximum} (MaximumRedirection); the next one pointed to '{Printable(target.AbsoluteUri)}'.";
            }

            bool originChanged = !SameOrigin(currentUri, target);
            FetchRequest candidate = current.ForRedirect(target, becomeGet, originChanged && !preserveCredentials, originChanged);
            string? invalid = FetchRequestHead.Validate(candidate, out _);
            if (invalid != null)
            {
                return $"Cannot follow the redirect to '{Printable(target.AbsoluteUri)}': {invalid}";
            }

            string? unencrypted = FetchCredential.RefusalFor(candidate, allowUnencryptedAuthentication);
            if (unencrypted != null)
            {
                return "Cannot follow the redirect: " + unencrypted;
            }

            next = candidate;
            return null;
        }

        /// <summary>Scheme, host (case-insensitive) and port all equal.</summary>
        public static bool SameOrigin(Uri a, Uri b) =>
            string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
            && a.Port == b.Port;

        private static bool Visited(string method, Uri target, string currentMethod, Uri currentUri, IReadOnlyList<FetchRedirect>? chain)
        {
            if (method == currentMethod && Same(target, currentUri))
            {
                return true;
            }

            if (chain != null)
            {
                foreach (FetchRedirect hop in chain)
                {
                    if (hop.Method == method && Same(hop.Uri, target))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        // The request line and Host are what the server sees: fragments and user info are never sent.
        private static bool Same(Uri a, Uri b) => SameOrigin(a, b) && string.Equals(a.PathAndQuery, b.PathAndQuery, StringComparison.Ordinal);

        private static string Printable(string s)
        {
            var chars = s.Length > 300 ? s.Substring(0, 300).ToCharArray() : s.ToCharArray();
            for (int i = 0; i < chars.Length; i++)
            {
                if (char.IsControl(chars[i]))
                {
                    chars[i] = '?';
                }
            }

            return new string(chars) + (s.Length > 300 ? "..." : string.Empty);
        }
    }
}
