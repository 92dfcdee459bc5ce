using System;
using System.Text.Json;
using System.Threading.Tasks;
using AsyncFetch.Engine.Tests.Client;

namespace AsyncFetch.Engine.Tests.Tls
{
    /// <summary>Redirects that change the scheme: each hop connects the way its own URL asks (TLS or not).</summary>
    public sealed class TlsRedirectTests : IClassFixture<TlsFixture>, IClassFixture<ServerFixture>
    {
        private readonly TlsFixture _tls;
        private readonly ServerFixture _http;

        public TlsRedirectTests(TlsFixture tls, ServerFixture http)
        {
            _tls = tls;
            _http = http;
        }

        [Fact]
        public async Task A_redirect_from_http_to_https_speaks_tls_to_the_new_origin()
        {
            using var engine = new FetchEngine(TlsFixture.Options());
            Uri next = _tls.Url("/tls");
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(_http.Url("/redirect-to?url=" + Uri.EscapeDataString(next.AbsoluteUri))));
            Assert.True(r.ErrorKind == FetchErrorKind.None, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal(next, r.Uri);
            Assert.Equal("https", JsonDocument.Parse(r.Content!).RootElement.GetProperty("scheme").GetString());
            Assert.True(r.Timings.TlsMs > 0);
        }

        [Fact]
        public async Task A_redirect_from_https_to_http_speaks_plain_http_to_the_new_origin()
        {
            using var engine = new FetchEngine(TlsFixture.Options(o => o.AllowInsecureRedirect = true));
            Uri next = _http.Url("/echo");
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(_tls.Url("/redirect-to?url=" + Uri.EscapeDataString(next.AbsoluteUri))));
            Assert.True(r.ErrorKind == FetchErrorKind.None, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal(next, r.Uri);
            Assert.Equal(0, r.Timings.TlsMs);
        }
    }
}
