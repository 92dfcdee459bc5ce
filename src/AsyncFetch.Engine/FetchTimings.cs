
namespace AsyncFetch
{
    /// <summary>Where the time of the final attempt went, in milliseconds. Phases that did not happen are 0.</summary>
    public sealed class FetchTimings
    {
        /// <summary>Time spent queued behind the concurrency limits before the attempt started.</summary>
        public double QueuedMs { get; internal set; }

        /// <summary>Name resolution (0 for an IP literal, a cached name or a reused connection).</summary>
        public double DnsMs { get; internal set; }

        /// <summary>TCP connect (0 for a reused connection).</summary>
        public double ConnectMs { get; internal set; }

        /// <summary>The proxy's answer to CONNECT, from the TCP connect to the proxy (0 without a tunnel).</summary>
        public double TunnelMs { get; internal set; }

        /// <summary>TLS handshake (0 for http).</summary>
        public double TlsMs { get; internal set; }

        /// <summary>From the start of the attempt to the first byte of the response.</summary>
        public double FirstByteMs { get; internal set; }

        /// <summary>From the start of the attempt to the end of the response.</summary>
        public double TotalMs { get; internal set; }

        /// <summary>Clears the connection phases for a new attempt or redirect hop (they describe the final one).</summary>
        internal void ResetPhases()
        {
            DnsMs = 0;
            ConnectMs = 0;
            TunnelMs = 0;
            TlsMs = 0;
            FirstByteMs = 0;
        }

        /// <inheritdoc/>
        public override string ToString() =>
            $"dns {DnsMs:0.0} ms, connect {ConnectMs:0.0} ms, tls {TlsMs:0.0} ms, first byte {FirstByteMs:0.0} ms, total {TotalMs:0.0} ms";
    }
}
