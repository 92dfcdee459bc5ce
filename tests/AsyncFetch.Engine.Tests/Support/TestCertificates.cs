using System;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>
    /// Certificates made at test time (nothing is installed anywhere): a test CA, server certificates signed by it
    /// (a good one for localhost / tls.test / 127.0.0.1, one for another name, an expired one), a self-signed
    /// server certificate, and a client certificate. ECDSA P-256 keeps the handshakes cheap.
    /// </summary>
    internal static class TestCertificates
    {
        public const string CaSubject = "CN=AsyncFetch Test CA";
        public const string ClientSubject = "CN=AsyncFetch Test Client";

        private static readonly Lazy<Set> s_set = new Lazy<Set>(Create);

        public static X509Certificate2 Ca => s_set.Value.Ca;

        /// <summary>localhost, tls.test, 127.0.0.1; signed by the CA.</summary>
        public static X509Certificate2 Good => s_set.Value.Good;

        /// <summary>wrong.example only; signed by the CA.</summary>
        public static X509Certificate2 WrongName => s_set.Value.WrongName;

        /// <summary>localhost, 127.0.0.1; signed by the CA; expired yesterday.</summary>
        public static X509Certificate2 Expired => s_set.Value.Expired;

        /// <summary>localhost, 127.0.0.1; self-signed.</summary>
        public static X509Certificate2 SelfSigned => s_set.Value.SelfSigned;

        /// <summary>A client-authentication certificate with its private key, signed by the CA.</summary>
        public static X509Certificate2 Client => s_set.Value.Client;

        /// <summary>The CA without its private key, as a caller would configure it.</summary>
        public static X509Certificate2Collection TrustedCa => new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(Ca.RawData));

        private static Set Create()
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest(CaSubject, caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
            X509Certificate2 ca = caRequest.CreateSelfSigned(now.AddDays(-30), now.AddDays(30));

            return new Set
            {
                Ca = ca,
                Good = Leaf("CN=localhost", new[] { "localhost", "tls.test" }, ca, now.AddDays(-1), now.AddDays(10), serverAuth: true, serial: 1),
                WrongName = Leaf("CN=wrong.example", new[] { "wrong.example" }, ca, now.AddDays(-1), now.AddDays(10), serverAuth: true, serial: 2),
                Expired = Leaf("CN=localhost", new[] { "localhost" }, ca, now.AddDays(-10), now.AddDays(-1), serverAuth: true, serial: 3),
                SelfSigned = Leaf("CN=localhost", new[] { "localhost" }, null, now.AddDays(-1), now.AddDays(10), serverAuth: true, serial: 4),
                Client = Leaf(ClientSubject, Array.Empty<string>(), ca, now.AddDays(-1), now.AddDays(10), serverAuth: false, serial: 5),
            };
        }

        private static X509Certificate2 Leaf(string subject, string[] dnsNames, X509Certificate2? issuer, DateTimeOffset notBefore, DateTimeOffset notAfter, bool serverAuth, byte serial)
        {
            using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                new OidCollection { new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2") }, false));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            if (serverAuth)
            {
                var san = new SubjectAlternativeNameBuilder();
                foreach (string name in dnsNames)
                {
                    san.AddDnsName(name);
                }

                if (Array.IndexOf(dnsNames, "localhost") >= 0)
                {
                    san.AddIpAddress(IPAddress.Loopback);
                }

                request.CertificateExtensions.Add(san.Build());
            }

            X509Certificate2 made;
            if (issuer == null)
            {
                made = request.CreateSelfSigned(notBefore, notAfter);
            }
            else
            {
                using X509Certificate2 publicOnly = request.Create(issuer, notBefore, notAfter, new byte[] { 0x10, serial });
                made = publicOnly.CopyWithPrivateKey(key);
            }

            // Through PKCS#12, so the key is a persisted-style key every TLS stack accepts (not an ephemeral one).
            using (made)
            {
                return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx), null);
            }
        }

        private sealed class Set
        {
            public X509Certificate2 Ca { get; init; } = null!;

            public X509Certificate2 Good { get; init; } = null!;

            public X509Certificate2 WrongName { get; init; } = null!;

            public X509Certificate2 Expired { get; init; } = null!;

            public X509Certificate2 SelfSigned { get; init; } = null!;

            public X509Certificate2 Client { get; init; } = null!;
        }
    }
}
