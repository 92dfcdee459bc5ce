using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using AsyncFetch.Engine.Http;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Requests
{
    /// <summary>
    /// Cookie jars (FetchEngineOptions.CookieContainer, FetchRequest.CookieContainer) against the Kestrel loopback server
    /// (127.0.0.1 and 127.0.0.2 are two hosts): Set-Cookie of every response is kept, a redirect's too, and later hops
    /// and requests send what the container says applies to their URL.
    /// </summary>
    public sealed class EngineCookieTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public EngineCookieTests(ServerFixture fixture) => _f = fixture;

        private static Dictionary<string, string> Cookies(FetchResult r)
        {
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            return JsonDocument.Parse(r.Content!).RootElement.GetProperty("cookies").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        }

        [Fact]
        public async Task Without_a_jar_no_cookie_is_kept()
        {
            using FetchEngine engine = NewEngine();
            Assert.Empty(Cookies(await Fetch(engine, new FetchRequest(_f.Url("/cookies/set?x=1")))));
        }

        [Fact]
        public async Task A_cookie_set_by_a_redirect_response_goes_with_the_next_hop()
        {
            var jar = new CookieContainer();
            using FetchEngine engine = NewEngine(configure: o => o.CookieContainer = jar);
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/cookies/set?x=1&y=two")));
            Assert.Equal(1, r.RedirectCount);
            Dictionary<string, string> sent = Cookies(r);
            Assert.Equal("1", sent["x"]);
            Assert.Equal("two", sent["y"]);
            Assert.Equal("1", jar.GetCookies(_f.Url("/"))["x"]!.Value);
        }

        [Fact]
        public async Task Later_requests_sharing_a_jar_send_its_cookies_and_a_deleted_one_is_gone()
        {
            using FetchEngine engine = NewEngine();
            var jar = new CookieContainer();
            await Fetch(engine, new FetchRequest(_f.Url("/cookies/set?session=abc")) { CookieContainer = jar });
            FetchResult[] batch = await FetchAll(engine, Enumerable.Range(0, 4).Select(_ => new FetchRequest(_f.Url("/cookies")) { CookieContainer = jar }));
            Assert.All(batch, r => Assert.Equal("abc", Cookies(r)["session"]));

            // Another jar (or none) sees nothing of it.
            Assert.Empty(Cookies(await Fetch(engine, new FetchRequest(_f.Url("/cookies")) { CookieContainer = new CookieContainer() })));
            Assert.Empty(Cookies(await Fetch(engine, new FetchRequest(_f.Url("/cookies")))));

            Assert.Empty(Cookies(await Fetch(engine, new FetchRequest(_f.Url("/cookies/delete?session")) { CookieContainer = jar })));
        }

        [Fact]
        public async Task A_request_jar_wins_over_the_engine_jar()
        {
            var engineJar = new CookieContainer();
            engineJar.Add(_f.Url("/"), new Cookie("engine", "1"));
            var own = new CookieContainer();
            own.Add(_f.Url("/"), new Cookie("own", "2"));
            using FetchEngine engine = NewEngine(configure: o => o.CookieContainer = engineJar);
            Assert.Equal(new[] { "own" }, Cookies(await Fetch(engine, new FetchRequest(_f.Url("/cookies")) { CookieContainer = own })).Keys);
            Assert.Equal(new[] { "engine" }, Cookies(await Fetch(engine, new FetchRequest(_f.Url("/cookies")))).Keys);
        }

        [Fact]
        public async Task Path_host_and_domain_rules_are_the_containers()
        {
            var jar = new CookieContainer();
            using FetchEngine engine = NewEngine(configure: o => o.CookieContainer = jar);
            string set = "/cookies/raw?v=" + Uri.EscapeDataString("here=1; Path=/cookies")
                + "&v=" + Uri.EscapeDataString("elsewhere=2; Path=/other")
                + "&v=" + Uri.EscapeDataString("foreign=3; Domain=example.com; Path=/")
                + "&v=" + Uri.EscapeDataString("secure=4; Secure; Path=/")
                + "&v=" + Uri.EscapeDataString("host=5; Path=/");
            Dictionary<string, string> sent = Cookies(await Fetch(engine, new FetchRequest(_f.Url(set))));
            Assert.Equal(new[] { "here", "host" }, sent.Keys.OrderBy(k => k, StringComparer.Ordinal));

            // Host-only cookies of 127.0.0.1 are not sent to 127.0.0.2 (a redirect there included).
            Assert.Empty(Cookies(await Fetch(engine, new FetchRequest(new Uri(_f.Base2, "/cookies")))));
            string across = "/redirect-to?url=" + Uri.EscapeDataString(new Uri(_f.Base2, "/cookies").AbsoluteUri);
            Assert.Empty(Cookies(await Fetch(engine, new FetchRequest(_f.Url(across)))));
        }

        [Fact]
        public async Task A_callers_cookie_header_and_the_jars_cookies_go_in_one_field()
        {
            var jar = new CookieContainer();
            jar.Add(_f.Url("/"), new Cookie("jar", "j"));
            using FetchEngine engine = NewEngine(configure: o => o.CookieContainer = jar);
            Dictionary<string, string> sent = Cookies(await Fetch(engine, new FetchRequest(_f.Url("/cookies")).WithHeader("Cookie", "mine=m")));
            Assert.Equal("m", sent["mine"]);
            Assert.Equal("j", sent["jar"]);
        }

        [Fact]
        public void The_writer_appends_the_jars_cookies_to_a_cookie_field_or_adds_one()
        {
            static string Write(string? header, string? cookie)
            {
                var headers = new List<KeyValuePair<string, string>>();
                if (header != null)
                {
                    headers.Add(new KeyValuePair<string, string>("Cookie", header));
                }

                var head = new HttpRequestHead { Method = "GET", Target = new Uri("http://example.com/"), Headers = headers, UserAgent = "t", Cookie = cookie };
                var buffer = new byte[256];
                int length = HttpRequestWriter.WriteHead(ref buffer, in head);
                return Encoding.ASCII.GetString(buffer, 0, length);
            }

            Assert.Contains("\r\nCookie: a=1; b=2\r\n", Write("a=1", "b=2"));
            Assert.Contains("\r\nCookie: b=2\r\n", Write(null, "b=2"));
            Assert.Contains("\r\nCookie: a=1\r\n", Write("a=1", null));
            Assert.DoesNotContain("Cookie", Write(null, null));
        }
    }
}
