using System;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;

namespace AsyncFetch.Engine.Tests.Proxy
{
    /// <summary>
    /// The engine against a real proxy (tinyproxy from Debian's packages, see <see cref="TinyproxyFixture"/>):
    /// http in absolute form, https through CONNECT, Basic credentials, bypass, redirects. tinyproxy marks what it
    /// forwards with a Via header and logs every request line, which is how these tests tell that a request went
    /// through it. (tinyproxy closes its client connection after each plain http response, so reuse of plain http
    /// proxy connections is tested in <see cref="ProxyEngineTests"/>; tunnels stay open and are tested here.)
    /// </summary>
    [Collection(TinyproxyCollection.Name)]
    public sealed class TinyproxyTests
    {
        private readonly TinyproxyFixture _f;

        public TinyproxyTests(TinyproxyFixture f) => _f = f;

        private static string Marker() => Guid.NewGuid().ToString("N");

        private static JsonElement Json(FetchResult r)
        {
            Assert.True(r.ErrorKind == FetchErrorKind.None, r.ErrorMessage);
            Assert.True(r.StatusCode == 200, $"status {r.StatusCode}: {r.Content}");
            return JsonDocument.Parse(r.Content!).RootElement.Clone();
        }

        private static string? Header(JsonElement echo, string name)
        {
            foreach (JsonProperty p in echo.GetProperty("headers").EnumerateObject())
            {
                if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return p.Value.GetString();
                }
            }

            return null;
        }

        private async Task LogShows(TinyproxyProcess proxy, string text) =>
            Assert.True(await proxy.LogShowsAsync(text), $"'{text}' is not in the tinyproxy log:\n{proxy.Log()}");

