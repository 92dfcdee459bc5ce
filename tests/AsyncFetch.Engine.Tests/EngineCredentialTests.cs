using System;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.TestServer;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests
{
    /// <summary>
    /// Credentials on the wire, against the Kestrel loopback server: when they are sent (at once, or after a Basic
    /// challenge), that plain http refuses them unless allowed, that URL user information never reaches the request
    /// line or Host, and that a redirect to another origin (host or port) does not carry them.
    /// </summary>
    public sealed class EngineCredentialTests : IClassFixture<ServerFixture>
    {
        private static int s_user;
        private readonly ServerFixture _f;

        public EngineCredentialTests(ServerFixture fixture) => _f = fixture;

        private static FetchEngine NewAllowingEngine() => NewEngine(configure: o => o.AllowUnencryptedAuthentication = true);

        /// <summary>A user name no other test uses, so the server's arrivals of its path count this test's requests only.</summary>
        private static string NewUser() => "user" + Interlocked.Increment(ref s_user).ToString(System.Globalization.CultureInfo.InvariantCulture);

        private int Arrivals(string path) => _f.Server.Stats.GetArrivals().Count(a => a.Path == path);

        private static JsonElement Json(FetchResult r)
        {
            Assert.True(r.IsResponse, r.ErrorMessage);
            return JsonDocument.Parse(r.Content!).RootElement;
        }

        private static string? Header(JsonElement echo, string name) =>
            echo.GetProperty("headers").EnumerateObject().Where(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Select(p => p.Value.GetString()).FirstOrDefault();

        [Fact]
        public async Task Basic_goes_with_the_first_request()
        {
            using FetchEngine engine = NewAllowingEngine();
            string user = NewUser();
            string path = $"/basic-auth/{user}/pw";
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url(path + "?challenge=none")) { Credential = FetchCredential.Basic(new NetworkCredential(user, "pw")) });
            Assert.Equal(200, r.StatusCode);
            Assert.Equal(user, Json(r).GetProperty("user").GetString());
            Assert.Equal(1, Arrivals(path));
        }

        [Fact]
        public async Task On_challenge_credentials_answer_a_basic_401_once_on_the_same_url()
        {
            using FetchEngine engine = NewAllowingEngine();
            string user = NewUser();
            string path = $"/basic-auth/{user}/pw";
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url(path)) { Credential = FetchCredential.OnChallenge(new NetworkCredential(user, "pw")) });
            Assert.Equal(200, r.StatusCode);
            Assert.True(Json(r).GetProperty("authenticated").GetBoolean());
            Assert.Equal(2, Arrivals(path));
            Assert.Equal(0, r.RedirectCount);
            Assert.Equal(1, r.Attempts);
            Assert.Equal(_f.Url(path), r.Uri);
        }

        [Fact]
        public async Task On_challenge_credentials_are_not_sent_unasked_nor_twice()
        {
            using FetchEngine engine = NewAllowingEngine();
            FetchCredential credential = FetchCredential.OnChallenge(new NetworkCredential("u", "pw"));

            // No challenge at all: nothing is sent.
            JsonElement echo = Json(await Fetch(engine, new FetchRequest(_f.Url("/echo")) { Credential = credential }));
            Assert.Null(Header(echo, "Authorization"));
            string user = NewUser();
            string hidden = $"/basic-auth/{user}/pw";
            FetchResult unasked = await Fetch(engine, new FetchRequest(_f.Url(hidden + "?challenge=none")) { Credential = FetchCredential.OnChallenge(new NetworkCredential(user, "pw")) });
            Assert.Equal(401, unasked.StatusCode);
            Assert.Equal(1, Arrivals(hidden));

            // A challenge that does not offer Basic: the 401 is the result.
            string other = $"/basic-auth/{NewUser()}/pw";
            FetchResult negotiate = await Fetch(engine, new FetchRequest(_f.Url(other + "?challenge=Negotiate")) { Credential = credential });
            Assert.Equal(401, negotiate.StatusCode);
            Assert.Equal("Negotiate", negotiate.Headers["WWW-Authenticate"]);
            Assert.Equal(1, Arrivals(other));

            // Wrong credentials: answered once, and the second 401 is the result (no loop).
            string wrong = $"/basic-auth/{NewUser()}/right";
            FetchResult refused = await Fetch(engine, new FetchRequest(_f.Url(wrong)) { Credential = FetchCredential.OnChallenge(new NetworkCredential("x", "wrong")) });
            Assert.Equal(401, refused.StatusCode);
            Assert.Equal("Basic", Json(refused).GetProperty("scheme").GetString());
            Assert.Equal(2, Arrivals(wrong));
        }

        [Fact]
        public async Task Bearer_sends_the_token()
        {
            using FetchEngine engine = NewAllowingEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/bearer")) { Credential = FetchCredential.Bearer("t0k3n") });
            Assert.Equal(200, r.StatusCode);
            Assert.Equal("t0k3n", Json(r).GetProperty("token").GetString());
        }

        [Fact]
        public async Task A_callers_authorization_header_wins_over_the_credential()
        {
            using FetchEngine engine = NewAllowingEngine();
            var request = new FetchRequest(_f.Url("/echo")) { Credential = FetchCredential.Bearer("from-credential") }.WithHeader("Authorization", "Custom mine");
            JsonElement echo = Json(await Fetch(engine, request));
            Assert.Equal("Custom mine", Header(echo, "Authorization"));
        }

        [Fact]
        public async Task User_information_becomes_basic_and_never_reaches_the_request_line_or_host()
        {
            using FetchEngine engine = NewAllowingEngine();
            string user = NewUser();
            Uri url = new UriBuilder(_f.Url($"/basic-auth/{user}/secretpw?challenge=none")) { UserName = user, Password = "secretpw" }.Uri;
            Assert.Contains("secret", url.AbsoluteUri, StringComparison.Ordinal);
            FetchResult r = await Fetch(engine, new FetchRequest(url.AbsoluteUri));
            Assert.Equal(200, r.StatusCode);
            Assert.DoesNotContain(":secretpw@", r.RequestedUri, StringComparison.Ordinal); // the path has it too: the server checks it
            Assert.Contains(user + ":***@", r.RequestedUri, StringComparison.Ordinal);
            Assert.Equal(user + ":***", r.Uri!.UserInfo);
            Assert.DoesNotContain(":secretpw@", r.ToString(), StringComparison.Ordinal);

            Uri echoUrl = new UriBuilder(_f.Url("/echo?a=1")) { UserName = "u", Password = "secretpw" }.Uri;
            JsonElement echo = Json(await Fetch(engine, new FetchRequest(echoUrl)));
            Assert.Equal("/echo?a=1", echo.GetProperty("target").GetString());
            Assert.Equal($"127.0.0.1:{_f.Base.Port}", Header(echo, "Host"));
            Assert.Equal("Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("u:secretpw")), Header(echo, "Authorization"));
        }

        [Fact]
        public async Task Plain_http_refuses_credentials_unless_allowed()
        {
            using FetchEngine engine = NewEngine();
            string user = NewUser();
            string path = $"/basic-auth/{user}/pw";
            var refusedRequests = new[]
            {
                new FetchRequest(new UriBuilder(_f.Url(path)) { UserName = user, Password = "secretpw" }.Uri.AbsoluteUri),
                new FetchRequest(_f.Url(path)) { Credential = FetchCredential.Basic(new NetworkCredential(user, "secretpw")) },
                new FetchRequest(_f.Url(path)) { Credential = FetchCredential.OnChallenge(new NetworkCredential(user, "secretpw")) },
                new FetchRequest(_f.Url(path)) { Credential = FetchCredential.Bearer("secretpw") },
            };
            foreach (FetchResult refused in await FetchAll(engine, refusedRequests))
            {
                Assert.Equal(FetchErrorKind.InvalidRequest, refused.ErrorKind);
                Assert.Contains("AllowUnencryptedAuthentication", refused.ErrorMessage, StringComparison.Ordinal);
                Assert.DoesNotContain("secretpw", refused.ErrorMessage, StringComparison.Ordinal);
                Assert.DoesNotContain("secretpw", refused.RequestedUri, StringComparison.Ordinal);
            }

            Assert.Equal(0, Arrivals(path));

            // Allowed per request (the engine's default stays false), and a request without credentials is not concerned.
            var allowed = new FetchRequest(_f.Url(path + "?challenge=none")) { Credential = FetchCredential.Basic(new NetworkCredential(user, "pw")), AllowUnencryptedAuthentication = true };
            Assert.Equal(200, (await Fetch(engine, allowed)).StatusCode);
            Assert.Equal(200, (await Fetch(engine, new FetchRequest(_f.Url("/bytes/1")))).StatusCode);
        }

        [Theory]
        [InlineData("userinfo")]
        [InlineData("basic")]
        [InlineData("bearer")]
        [InlineData("challenge")]
        public async Task A_redirect_to_another_host_drops_the_credentials_and_one_on_the_origin_keeps_them(string kind)
        {
            using FetchEngine engine = NewAllowingEngine();
            Uri sameHost = _f.Url("/echo?same");
            Uri otherHost = new Uri(_f.Base2, "/echo?other");
            JsonElement same = Json(await Fetch(engine, WithCredential(kind, RedirectTo(_f.Url("/redirect-to"), sameHost))));
            JsonElement other = Json(await Fetch(engine, WithCredential(kind, RedirectTo(_f.Url("/redirect-to"), otherHost))));
            Assert.Null(Header(other, "Authorization"));
            if (kind == "challenge")
            {
                Assert.Null(Header(same, "Authorization")); // never asked
            }
            else
            {
                Assert.NotNull(Header(same, "Authorization"));
            }

            FetchRequest preserved = WithCredential(kind, RedirectTo(_f.Url("/redirect-to"), otherHost));
            preserved.PreserveAuthorizationOnRedirect = true;
            JsonElement kept = Json(await Fetch(engine, preserved));
            Assert.Equal(kind == "challenge" ? null : Header(same, "Authorization"), Header(kept, "Authorization"));
        }

        [Fact]
        public async Task A_redirect_to_another_port_drops_the_credentials()
        {
            await using LoopbackServer second = await LoopbackServer.StartAsync();
            using FetchEngine engine = NewAllowingEngine();
            Uri otherPort = new Uri(second.BaseUri, "/echo");
            Assert.NotEqual(_f.Base.Port, otherPort.Port);
            foreach (string kind in new[] { "userinfo", "basic", "bearer" })
            {
                FetchResult r = await Fetch(engine, WithCredential(kind, RedirectTo(_f.Url("/redirect-to"), otherPort)));
                Assert.Equal(1, r.RedirectCount);
                Assert.Null(Header(Json(r), "Authorization"));
            }
        }

        [Fact]
        public async Task A_challenge_after_a_redirect_on_the_origin_is_answered_and_the_chain_shows_no_password()
        {
            using FetchEngine engine = NewAllowingEngine();
            string user = NewUser();
            Uri target = _f.Url($"/basic-auth/{user}/pw");
            var request = new FetchRequest(RedirectTo(new UriBuilder(_f.Url("/redirect-to")) { UserName = "x", Password = "secretpw" }.Uri, target))
            {
                Credential = FetchCredential.OnChallenge(new NetworkCredential(user, "pw")),
            };
            FetchResult r = await Fetch(engine, request);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal(1, r.RedirectCount);
            Assert.DoesNotContain("secretpw", r.GetRedirects()[0].ToString(), StringComparison.Ordinal);
        }

        private static Uri RedirectTo(Uri redirector, Uri target) =>
            new Uri(redirector.AbsoluteUri + "?url=" + Uri.EscapeDataString(target.AbsoluteUri));

        private static FetchRequest WithCredential(string kind, Uri url)
        {
            switch (kind)
            {
                case "userinfo":
                    return new FetchRequest(new UriBuilder(url) { UserName = "u", Password = "pw" }.Uri);
                case "basic":
                    return new FetchRequest(url) { Credential = FetchCredential.Basic(new NetworkCredential("u", "pw")) };
                case "bearer":
                    return new FetchRequest(url) { Credential = FetchCredential.Bearer("tok") };
                default:
                    return new FetchRequest(url) { Credential = FetchCredential.OnChallenge(new NetworkCredential("u", "pw")) };
            }
        }
    }
}
