using System;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using AsyncFetch.TestServer;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Tls
{
    /// <summary>Certificate validation: each kind of bad certificate fails as Tls with its reason; skipping the check accepts them.</summary>
    public sealed class TlsCertificateTests : IClassFixture<TlsFixture>
    {
        private readonly TlsFixture _f;

        public TlsCertificateTests(TlsFixture fixture) => _f = fixture;

        private static Uri Url(LoopbackServer server, string path = "/bytes/10") => new Uri(server.BaseUri, path);

        [Fact]
        public async Task A_name_mismatch_is_a_Tls_failure_that_says_so()
        {
            using var engine = new FetchEngine(TlsFixture.Options());
            FetchResult r = await Fetch(engine, new FetchRequest(Url(_f.WrongName)));
            Assert.Equal(FetchErrorKind.Tls, r.ErrorKind);
            TlsFixture.Says(r, "does not match '127.0.0.1'");
            TlsFixture.Says(r, "wrong.example");
            TlsFixture.DoesNotSay(r, "expired");
            TlsFixture.DoesNotSay(r, "untrusted");
            Assert.Equal(0, r.StatusCode);
            Assert.True(await Eventually(() => engine.OpenConnections == 0, Patience));
        }

        [Fact]
        public async Task An_expired_certificate_is_a_Tls_failure_that_says_so()
        {
            using var engine = new FetchEngine(TlsFixture.Options());
            FetchResult r = await Fetch(engine, new FetchRequest(Url(_f.Expired)));
            Assert.Equal(FetchErrorKind.Tls, r.ErrorKind);
            TlsFixture.Says(r, "expired on " + TestCertificates.Expired.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd"));
            TlsFixture.DoesNotSay(r, "untrusted"); // the CA is trusted: expiry is the only problem
        }

        [Fact]
        public async Task A_self_signed_certificate_is_an_untrusted_root()
        {
            using var engine = new FetchEngine(TlsFixture.Options());
            FetchResult r = await Fetch(engine, new FetchRequest(Url(_f.SelfSigned)));
            Assert.Equal(FetchErrorKind.Tls, r.ErrorKind);
            TlsFixture.Says(r, "self-signed");
            TlsFixture.Says(r, "untrusted root 'CN=localhost'");
            TlsFixture.Says(r, "SkipCertificateCheck");
        }

        [Fact]
        public async Task Without_the_extra_root_the_test_ca_is_untrusted()
        {
            var options = new FetchEngineOptions();
            TlsFixture.Loopback(options);
            using var engine = new FetchEngine(options);
            FetchResult r = await Fetch(engine, new FetchRequest(Url(_f.Good)));
            Assert.Equal(FetchErrorKind.Tls, r.ErrorKind);
            TlsFixture.Says(r, "issued by '" + TestCertificates.CaSubject + "', which is not trusted (an untrusted root");

            // Another root does not help either.
            options = TlsFixture.Options(o => o.TrustedRootCertificates = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(TestCertificates.SelfSigned.RawData)));
            using var other = new FetchEngine(options);
            FetchResult r2 = await Fetch(other, new FetchRequest(Url(_f.Good)));
            Assert.Equal(FetchErrorKind.Tls, r2.ErrorKind);
            TlsFixture.Says(r2, "untrusted root");
        }

        [Fact]
        public async Task A_self_signed_certificate_listed_as_trusted_root_is_accepted()
        {
            var options = TlsFixture.Options(o => o.TrustedRootCertificates = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(TestCertificates.SelfSigned.RawData)));
            using var engine = new FetchEngine(options);
            FetchResult r = await Fetch(engine, new FetchRequest(Url(_f.SelfSigned)));
            Assert.True(r.IsResponse, r.ErrorMessage);

            // A trusted root does not excuse a name mismatch.
            FetchResult named = await Fetch(engine, new FetchRequest(new Uri($"https://tls.test:{_f.SelfSigned.Port}/bytes/1")));
            Assert.Equal(FetchErrorKind.Tls, named.ErrorKind);
            TlsFixture.Says(named, "does not match 'tls.test'");
        }

        [Fact]
        public async Task Skipping_the_check_per_request_accepts_every_bad_certificate()
        {
            using var engine = new FetchEngine(TlsFixture.Options());
            foreach (LoopbackServer server in new[] { _f.WrongName, _f.Expired, _f.SelfSigned })
            {
                FetchResult r = await Fetch(engine, new FetchRequest(Url(server)) { SkipCertificateCheck = true });
                Assert.True(r.IsResponse, r.ErrorMessage);
                Assert.Equal(Pattern(10), r.GetBody());
            }
        }

        [Fact]
        public async Task Skipping_the_check_by_default_accepts_every_bad_certificate_and_a_request_can_insist()
        {
            var options = new FetchEngineOptions { SkipCertificateCheck = true };
            TlsFixture.Loopback(options);
            using var engine = new FetchEngine(options);
            foreach (LoopbackServer server in new[] { _f.WrongName, _f.Expired, _f.SelfSigned, _f.Good })
            {
                FetchResult r = await Fetch(engine, new FetchRequest(Url(server)));
                Assert.True(r.IsResponse, r.ErrorMessage);
            }

            // The unchecked connection to the self-signed server is pooled; a request that wants the check gets a new one, and fails.
            FetchResult strict = await Fetch(engine, new FetchRequest(Url(_f.SelfSigned)) { SkipCertificateCheck = false });
            Assert.Equal(FetchErrorKind.Tls, strict.ErrorKind);
            TlsFixture.Says(strict, "untrusted root");
            FetchResult again = await Fetch(engine, new FetchRequest(Url(_f.SelfSigned)));
            Assert.True(again.IsResponse, again.ErrorMessage);
            Assert.Equal(0, again.Timings.TlsMs); // the pooled unchecked connection
        }

        [Fact]
        public async Task Https_to_a_plain_http_server_is_a_Tls_failure()
        {
            await using LoopbackServer plain = await LoopbackServer.StartAsync();
            using var engine = new FetchEngine(TlsFixture.Options());
            FetchResult r = await Fetch(engine, new FetchRequest(new Uri($"https://127.0.0.1:{plain.Port}/bytes/10")));
            Assert.Equal(FetchErrorKind.Tls, r.ErrorKind);
            Assert.StartsWith("The TLS handshake with 127.0.0.1:" + plain.Port + " failed", r.ErrorMessage);
        }
    }
}
