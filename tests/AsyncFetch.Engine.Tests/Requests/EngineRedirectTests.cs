using System;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Requests
{
    /// <summary>Redirects followed by the engine against the Kestrel loopback server (127.0.0.1 and 127.0.0.2 are two origins).</summary>
    public sealed class EngineRedirectTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public EngineRedirectTests(ServerFixture fixture) => _f = fixture;

        private Uri RedirectTo(string target, int status = 302) =>
            _f.Url("/redirect-to?status=" + status + "&url=" + Uri.EscapeDataString(target));

        private static JsonElement Echo(FetchResult r)
        {
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            return JsonDocument.Parse(r.Content!).RootElement;
        }

        private static string? Header(JsonElement echo, string name) =>
            echo.GetProperty("headers").EnumerateObject().Where(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Select(p => p.Value.GetString()).FirstOrDefault();

        [Theory]
        [InlineData(301)]
        [InlineData(302)]
        [InlineData(303)]
        [InlineData(307)]
        [InlineData(308)]
        public async Task Each_redirect_status_is_followed_and_recorded(int status)
        {
            using FetchEngine engine = NewEngine();
            Uri start = RedirectTo("/echo?x=1", status);
            FetchResult r = await Fetch(engine, new FetchRequest(start));
            JsonElement echo = Echo(r);
            Assert.Equal("GET", echo.GetProperty("method").GetString());
            Assert.Equal(_f.Url("/echo?x=1"), r.Uri);
            Assert.Equal(start.AbsoluteUri, r.RequestedUri);
            Assert.Equal(1, r.RedirectCount);
            FetchRedirect hop = Assert.Single(r.GetRedirects());
            Assert.Equal(start, hop.Uri);
            Assert.Equal(status, hop.StatusCode);
            Assert.Equal("GET", hop.Method);
            Assert.Equal(_f.Url("/echo?x=1"), hop.Location);
            Assert.Equal(1, r.Attempts);
        }

        [Theory]
        [InlineData(301, "GET", false)]
        [InlineData(302, "GET", false)]
        [InlineData(303, "GET", false)]
        [InlineData(307, "POST", true)]
        [InlineData(308, "POST", true)]
        public async Task A_post_becomes_a_get_or_keeps_its_body_as_specified(int status, string method, bool keepsBody)
        {
            using FetchEngine engine = NewEngine();
            var request = new FetchRequest(RedirectTo("/echo", status))
            {
                Method = "POST",
                Body = Encoding.UTF8.GetBytes("hello body"),
                ContentType = "text/plain",
            };
            JsonElement echo = Echo(await Fetch(engine, request));
            Assert.Equal(method, echo.GetProperty("method").GetString());
            Assert.Equal(keepsBody ? "hello body" : string.Empty, echo.GetProperty("body").GetString());
            Assert.Equal(keepsBody ? "text/plain" : null, Header(echo, "Content-Type"));
            Assert.Equal(keepsBody ? "10" : null, Header(echo, "Content-Length"));
        }

        [Fact]
        public async Task A_303_after_put_becomes_get_and_301_after_put_stays_put()
        {
            using FetchEngine engine = NewEngine();
            var put303 = new FetchRequest(RedirectTo("/echo", 303)) { Method = "PUT", Body = new byte[] { 65 } };
            Assert.Equal("GET", Echo(await Fetch(engine, put303)).GetProperty("method").GetString());
            var put301 = new FetchRequest(RedirectTo("/echo", 301)) { Method = "PUT", Body = new byte[] { 65 } };
            JsonElement echo = Echo(await Fetch(engine, put301));
            Assert.Equal("PUT", echo.GetProperty("method").GetString());
            Assert.Equal("A", echo.GetProperty("body").GetString());
        }

        [Fact]
        public async Task A_relative_chain_is_followed_to_the_end()
        {
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/redirect/3")));
            Assert.Equal(200, r.StatusCode);
            Assert.Equal("redirect done", r.Content);
            Assert.Equal(3, r.RedirectCount);
            Assert.Equal(new[] { "/redirect/3", "/redirect/2", "/redirect/1" }, r.GetRedirects().Select(h => h.Uri.AbsolutePath));
            Assert.Equal(_f.Url("/redirect/0"), r.Uri);

            FetchResult rel = await Fetch(engine, new FetchRequest(RedirectTo("echo?rel=1"))); // no leading slash: relative to /redirect-to
            Assert.Equal("?rel=1", Echo(rel).GetProperty("query").GetString());
        }

        [Fact]
        public async Task Maximum_redirection_is_the_number_of_hops_allowed()
        {
            using FetchEngine engine = NewEngine();
            FetchResult five = await Fetch(engine, new FetchRequest(_f.Url("/redirect/5")));
            Assert.Equal(200, five.StatusCode);
            Assert.Equal(5, five.RedirectCount);

            FetchResult six = await Fetch(engine, new FetchRequest(_f.Url("/redirect/6")));
            Assert.Equal(FetchErrorKind.Redirect, six.ErrorKind);
            Assert.Contains("Too many redirects", six.ErrorMessage);
            Assert.Equal(5, six.RedirectCount);
            Assert.Equal(302, six.StatusCode); // the refused redirect's status
            Assert.Null(six.GetBody());

            FetchResult two = await Fetch(engine, new FetchRequest(_f.Url("/redirect/3")) { MaximumRedirection = 2 });
            Assert.Equal(FetchErrorKind.Redirect, two.ErrorKind);
        }

        [Fact]
        public async Task Maximum_redirection_zero_returns_the_redirect_itself()
        {
            using FetchEngine engine = NewEngine(configure: o => o.MaximumRedirection = 0);
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/redirect/2")));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(302, r.StatusCode);
            Assert.Equal("/redirect/1", r.Headers["Location"]);
            Assert.Equal(0, r.RedirectCount);
            Assert.Empty(r.GetRedirects());
            Assert.Equal(_f.Url("/redirect/2"), r.Uri);

            // A request may still ask for redirects on such an engine.
            FetchResult followed = await Fetch(engine, new FetchRequest(_f.Url("/redirect/2")) { MaximumRedirection = 3 });
            Assert.Equal(200, followed.StatusCode);
        }

        [Fact]
        public async Task A_loop_is_stopped_with_a_clear_error()
        {
            using FetchEngine engine = NewEngine(configure: o => o.MaximumRedirection = 50);
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/redirect-loop")));
            Assert.Equal(FetchErrorKind.Redirect, r.ErrorKind);
            Assert.Contains("loop", r.ErrorMessage, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(0, r.RedirectCount); // stopped at once, not after 50 hops

            // Longer loops (a -> b -> a) are covered by RedirectPolicyTests.A_repeated_uri_and_method_is_a_loop.
        }

        [Fact]
        public async Task A_redirect_without_location_is_the_result()
        {
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/redirect-no-location/302")));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(302, r.StatusCode);
            Assert.Equal("no location", r.Content);
            Assert.Equal(0, r.RedirectCount);
        }

        [Fact]
        public async Task A_non_http_location_fails_as_redirect()
        {
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(RedirectTo("ftp://127.0.0.1/file")));
            Assert.Equal(FetchErrorKind.Redirect, r.ErrorKind);
            Assert.Contains("ftp", r.ErrorMessage);
        }

        [Fact]
        public async Task Credentials_are_dropped_across_origins_and_kept_within_one()
        {
            using FetchEngine engine = NewEngine();
            FetchRequest Make(Uri target, bool? preserve = null) => new FetchRequest(RedirectTo(target.AbsoluteUri))
            {
                PreserveAuthorizationOnRedirect = preserve,
            }.WithHeader("Authorization", "Bearer secret").WithHeader("Cookie", "session=1").WithHeader("X-Custom", "kept");

            JsonElement same = Echo(await Fetch(engine, Make(_f.Url("/echo"))));
            Assert.Equal("Bearer secret", Header(same, "Authorization"));
            Assert.Equal("session=1", Header(same, "Cookie"));

            FetchResult crossResult = await Fetch(engine, Make(new Uri(_f.Base2, "/echo")));
            JsonElement cross = Echo(crossResult);
            Assert.Null(Header(cross, "Authorization"));
            Assert.Null(Header(cross, "Cookie"));
            Assert.Equal("kept", Header(cross, "X-Custom"));
            Assert.Equal(new Uri(_f.Base2, "/echo"), crossResult.Uri);

            JsonElement preserved = Echo(await Fetch(engine, Make(new Uri(_f.Base2, "/echo"), preserve: true)));
            Assert.Equal("Bearer secret", Header(preserved, "Authorization"));
            Assert.Equal("session=1", Header(preserved, "Cookie"));

            // Dropped once, they stay dropped: 127.0.0.1 -> 127.0.0.2 -> back to 127.0.0.1.
            Uri back = new Uri(_f.Base2, "/redirect-to?url=" + Uri.EscapeDataString(_f.Url("/echo").AbsoluteUri));
            JsonElement returned = Echo(await Fetch(engine, Make(back)));
            Assert.Null(Header(returned, "Authorization"));

            using FetchEngine preserving = NewEngine(configure: o => o.PreserveAuthorizationOnRedirect = true);
            Assert.Equal("Bearer secret", Header(Echo(await Fetch(preserving, Make(new Uri(_f.Base2, "/echo")))), "Authorization"));
        }

        [Fact]
        public async Task The_redirect_body_is_drained_not_kept_and_the_connection_reused()
        {
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/redirect-body?bytes=300000&url=%2Fbytes%2F10")));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal(Pattern(10), r.GetBody());
            Assert.Equal(10, r.ContentLength);
            Assert.Equal(1, engine.ConnectionsOpened); // same origin: the hop went out on the drained connection

            // A redirect body larger than the body limit does not fail the request: it is never kept.
            FetchResult limited = await Fetch(engine, new FetchRequest(_f.Url("/redirect-body?bytes=300000&url=%2Fbytes%2F10")) { MaxResponseBytes = 1000 });
            Assert.True(limited.IsResponse, limited.ErrorMessage);
            Assert.Equal(10, limited.ContentLength);
        }

        [Fact]
        public async Task The_timeout_covers_the_whole_chain_of_one_attempt()
        {
            using FetchEngine engine = NewEngine();
            var request = new FetchRequest(RedirectTo("/delay/5000")) { Timeout = TimeSpan.FromMilliseconds(700) };
            FetchResult r = await Fetch(engine, request);
            Assert.Equal(FetchErrorKind.Timeout, r.ErrorKind);
            Assert.Equal(1, r.RedirectCount);
            Assert.Equal(_f.Url("/delay/5000"), r.Uri);
            Assert.Equal(0, r.StatusCode); // the 302 is not this failure's status
            Assert.Equal(1, r.Attempts);
        }

        [Fact]
        public async Task A_redirect_keeps_the_original_hosts_slot()
        {
            // PerHostLimit 1 on a limiter: a request redirected from 127.0.0.1 to 127.0.0.2 keeps holding the
            // 127.0.0.1 slot, so a second request to 127.0.0.1 waits until the first one (hop included) finishes.
            using FetchEngine engine = NewEngine();
            FetchLimiter limiter = engine.CreateLimiter(8, 1);
            Task<FetchResult> first = engine.FetchAsync(new FetchRequest(RedirectTo(new Uri(_f.Base2, "/delay/600").AbsoluteUri)), limiter);
            Assert.True(await Eventually(() => limiter.Active == 1, Patience));
            Task<FetchResult> second = engine.FetchAsync(new FetchRequest(_f.Url("/bytes/1")), limiter);
            FetchResult s = await second.WaitAsync(Patience);
            Assert.True(first.IsCompleted, "the second request to the original host ran while the redirected one held its slot");
            Assert.Equal(200, s.StatusCode);
            Assert.Equal(200, (await first).StatusCode);
        }
    }
}
