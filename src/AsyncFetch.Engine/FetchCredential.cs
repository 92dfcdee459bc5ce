using System;
using System.Collections.Generic;
using System.Net;
using System.Security;
using System.Text;

namespace AsyncFetch
{
    /// <summary>
    /// Credentials for the server a request goes to (a proxy has <see cref="FetchProxy.Credential"/>): a user name and
    /// password sent as Basic, or a token sent as "Authorization: Bearer token". Immutable, so one object serves a
    /// whole batch; the secret is kept only as the header value it is sent as, and <see cref="ToString"/> never shows it.
    ///
    /// When it is sent: <see cref="Basic(NetworkCredential)"/> and <see cref="Bearer(string)"/> credentials go with
    /// every request (Invoke-WebRequest's -Authentication Basic, Bearer and OAuth; curl's user:password@ in a URL);
    /// <see cref="OnChallenge"/> credentials only when the server answers 401 with a WWW-Authenticate that offers
    /// Basic, and then on that URL once more (Invoke-WebRequest's -Credential without -Authentication, where .NET
    /// answers the challenge; AsyncFetch answers Basic only, not Digest, NTLM or Negotiate).
    ///
    /// Where it is not sent: over plain http, unless <see cref="FetchRequest.AllowUnencryptedAuthentication"/>
    /// (the request fails as InvalidRequest instead); to another origin after a redirect, unless
    /// <see cref="FetchRequest.PreserveAuthorizationOnRedirect"/>; and not at all when the request has an Authorization
    /// header of its own (that header wins, as a -Headers value does in Invoke-WebRequest). Any thread.
    /// </summary>
    public sealed class FetchCredential
    {
        private FetchCredential? _answered;

        private FetchCredential(string scheme, string? userName, string authorization, bool waitsForChallenge)
        {
            Scheme = scheme;
            UserName = userName;
            Authorization = authorization;
            WaitsForChallenge = waitsForChallenge;
        }

        /// <summary>"Basic" or "Bearer".</summary>
        public string Scheme { get; }

        /// <summary>The user name sent ("DOMAIN\user" when the credential has a domain); null for a token.</summary>
        public string? UserName { get; }

        /// <summary>True when the credentials go only to a server that asks for them (<see cref="OnChallenge"/>).</summary>
        public bool WaitsForChallenge { get; }

        /// <summary>The Authorization field value ("Basic ...", "Bearer ...").</summary>
        internal string Authorization { get; }

        /// <summary>The same credentials sent at once: what an answered challenge goes on with (one per credential).</summary>
        internal FetchCredential Answered => _answered ??= new FetchCredential(Scheme, UserName, Authorization, waitsForChallenge: false);

        /// <summary>A user name and password sent as Basic with every request. A domain, when set, is sent as "DOMAIN\user".</summary>
        public static FetchCredential Basic(NetworkCredential credential) => FromNetworkCredential(credential, waitsForChallenge: false);

        /// <summary>A user name and password sent as Basic, but only after the server asked for Basic credentials (a 401).</summary>
        public static FetchCredential OnChallenge(NetworkCredential credential) => FromNetworkCredential(credential, waitsForChallenge: true);

        /// <summary>A token sent with every request as "Authorization: Bearer token" (OAuth 2.0 bearer tokens, API keys).</summary>
        /// <exception cref="ArgumentException">The token is empty or has a character that cannot go into a header (a control character, a space).</exception>
        public static FetchCredential Bearer(string token)
        {
            if (token == null)
            {
                throw new ArgumentNullException(nameof(token));
            }

            foreach (char c in token)
            {
                if (c <= ' ' || c >= 0x7F)
                {
                    throw new ArgumentException("The token has a character that cannot be sent in an Authorization header (a space, a control character or a non-ASCII character).", nameof(token));
                }
            }

            if (token.Length == 0)
            {
                throw new ArgumentException("The token is empty.", nameof(token));
            }

            return new FetchCredential("Bearer", null, "Bearer " + token, waitsForChallenge: false);
        }

        /// <inheritdoc cref="Bearer(string)"/>
        public static FetchCredential Bearer(SecureString token)
        {
            if (token == null)
            {
                throw new ArgumentNullException(nameof(token));
            }

            return Bearer(new NetworkCredential(string.Empty, token).Password);
        }

