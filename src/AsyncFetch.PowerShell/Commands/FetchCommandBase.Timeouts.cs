using System;
using System.Management.Automation;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// The connect timeout under Invoke-WebRequest 7.4's name, -ConnectionTimeoutSeconds. -ConnectTimeoutSec, its
    /// name before, stays as an alias. Invoke-WebRequest's -ConnectionTimeoutSeconds runs until the response headers
    /// arrive; here it ends when the connection is made (TCP, proxy tunnel, TLS), and -TimeoutSec bounds the rest.
    /// </summary>
    public abstract partial class FetchCommandBase
    {
        /// <summary>
        /// Seconds allowed for making a connection once the host name is resolved: TCP, a proxy tunnel and the TLS
        /// handshake (default 15). 0, as with Invoke-WebRequest, sets no limit of its own: -TimeoutSec still bounds the attempt.
        /// </summary>
        [Parameter]
        [Alias("ConnectTimeoutSec")]
        [ValidateRange(0, 3600)]
        public int ConnectionTimeoutSeconds { get; set; } = DefaultConnectTimeoutSec;

        /// <summary>The engine's connect timeout for -ConnectionTimeoutSeconds (0: as long as the attempt may take).</summary>
        private TimeSpan EngineConnectTimeout => TimeSpan.FromSeconds(ConnectionTimeoutSeconds == 0 ? TimeoutSec : ConnectionTimeoutSeconds);
    }
}
