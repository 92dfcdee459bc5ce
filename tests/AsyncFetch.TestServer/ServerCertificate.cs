using System;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AsyncFetch.TestServer;

/// <summary>
/// The certificate of a test server started with --https: self-signed, made at start and never stored, for
/// localhost, 127.0.0.1, 127.0.0.2 and ::1. Clients that check certificates refuse it (unknown issuer), which is
/// what the "certificate check" tests want; ECDSA P-256 keeps handshakes cheap.
/// </summary>
internal static class ServerCertificate
{
    public const string Subject = "CN=localhost";

    public static X509Certificate2 CreateSelfSigned()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(Subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.Parse("127.0.0.2"));
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());

        // Through PKCS#12, so the key is a persisted-style key every TLS stack accepts (not an ephemeral one).
        using X509Certificate2 made = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx), null);
    }
}
