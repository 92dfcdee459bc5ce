using System;
using System.Security.Cryptography.X509Certificates;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch
{
    /// <summary>Engine-wide settings and the defaults for requests that leave a value unset.</summary>
    public sealed class FetchEngineOptions
    {
        /// <summary>Requests in flight at once (queued requests wait, first come first served).</summary>
        public int MaxConcurrency { get; set; } = 64;

        /// <summary>Requests in flight at once to one host name.</summary>
        public int PerHostLimit { get; set; } = 16;

        /// <summary>Default total time per attempt.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

        /// <summary>Default time allowed for establishing a TCP connection (all addresses of the host together).</summary>
        public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

        /// <summary>How long an unused keep-alive connection stays in the pool.</summary>
        public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>How long a resolved host name is reused.</summary>
        public TimeSpan DnsCacheTime { get; set; } = TimeSpan.FromSeconds(60);

        public string UserAgent { get; set; } = "AsyncFetch/" + typeof(FetchEngineOptions).Assembly.GetName().Version?.ToString(3);

        public int MaxHeaderBytes { get; set; } = 64 * 1024;

        public int MaxHeaderCount { get; set; } = 100;

        /// <summary>Default limit on a (decoded) response body kept in memory.</summary>
        public long MaxResponseBytes { get; set; } = 256L * 1024 * 1024;

        /// <summary>Send Accept-Encoding: gzip, deflate and decode such bodies.</summary>
        public bool AutomaticDecompression { get; set; } = true;

        public SelectorKind Selector { get; set; } = SelectorKind.Default;

        /// <summary>
        /// Default for https requests that leave <see cref="FetchRequest.SkipCertificateCheck"/> unset: accept any
        /// server certificate (expired, self-signed, for another name). False: certificates are validated.
        /// </summary>
        public bool SkipCertificateCheck { get; set; }

        /// <summary>
        /// Default client certificates for https requests that leave <see cref="FetchRequest.ClientCertificates"/>
        /// unset; null for none. One is sent only when the server asks for it: the first with a private key whose
        /// issuer the server accepts, else the first with a private key.
        /// </summary>
        public X509CertificateCollection? ClientCertificates { get; set; }

        /// <summary>
        /// Root certificates trusted in addition to the system's store (a private CA, a test CA, or a self-signed
        /// server certificate to pin), without installing them anywhere. A server chain that the system refuses
        /// only because its root is unknown is accepted when that root is one of these (matched by thumbprint)
        /// and nothing else is wrong with the chain (expiry, signatures). The name must still match. Null: the
        /// system store alone.
        /// </summary>
        public X509Certificate2Collection? TrustedRootCertificates { get; set; }

        /// <summary>Name resolution; null for <see cref="System.Net.Dns.GetHostAddressesAsync(string)"/>. Tests substitute it.</summary>
        internal Func<string, System.Threading.Tasks.Task<System.Net.IPAddress[]>>? Resolver { get; set; }

        internal FetchEngineOptions Validate()
        {
            if (MaxConcurrency < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), "MaxConcurrency must be at least 1.");
            }

            if (PerHostLimit < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(PerHostLimit), "PerHostLimit must be at least 1.");
            }

            foreach (char c in UserAgent ?? string.Empty)
            {
                if ((c < 0x20 && c != '\t') || c == 0x7F)
                {
                    throw new ArgumentException("The default UserAgent contains a control character.", nameof(UserAgent));
                }
            }

            if (Timeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(Timeout), "Timeouts must be positive.");
            }

            return this;
        }
    }
}
