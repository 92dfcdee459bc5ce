using System.Collections.Generic;

namespace AsyncFetch
{
    /// <summary>A result that answers a request which shared an identical GET in flight.</summary>
    public sealed partial class FetchResult
    {
        /// <summary>
        /// True when this request did not go to the network itself: an identical GET was in flight (with
        /// <see cref="FetchEngineOptions.CoalesceIdenticalGets"/> or a batch's CoalesceIdenticalGets) and this result is a
        /// copy of that one's response or failure. Its <see cref="Timings"/> and <see cref="ElapsedMs"/> are then the
        /// shared request's (the network's time), not this request's wait.
        /// </summary>
        public bool Coalesced { get; internal set; }

        /// <summary>
        /// Takes the response of <paramref name="source"/> (the shared GET's result) as this request's: status, headers (a
        /// copy), the body (a copy when <paramref name="copyBody"/>), redirects, timings, connection; the error is set by
        /// completion. The request, Tag and RequestedUri stay this result's; Uri too unless a redirect moved it.
        /// </summary>
        internal void CopyResponseFrom(FetchResult source, bool copyBody)
        {
            if (source.Redirects != null)
            {
                Redirects = new List<FetchRedirect>(source.Redirects);
                _uri = source._uri;
            }

            StatusCode = source.StatusCode;
            ReasonPhrase = source.ReasonPhrase;
            HttpVersion = source.HttpVersion;
            Headers = new FetchHeaders(source.Headers);
            Body = copyBody && source.Body != null ? (byte[])source.Body.Clone() : source.Body;
            ContentLength = source.ContentLength;
            OutFile = source.OutFile;
            Proxy = source.Proxy;
            Attempts = source.Attempts;
            _remoteAddress = source._remoteAddress;
            _remotePort = source._remotePort;
            FetchTimings t = source.Timings;
            Timings.QueuedMs = t.QueuedMs;
            Timings.DnsMs = t.DnsMs;
            Timings.ConnectMs = t.ConnectMs;
            Timings.TunnelMs = t.TunnelMs;
            Timings.TlsMs = t.TlsMs;
            Timings.FirstByteMs = t.FirstByteMs;
            Timings.TotalMs = t.TotalMs;
        }
    }
}