        /// <summary>"Basic user:***", "Bearer ***", with " (on challenge)" when it waits for one; never the secret.</summary>
        public override string ToString() =>
            Scheme + " " + (UserName == null ? string.Empty : UserName + ":") + FetchRedaction.Mask + (WaitsForChallenge ? " (on challenge)" : string.Empty);

        /// <summary>
        /// The user name and password in <paramref name="uri"/> ("http://user:password@host/"), percent-decoded, as
        /// Basic credentials sent with every request (curl's rule); null when it has none.
        /// </summary>
        internal static FetchCredential? FromUserInfo(Uri uri) =>
            TrySplitUserInfo(uri, out string? user, out string? password)
                ? new FetchCredential("Basic", user, BasicValue(user!, password!), waitsForChallenge: false)
                : null;

        /// <summary>
        /// The user name and password of <paramref name="uri"/>'s user information, percent-decoded (the password is
        /// empty when there is only a user name); false when it has none.
        /// </summary>
        internal static bool TrySplitUserInfo(Uri uri, out string? user, out string? password)
        {
            user = null;
            password = null;
            if (!uri.IsAbsoluteUri || uri.OriginalString.IndexOf('@') < 0)
            {
                return false;
            }

            string info = uri.UserInfo;
            if (info.Length == 0)
            {
                return false;
            }

            // Still percent-encoded: split at the first raw ':' first, so an encoded one (%3A) stays in its part.
            int colon = info.IndexOf(':');
            user = Uri.UnescapeDataString(colon >= 0 ? info.Substring(0, colon) : info);
            password = colon >= 0 ? Uri.UnescapeDataString(info.Substring(colon + 1)) : string.Empty;
            return true;
        }

        /// <summary>"Basic " and the Base64 of UTF-8 "user:password" (RFC 7617).</summary>
        internal static string BasicValue(string user, string password) =>
            "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));

        /// <summary>True when one of the WWW-Authenticate values offers the Basic scheme (a challenge is "Scheme params", several may share a value, separated by commas).</summary>
        internal static bool OffersBasic(IEnumerable<string> challenges)
        {
            foreach (string value in challenges)
            {
                foreach (string part in value.Split(','))
                {
                    string p = part.TrimStart();
                    if (p.StartsWith("Basic", StringComparison.OrdinalIgnoreCase) && (p.Length == 5 || p[5] == ' ' || p[5] == '\t'))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// True when <paramref name="request"/> would send credentials (<see cref="FetchRequest.GetCredential"/>) over
        /// plain http without <see cref="FetchRequest.AllowUnencryptedAuthentication"/> (when that is unset:
        /// <paramref name="allowUnencryptedByDefault"/>, the engine's default). The engine fails such a request as
        /// InvalidRequest before anything is sent; a caller can use this to refuse it first, in its own words.
        /// </summary>
        public static bool IsRefusedOverHttp(FetchRequest request, bool allowUnencryptedByDefault = false)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }

            Uri? uri = request.Uri;
            return uri != null && uri.IsAbsoluteUri && uri.Scheme == "http"
                && !(request.AllowUnencryptedAuthentication ?? allowUnencryptedByDefault)
                && request.GetCredential() != null;
        }

        /// <summary>The engine's message for a request <see cref="IsRefusedOverHttp"/> refuses; null when it may go.</summary>
        internal static string? RefusalFor(FetchRequest request, bool allowUnencryptedByDefault) =>
            IsRefusedOverHttp(request, allowUnencryptedByDefault)
                ? $"Refused to send credentials over plain http to '{FetchRedaction.Text(request.Uri!.AbsoluteUri)}': they would travel unencrypted. Use https, or allow it with AllowUnencryptedAuthentication."
                : null;

        /// <summary>The user name Basic sends for <paramref name="credential"/>: "DOMAIN\\user" when it has a domain.</summary>
        internal static string UserNameOf(NetworkCredential credential) =>
            string.IsNullOrEmpty(credential.Domain) ? credential.UserName : credential.Domain + "\\" + credential.UserName;

        private static FetchCredential FromNetworkCredential(NetworkCredential credential, bool waitsForChallenge)
        {
            if (credential == null)
            {
                throw new ArgumentNullException(nameof(credential));
            }

            string user = UserNameOf(credential);
            return new FetchCredential("Basic", user, BasicValue(user, credential.Password ?? string.Empty), waitsForChallenge);
        }
    }
}
