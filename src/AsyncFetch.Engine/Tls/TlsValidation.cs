using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace AsyncFetch.Engine.Tls
{
    /// <summary>
    /// Server certificate validation: the platform's verdict (<see cref="SslPolicyErrors"/> and the chain it
    /// built), extra trusted roots from <see cref="FetchEngineOptions.TrustedRootCertificates"/>, and a
    /// readable reason when a certificate is refused. Runs on the thread pool, inside the handshake.
    ///
    /// Extra roots: netstandard2.0 has no custom trust store for X509Chain, so a chain whose only problem is
    /// an unknown root is built again with the extra roots in its ExtraStore and "unknown authority" allowed;
    /// it is accepted when nothing else is wrong with any element and its root is one of the extra roots
    /// (compared by thumbprint). A self-signed server certificate listed there is accepted too (pinning).
    /// </summary>
    internal static class TlsValidation
    {
        /// <summary>Null when the certificate is acceptable; otherwise why it is not (never throws).</summary>
        public static string? Check(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, string host, X509Certificate2Collection? trustedRoots)
        {
            try
            {
                if (errors == SslPolicyErrors.None)
                {
                    return null;
                }

                if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0 || certificate == null)
                {
                    return "the server sent no certificate";
                }

                X509Certificate2 cert = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
                var reasons = new List<string>();
                if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    reasons.Add($"its name does not match '{host}' (it is issued to {DescribeNames(cert)})");
                }

                if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
                {
                    X509Chain? rebuilt = trustedRoots != null && trustedRoots.Count > 0 ? Rebuild(cert, chain, trustedRoots) : null;
                    try
                    {
                        bool extraRoot = rebuilt != null && EndsInExtraRoot(rebuilt, trustedRoots!);
                        if (!extraRoot || !IsValidApartFromRoot(rebuilt!))
                        {
                            // With an extra root at its end, an unknown root is no longer one of the reasons.
                            DescribeChain(rebuilt ?? chain, cert, extraRoot, reasons);
                        }

                        // else: the chain is fine with the extra roots; a name mismatch (if any) still stands.
                    }
                    finally
                    {
                        rebuilt?.Dispose();
                    }
                }

                return reasons.Count == 0 ? null : string.Join("; ", reasons);
            }
            catch (Exception e)
            {
                return "it could not be checked (" + e.Message + ")";
            }
        }

        private static X509Chain Rebuild(X509Certificate2 cert, X509Chain? original, X509Certificate2Collection trustedRoots)
        {
            var chain = new X509Chain();
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
            chain.ChainPolicy.ExtraStore.AddRange(trustedRoots);
            if (original != null)
            {
                // The intermediates the server sent.
                chain.ChainPolicy.ExtraStore.AddRange(original.ChainPolicy.ExtraStore);
            }

            chain.Build(cert);
            return chain;
        }

        private static bool IsValidApartFromRoot(X509Chain chain)
        {
            const X509ChainStatusFlags Allowed = X509ChainStatusFlags.UntrustedRoot;
            foreach (X509ChainStatus status in chain.ChainStatus)
            {
                if ((status.Status & ~Allowed) != 0)
                {
                    return false;
                }
            }

            foreach (X509ChainElement element in chain.ChainElements)
            {
                foreach (X509ChainStatus status in element.ChainElementStatus)
                {
                    if ((status.Status & ~Allowed) != 0)
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        private static bool EndsInExtraRoot(X509Chain chain, X509Certificate2Collection trustedRoots)
        {
            X509ChainElementCollection elements = chain.ChainElements;
            if (elements.Count == 0)
            {
                return false;
            }

            string root = elements[elements.Count - 1].Certificate.Thumbprint;
            foreach (X509Certificate2 trusted in trustedRoots)
            {
                if (string.Equals(trusted.Thumbprint, root, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        private static void DescribeChain(X509Chain? chain, X509Certificate2 cert, bool rootTrusted, List<string> reasons)
        {
            X509ChainStatusFlags seen = rootTrusted ? X509ChainStatusFlags.UntrustedRoot : X509ChainStatusFlags.NoError;
            int before = reasons.Count;
            if (chain != null)
            {
                X509ChainElementCollection elements = chain.ChainElements;
                for (int i = 0; i < elements.Count; i++)
                {
                    X509ChainElement element = elements[i];
                    foreach (X509ChainStatus status in element.ChainElementStatus)
                    {
                        Describe(status, element.Certificate, i == 0, i == elements.Count - 1, ref seen, reasons);
                    }
                }

                foreach (X509ChainStatus status in chain.ChainStatus)
                {
                    X509Certificate2 last = elements.Count > 0 ? elements[elements.Count - 1].Certificate : cert;
                    Describe(status, last, elements.Count <= 1, true, ref seen, reasons);
                }
            }

            if (reasons.Count == before)
            {
                reasons.Add("its certificate chain is not valid");
            }
        }

        private static void Describe(X509ChainStatus status, X509Certificate2 cert, bool isLeaf, bool isLast, ref X509ChainStatusFlags seen, List<string> reasons)
        {
            X509ChainStatusFlags flags = status.Status & ~seen;
            if (flags == X509ChainStatusFlags.NoError)
            {
                return;
            }

            seen |= flags;
            string who = isLeaf ? "it" : $"its issuer '{cert.Subject}'";
            if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
            {
                reasons.Add(DateTime.Now > cert.NotAfter
                    ? $"{who} expired on {Utc(cert.NotAfter)}"
                    : $"{who} is not valid before {Utc(cert.NotBefore)}");
            }

            if ((flags & X509ChainStatusFlags.UntrustedRoot) != 0)
            {
                bool selfSigned = isLeaf && isLast && string.Equals(cert.Subject, cert.Issuer, StringComparison.Ordinal);
                reasons.Add(selfSigned
                    ? $"it is self-signed and not trusted: untrusted root '{cert.Subject}'"
                    : $"it chains to an untrusted root '{cert.Subject}'");
            }

            if ((flags & X509ChainStatusFlags.PartialChain) != 0)
            {
                reasons.Add($"it was issued by '{cert.Issuer}', which is not trusted (an untrusted root, or an intermediate the server did not send)");
            }

            if ((flags & X509ChainStatusFlags.Revoked) != 0)
            {
                reasons.Add($"{who} has been revoked");
            }

            if ((flags & X509ChainStatusFlags.NotSignatureValid) != 0)
            {
                reasons.Add($"{who} has an invalid signature");
            }

            const X509ChainStatusFlags Described = X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain
                | X509ChainStatusFlags.Revoked | X509ChainStatusFlags.NotSignatureValid;
            if ((flags & ~Described) != 0)
            {
                string info = (status.StatusInformation ?? string.Empty).Trim();
                reasons.Add(info.Length > 0 ? info.TrimEnd('.') : (flags & ~Described).ToString());
            }
        }

        /// <summary>"CN=x; DNS Name=a, IP Address=b": the subject and the alternative names, for a mismatch message.</summary>
        private static string DescribeNames(X509Certificate2 cert)
        {
            string names = "'" + cert.Subject + "'";
            foreach (X509Extension extension in cert.Extensions)
            {
                if (extension.Oid?.Value == "2.5.29.17")
                {
                    string san = extension.Format(false).Trim();
                    if (san.Length > 0)
                    {
                        names += " with alternative names " + san;
                    }
                }
            }

            return names;
        }

        private static string Utc(DateTime local) => local.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
    }
}
