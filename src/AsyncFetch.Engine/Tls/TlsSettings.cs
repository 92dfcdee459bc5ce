using System;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace AsyncFetch.Engine.Tls
{
    /// <summary>How a request's TLS settings shape its connection: the pool key, and the client certificate offered.</summary>
    internal static class TlsSettings
    {
        /// <summary>
        /// Appended to an https origin key, so that a connection is only reused by requests that would have made
        /// it the same way: one opened without certificate validation never serves a request that wants it, and
        /// one that authenticated with a client certificate never serves a request with another (or none).
        /// </summary>
        public static string PoolKeySuffix(bool skipCertificateCheck, X509CertificateCollection? clientCertificates)
        {
            if (!skipCertificateCheck && (clientCertificates == null || clientCertificates.Count == 0))
            {
                return string.Empty;
            }

            var key = new StringBuilder();
            if (skipCertificateCheck)
            {
                key.Append("|no-check");
            }

            if (clientCertificates != null)
            {
                foreach (X509Certificate certificate in clientCertificates)
                {
                    key.Append("|cert:").Append(certificate.GetCertHashString());
                }
            }

            return key.ToString();
        }

        /// <summary>
        /// SslStream's client certificate selection: when the server asks, the first certificate with a private
        /// key whose issuer it accepts, else the first with a private key; none when there is none.
        /// </summary>
        public static X509Certificate? SelectClientCertificate(X509CertificateCollection? candidates, string[]? acceptableIssuers)
        {
            if (candidates == null || candidates.Count == 0)
            {
                return null;
            }

            X509Certificate? fallback = null;
            foreach (X509Certificate candidate in candidates)
            {
                if (candidate is X509Certificate2 withKey && !withKey.HasPrivateKey)
                {
                    continue;
                }

                if (acceptableIssuers == null || acceptableIssuers.Length == 0)
                {
                    return candidate;
                }

                foreach (string issuer in acceptableIssuers)
                {
                    if (string.Equals(issuer, candidate.Issuer, StringComparison.OrdinalIgnoreCase))
                    {
                        return candidate;
                    }
                }

                fallback ??= candidate;
            }

            return fallback;
        }
    }
}
