using System;

namespace AsyncFetch
{
    /// <summary>One redirect a request followed: which URL answered with which 3xx status (URLs without their passwords).</summary>
    public sealed class FetchRedirect
    {
        internal FetchRedirect(Uri uri, string method, int statusCode, Uri location)
        {
            Uri = FetchRedaction.Url(uri)!;
            Method = method;
            StatusCode = statusCode;
            Location = FetchRedaction.Url(location)!;
        }

        /// <summary>The URL that answered with the redirect.</summary>
        public Uri Uri { get; }

        /// <summary>The method of the request that got the redirect (a 303 turns the next one into GET).</summary>
        public string Method { get; }

        /// <summary>The redirect status: 301, 302, 303, 307 or 308.</summary>
        public int StatusCode { get; }

        /// <summary>Where it pointed: the Location header resolved against <see cref="Uri"/>.</summary>
        public Uri Location { get; }

        /// <inheritdoc/>
        public override string ToString() => $"{StatusCode} {Method} {Uri.AbsoluteUri} -> {Location.AbsoluteUri}";
    }
}
