using System;
using System.Net;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Tls
{
    /// <summary>Over https credentials need no allowance, and a redirect from https to plain http does not carry them.</summary>
    public sealed class TlsCredentialTests : IClassFixture<TlsFixture>, IClassFixture<ServerFixture>
    {
        private readonly TlsFixture _tls;
        private readonly ServerFixture _plain;

        public TlsCredentialTests(TlsFixture tls, ServerFixture plain)
        {
            _tls = tls;
            _plain = plain;
        }

        [Fact]
        public async Task Https_sends_credentials_without_an_allowance()
        {
            using var engine = new FetchEngine(TlsFixture.Options());
            FetchResult challenged = await Fetch(engine, new FetchRequest(_tls.Url("/basic-auth/tls/pw")) { Credential = FetchCredential.OnChallenge(new NetworkCredential("tls", "pw")) });
            Assert.True(challenged.IsResponse, challenged.ErrorMessage);
            Assert.Equal(200, challenged.StatusCode);

            Uri withUserInfo = new UriBuilder(_tls.Url("/basic-auth/tls/pw?challenge=none")) { UserName = "tls", Password = "pw" }.Uri;
            Assert.Equal(200, (await Fetch(engine, new FetchRequest(withUserInfo))).StatusCode);
        }

        [Fact]
        public async Task An_allowed_redirect_from_https_to_http_drops_them()
        {
            using var engine = new FetchEngine(TlsFixture.Options(o => o.AllowInsecureRedirect = true));
            Uri target = _plain.Url("/echo");
            var request = new FetchRequest(_tls.Url("/redirect-to?url=" + Uri.EscapeDataString(target.AbsoluteUri))) { Credential = FetchCredential.Bearer("tok") };
            FetchResult r = await Fetch(engine, request);
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(target, r.Uri);
            Assert.DoesNotContain("Authorization", r.Content!, StringComparison.OrdinalIgnoreCase);
        }
    }
}
