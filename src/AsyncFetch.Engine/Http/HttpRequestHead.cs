using System;
using System.Collections.Generic;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// What <see cref="HttpRequestWriter.WriteHead"/> writes a request head from: plain values, every default
    /// already resolved by the caller. A struct passed by reference, so describing a request costs no allocation.
    /// </summary>
    internal struct HttpRequestHead
    {
        /// <summary>The method, a token (<see cref="HttpRequestWriter.ValidateMethod"/>).</summary>
        public string Method;

        /// <summary>The absolute http or https URI of the target; its fragment is never sent.</summary>
        public Uri Target;

        /// <summary>
        /// Header fields sent in this order after the defaults they do not replace (Host, User-Agent, Accept,
        /// Accept-Encoding, Content-Type). Content-Length and Transfer-Encoding among them are not sent: the body decides.
        /// </summary>
        public IList<KeyValuePair<string, string>> Headers;

        /// <summary>The Content-Type value, or null for none.</summary>
        public string? ContentType;

        /// <summary>The User-Agent value sent unless <see cref="Headers"/> has one.</summary>
        public string UserAgent;

        /// <summary>The length of the body, or null when the request has none (POST, PUT and PATCH still send Content-Length: 0).</summary>
        public long? BodyLength;

        /// <summary>The body's length is unknown: it goes with "Transfer-Encoding: chunked" instead of a Content-Length.</summary>
        public bool Chunked;

        /// <summary>Send Accept-Encoding with the codings the content decoder supports, unless <see cref="Headers"/> has one.</summary>
        public bool AcceptCompressed;

        /// <summary>
        /// The request goes to a proxy (plain http through it): the target in absolute form (RFC 9112 section 3.2.2)
        /// instead of origin form. The Host field stays the target's.
        /// </summary>
        public bool AbsoluteForm;

        /// <summary>A Proxy-Authorization value to send (one in <see cref="Headers"/> is then left out), or null.</summary>
        public string? ProxyAuthorization;

        /// <summary>An Authorization value to send, or null; the caller leaves it null when <see cref="Headers"/> has one.</summary>
        public string? Authorization;

        /// <summary>Cookies to send (a cookie-string, RFC 6265 section 5.4), or null: appended to a Cookie field in <see cref="Headers"/>, else a field of its own.</summary>
        public string? Cookie;
    }
}