        [TinyproxyFact]
        public async Task Http_get_goes_through_the_proxy()
        {
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = new FetchProxy(_f.Open.Uri));
            string marker = Marker();
            Uri target = _f.HttpUrl("/echo?m=" + marker);
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(target));
            JsonElement echo = Json(r);
            Assert.Equal("/echo", echo.GetProperty("path").GetString());
            Assert.Equal("?m=" + marker, echo.GetProperty("query").GetString());
            Assert.Equal(target.Authority, Header(echo, "Host"));
            Assert.Contains("tinyproxy", Header(echo, "Via") ?? string.Empty, StringComparison.Ordinal);
            Assert.Equal(_f.Open.Name, r.Proxy);
            Assert.Equal($"127.0.0.1:{_f.Open.Port}", r.RemoteEndPoint);
            await LogShows(_f.Open, $"GET {target.AbsoluteUri} HTTP/1.1");
        }

        [TinyproxyFact]
        public async Task Http_post_goes_through_the_proxy_with_its_body()
        {
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = new FetchProxy(_f.Open.Uri));
            string marker = Marker();
            var request = new FetchRequest(_f.HttpUrl("/echo?m=" + marker))
            {
                Method = "POST",
                Body = Encoding.UTF8.GetBytes("hello through the proxy " + marker),
                ContentType = "text/plain",
            };
            JsonElement echo = Json(await TestUtil.Fetch(engine, request));
            Assert.Equal("POST", echo.GetProperty("method").GetString());
            Assert.Equal("hello through the proxy " + marker, echo.GetProperty("body").GetString());
            Assert.Contains("tinyproxy", Header(echo, "Via") ?? string.Empty, StringComparison.Ordinal);
            await LogShows(_f.Open, $"POST http://127.0.0.1:{_f.Http.Port}/echo?m={marker}");
        }

        [TinyproxyFact]
        public async Task Sequential_http_requests_survive_the_proxy_closing_after_each()
        {
            // tinyproxy closes its client connection after every response without saying so: a pooled connection
            // is found closed while idle, or else the request is retried once on a new one (idempotent requests).
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = new FetchProxy(_f.Open.Uri));
            for (int i = 0; i < 5; i++)
            {
                FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(_f.HttpUrl("/echo?n=" + i)));
                Assert.Equal("?n=" + i, Json(r).GetProperty("query").GetString());
            }

            Assert.Equal(5, engine.ConnectionsOpened);
        }

        [TinyproxyFact]
        public async Task Https_goes_through_a_connect_tunnel_with_tls_to_the_target()
        {
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = new FetchProxy(_f.Open.Uri));
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest($"https://localhost:{_f.Https.Port}/tls"));
            JsonElement tls = Json(r);
            Assert.Equal("https", tls.GetProperty("scheme").GetString());
            Assert.Equal("localhost", tls.GetProperty("sni").GetString()); // SNI is the target's name, not the proxy's
            Assert.Equal(_f.Open.Name, r.Proxy);
            Assert.True(r.Timings.TunnelMs > 0, r.Timings.ToString());
            Assert.True(r.Timings.TlsMs > 0, r.Timings.ToString());
            await LogShows(_f.Open, $"CONNECT localhost:{_f.Https.Port} HTTP/1.1");
        }

        [TinyproxyFact]
        public async Task The_target_certificate_is_validated_through_the_tunnel()
        {
            // Without the test CA the target's certificate is refused, although the proxy accepted the tunnel.
            using FetchEngine engine = TinyproxyFixture.Engine(o =>
            {
                o.Proxy = new FetchProxy(_f.Open.Uri);
                o.TrustedRootCertificates = null;
            });
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(_f.HttpsUrl("/tls")));
            Assert.Equal(FetchErrorKind.Tls, r.ErrorKind);
            Assert.Contains($"127.0.0.1:{_f.Https.Port}", r.ErrorMessage, StringComparison.Ordinal);
        }

        [TinyproxyFact]
        public async Task A_tunnel_is_kept_alive_and_reused()
        {
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = new FetchProxy(_f.Open.Uri));
            int acceptedBefore = _f.Https.ConnectionsAccepted;
            for (int i = 0; i < 3; i++)
            {
                FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(_f.HttpsUrl("/echo?n=" + i)));
                Assert.Equal("?n=" + i, Json(r).GetProperty("query").GetString());
            }

            Assert.Equal(1, engine.ConnectionsOpened);
            Assert.Equal(1, _f.Https.ConnectionsAccepted - acceptedBefore);
        }

        [TinyproxyFact]
        public async Task Http_with_credentials_in_the_proxy_uri()
        {
            // Percent-encoded in the URI ("%2D" is '-'), decoded before it is sent.
            var proxy = new FetchProxy(_f.Auth.UriWith(TinyproxyFixture.User + ":" + TinyproxyFixture.Password.Replace("-", "%2D", StringComparison.Ordinal)));
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = proxy);
            string marker = Marker();
            JsonElement echo = Json(await TestUtil.Fetch(engine, new FetchRequest(_f.HttpUrl("/echo?m=" + marker))));
            Assert.Contains("tinyproxy", Header(echo, "Via") ?? string.Empty, StringComparison.Ordinal);
            Assert.Null(Header(echo, "Proxy-Authorization")); // the proxy's business, not forwarded
            await LogShows(_f.Auth, marker);
        }

        [TinyproxyFact]
        public async Task Http_without_credentials_gets_the_proxys_407()
        {
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = new FetchProxy(_f.Auth.Uri));
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(_f.HttpUrl("/echo")));
            Assert.Equal(FetchErrorKind.None, r.ErrorKind);
            Assert.Equal(407, r.StatusCode);
            Assert.NotNull(r.Headers["Proxy-Authenticate"]);

            // tinyproxy answers wrong credentials with 401 (and WWW-Authenticate): still the proxy's response, delivered.
            var wrong = new FetchProxy(_f.Auth.Uri) { Credential = new NetworkCredential(TinyproxyFixture.User, "wrong") };
            FetchResult r2 = await TestUtil.Fetch(engine, new FetchRequest(_f.HttpUrl("/echo")) { Proxy = wrong });
            Assert.Equal(FetchErrorKind.None, r2.ErrorKind);
            Assert.Contains(r2.StatusCode, new[] { 401, 407 });
            Assert.Contains("tinyproxy", r2.Headers["Server"] ?? string.Empty, StringComparison.Ordinal);
        }

        [TinyproxyFact]
        public async Task Https_with_credentials_opens_the_tunnel()
        {
            // Credential wins over the (wrong) credentials in the URI.
            var proxy = new FetchProxy(_f.Auth.UriWith("nobody:nothing"))
            {
                Credential = new NetworkCredential(TinyproxyFixture.User, TinyproxyFixture.Password),
            };
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = proxy);
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(_f.HttpsUrl("/tls")));
            Assert.Equal("https", Json(r).GetProperty("scheme").GetString());
            Assert.Equal(_f.Auth.Name, r.Proxy);

            // The credentials went in the CONNECT only: the target never sees them (the tunnel is reused here).
            FetchResult echo = await TestUtil.Fetch(engine, new FetchRequest(_f.HttpsUrl("/echo")));
            Assert.Null(Header(Json(echo), "Proxy-Authorization"));
            Assert.Equal(1, engine.ConnectionsOpened);
        }

        [TinyproxyFact]
        public async Task Https_without_or_with_wrong_credentials_is_a_proxy_failure()
        {
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = new FetchProxy(_f.Auth.Uri));
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(_f.HttpsUrl("/tls")));
            Assert.Equal(FetchErrorKind.Proxy, r.ErrorKind);
            Assert.Contains("refused the tunnel", r.ErrorMessage, StringComparison.Ordinal);
            Assert.Contains("407 Proxy Authentication Required", r.ErrorMessage, StringComparison.Ordinal);
            Assert.Contains("no credentials were sent", r.ErrorMessage, StringComparison.Ordinal);
            Assert.Equal(0, r.StatusCode);

            var wrong = new FetchProxy(_f.Auth.UriWith(TinyproxyFixture.User + ":wrong"));
            FetchResult r2 = await TestUtil.Fetch(engine, new FetchRequest(_f.HttpsUrl("/tls")) { Proxy = wrong });
            Assert.Equal(FetchErrorKind.Proxy, r2.ErrorKind);
            Assert.Contains("refused the tunnel", r2.ErrorMessage, StringComparison.Ordinal); // 401 from tinyproxy, 407 elsewhere
            Assert.Contains($"the credentials of user '{TinyproxyFixture.User}' were not accepted", r2.ErrorMessage, StringComparison.Ordinal);
            Assert.DoesNotContain("wrong", r2.ErrorMessage, StringComparison.Ordinal);
        }

        [TinyproxyFact]
        public async Task A_tunnel_to_a_port_the_proxy_does_not_allow_is_refused()
        {
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = new FetchProxy(_f.Open.Uri));
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest($"https://127.0.0.1:{_f.Http.Port}/"));
            Assert.Equal(FetchErrorKind.Proxy, r.ErrorKind);
            Assert.Contains("refused the tunnel", r.ErrorMessage, StringComparison.Ordinal);
            Assert.Contains("403", r.ErrorMessage, StringComparison.Ordinal);
        }

        [TinyproxyFact]
        public async Task Bypassed_targets_go_direct()
        {
            var proxy = new FetchProxy(_f.Open.Uri) { Bypass = { "localhost, 127.0.0.2" } };
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = proxy);
            string bypassed = Marker();
            FetchResult direct = await TestUtil.Fetch(engine, new FetchRequest(_f.Http2Url("/echo?m=" + bypassed)));
            JsonElement echo = Json(direct);
            Assert.Null(Header(echo, "Via"));
            Assert.Null(direct.Proxy);
            Assert.Equal($"127.0.0.2:{_f.Http.Port}", direct.RemoteEndPoint);

            // A proxied request after it: once its line is in the log, the bypassed one would be too.
            string proxied = Marker();
            Assert.NotNull(Header(Json(await TestUtil.Fetch(engine, new FetchRequest(_f.HttpUrl("/echo?m=" + proxied)))), "Via"));
            await LogShows(_f.Open, proxied);
            Assert.DoesNotContain(bypassed, _f.Open.Log(), StringComparison.Ordinal);
        }

        [TinyproxyFact]
        public async Task Direct_on_the_request_overrides_the_engines_proxy()
        {
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = new FetchProxy(_f.Open.Uri));
            string marker = Marker();
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(_f.HttpUrl("/echo?m=" + marker)) { Proxy = FetchProxy.Direct });
            Assert.Null(Header(Json(r), "Via"));
            Assert.Null(r.Proxy);
            Assert.Equal($"127.0.0.1:{_f.Http.Port}", r.RemoteEndPoint);

            FetchResult https = await TestUtil.Fetch(engine, new FetchRequest(_f.HttpsUrl("/tls?m=" + marker)) { Proxy = FetchProxy.Direct });
            Assert.Null(https.Proxy);
            Assert.Equal(0, https.Timings.TunnelMs);

            string proxied = Marker();
            Json(await TestUtil.Fetch(engine, new FetchRequest(_f.HttpUrl("/echo?m=" + proxied))));
            await LogShows(_f.Open, proxied);
            Assert.DoesNotContain(marker, _f.Open.Log(), StringComparison.Ordinal);
        }

        [TinyproxyFact]
        public async Task A_redirect_to_another_origin_goes_through_the_proxy_too()
        {
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = new FetchProxy(_f.Open.Uri));
            string marker = Marker();
            Uri next = _f.Http2Url("/echo?m=" + marker);
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(_f.HttpUrl("/redirect-to?url=" + Uri.EscapeDataString(next.AbsoluteUri))));
            JsonElement echo = Json(r);
            Assert.Equal(next, r.Uri);
            Assert.Equal(1, r.RedirectCount);
            Assert.Equal(next.Authority, Header(echo, "Host"));
            Assert.Contains("tinyproxy", Header(echo, "Via") ?? string.Empty, StringComparison.Ordinal);
            Assert.Equal(_f.Open.Name, r.Proxy);
            await LogShows(_f.Open, $"GET {next.AbsoluteUri} HTTP/1.1");
        }

        [TinyproxyFact]
        public async Task A_redirect_from_http_to_https_switches_to_a_tunnel()
        {
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = new FetchProxy(_f.Open.Uri));
            Uri next = _f.HttpsUrl("/tls");
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(_f.HttpUrl("/redirect-to?url=" + Uri.EscapeDataString(next.AbsoluteUri))));
            Assert.Equal("https", Json(r).GetProperty("scheme").GetString());
            Assert.Equal(next, r.Uri);
            Assert.True(r.Timings.TunnelMs > 0, r.Timings.ToString());
            await LogShows(_f.Open, $"CONNECT 127.0.0.1:{_f.Https.Port} HTTP/1.1");
        }

        [TinyproxyFact]
        public async Task Each_redirect_hop_picks_its_own_route()
        {
            // The first hop through the proxy, the second (a bypassed host) direct.
            var proxy = new FetchProxy(_f.Open.Uri) { Bypass = { "127.0.0.2" } };
            using FetchEngine engine = TinyproxyFixture.Engine(o => o.Proxy = proxy);
            string marker = Marker();
            Uri next = _f.Http2Url("/echo?m=" + marker);
            Uri first = _f.HttpUrl("/redirect-to?url=" + Uri.EscapeDataString(next.AbsoluteUri));
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(first));
            Assert.Null(Header(Json(r), "Via"));
            Assert.Null(r.Proxy);
            await LogShows(_f.Open, $"GET {first.AbsoluteUri} HTTP/1.1");
            Assert.DoesNotContain($"GET {next.AbsoluteUri}", _f.Open.Log(), StringComparison.Ordinal);
        }
    }
}
