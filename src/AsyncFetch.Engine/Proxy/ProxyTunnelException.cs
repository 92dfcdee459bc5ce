using System;

namespace AsyncFetch.Engine.Proxy
{
    /// <summary>
    /// The proxy answered CONNECT with something other than 2xx (the exception behind a
    /// <see cref="FetchErrorKind.Proxy"/> failure): its status decides whether the request is retried.
    /// </summary>
    internal sealed class ProxyTunnelException : Exception
    {
        public ProxyTunnelException(int statusCode, string message)
            : base(message)
        {
            StatusCode = statusCode;
        }

        /// <summary>The proxy's status code.</summary>
        public int StatusCode { get; }
    }
}
