using System;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Tls
{
    /// <summary>
    /// Redirects that change scheme: each hop decides TLS (and its pool key) for its own URL. A regression test:
    /// the first URL's scheme used to stick, so http to https went out in plain text and https to http tried TLS.
    /// </summary>
    public sealed class TlsRedirectTests : IClassFixture<TlsFixture>, IClassFixture<ServerFixture>
    {
        private readonly TlsFixture _tls;
        private readonly ServerFixture _plain;

        public TlsRedirectTests(TlsFixture tls, ServerFixture plain)
        {
            _tls = tls;
            _plain = plain;
        }

        [Fact]
        public async Task Http_to_https_redirect_speaks_tls_on_the_new_hop()
        {
            using var engine = new FetchEngine(TlsFixture.Options());
            Uri target = _tls.Url("/bytes/1000");
            FetchResult r = await Fetch(engine, new FetchRequest(_plain.Url("/redirect-to?url=" + Uri.EscapeDataString(target.AbsoluteUri))));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal(target, r.Uri);
            Assert.Equal(1, r.RedirectCount);
            Assert.Equal(Pattern(1000), r.GetBody());
            Assert.True(r.Timings.TlsMs > 0, r.Timings.ToString());
        }

        [Fact]
        public async Task Https_to_http_redirect_allowed_goes_out_in_plain_text()
        {
            using var engine = new FetchEngine(TlsFixture.Options());
            Uri target = _plain.Url("/bytes/700");
            var request = new FetchRequest(_tls.Url("/redirect-to?url=" + Uri.EscapeDataString(target.AbsoluteUri))) { AllowInsecureRedirect = true };
            FetchResult r = await Fetch(engine, request);
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal(target, r.Uri);
            Assert.Equal(Pattern(700), r.GetBody());
            Assert.Equal(0, r.Timings.TlsMs);
        }

        [Fact]
        public async Task A_redirect_to_https_without_the_check_is_pooled_apart_from_checked_connections()
        {
            using var engine = new FetchEngine(TlsFixture.Options());
            Uri target = _tls.Url("/bytes/10");
            var unchecked_ = new FetchRequest(_plain.Url("/redirect-to?url=" + Uri.EscapeDataString(target.AbsoluteUri))) { SkipCertificateCheck = true };
            FetchResult first = await Fetch(engine, unchecked_);
            Assert.True(first.IsResponse, first.ErrorMessage);
            Assert.True(first.Timings.TlsMs > 0);

            // A request that wants the check must not ride the connection made without it: a new handshake.
            FetchResult second = await Fetch(engine, new FetchRequest(target));
            Assert.True(second.IsResponse, second.ErrorMessage);
            Assert.True(second.Timings.TlsMs > 0, "the checked request reused the unchecked connection: " + second.Timings);
        }
    }
}
