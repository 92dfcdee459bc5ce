using System;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace AsyncFetch.Engine.Tests.Proxy
{
    /// <summary>
    /// The engine's proxy paths without tinyproxy: the Kestrel test server standing in as a keep-alive proxy (it
    /// accepts absolute-form requests), raw sockets as proxies that misbehave on CONNECT, and proxies that are down.
    /// </summary>
    public sealed class ProxyEngineTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public ProxyEngineTests(ServerFixture f) => _f = f;

        private Uri ServerAsProxy => new Uri($"http://127.0.0.1:{_f.Server.Port}");

        private static FetchEngine Engine(FetchProxy? proxy, Action<FetchEngineOptions>? configure = null)
        {
            var options = new FetchEngineOptions
            {
                Proxy = proxy,
                Resolver = name => Task.FromException<IPAddress[]>(new InvalidOperationException($"No name may be resolved in these tests ('{name}').")),
            };
            configure?.Invoke(options);
            return new FetchEngine(options);
        }

        private static JsonElement Echo(FetchResult r)
        {
            Assert.True(r.ErrorKind == FetchErrorKind.None, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
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

        [Fact]
        public async Task Connections_to_a_proxy_are_shared_by_every_http_target()
        {
            using FetchEngine engine = Engine(new FetchProxy(ServerAsProxy));
            var targets = new[]
            {
                new Uri($"http://127.0.0.2:{_f.Server.Port}/echo?n=1"),
                new Uri($"http://unresolvable.test:{_f.Server.Port}/echo?n=2"), // never resolved: the proxy is asked for it
                new Uri($"http://127.0.0.2:{_f.Server.Port}/echo?n=3"),
                new Uri($"http://127.0.0.1:{_f.Server.Port}/echo?n=4"),
            };

            foreach (Uri target in targets)
            {
                FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(target));
                JsonElement echo = Echo(r);
                Assert.Equal("/echo", echo.GetProperty("path").GetString());
                Assert.Equal(target.Query, echo.GetProperty("query").GetString());
                Assert.Equal(target.Authority, Header(echo, "Host"));
                Assert.Equal(ServerAsProxy.AbsoluteUri.TrimEnd('/'), r.Proxy);
                Assert.Equal($"127.0.0.1:{_f.Server.Port}", r.RemoteEndPoint);
            }

            Assert.Equal(1, engine.ConnectionsOpened);
        }

        [Fact]
        public async Task Credentials_in_the_proxy_uri_are_sent_decoded_and_keep_their_connections_apart()
        {
            var alice = new FetchProxy(new Uri($"http://al%20ice:p%40ss%3Aw%25rd@127.0.0.1:{_f.Server.Port}"));
            var bob = new FetchProxy(new Uri($"http://127.0.0.1:{_f.Server.Port}")) { Credential = new NetworkCredential("bob", "pw") };
            using FetchEngine engine = Engine(alice);

            JsonElement first = Echo(await TestUtil.Fetch(engine, new FetchRequest(_f.Url("/echo"))));
            string? sent = Header(first, "Proxy-Authorization");
            Assert.NotNull(sent);
            Assert.StartsWith("Basic ", sent, StringComparison.Ordinal);
            Assert.Equal("al ice:p@ss:w%rd", Encoding.UTF8.GetString(Convert.FromBase64String(sent!.Substring(6))));

            JsonElement second = Echo(await TestUtil.Fetch(engine, new FetchRequest(_f.Url("/echo")) { Proxy = bob }));
            Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:pw")), Header(second, "Proxy-Authorization"));
            Assert.Equal(2, engine.ConnectionsOpened); // the same proxy, other credentials: another connection

            Echo(await TestUtil.Fetch(engine, new FetchRequest(_f.Url("/echo"))));
            Assert.Equal(2, engine.ConnectionsOpened); // alice's connection again
        }

        [Fact]
        public async Task Direct_requests_do_not_use_the_proxys_connections_or_send_its_credentials()
        {
            using FetchEngine engine = Engine(new FetchProxy(new Uri($"http://u:p@127.0.0.1:{_f.Server.Port}")));
            FetchResult direct = await TestUtil.Fetch(engine, new FetchRequest(_f.Url("/echo")) { Proxy = FetchProxy.Direct });
            JsonElement echo = Echo(direct);
            Assert.Null(direct.Proxy);
            Assert.Null(Header(echo, "Proxy-Authorization"));

            FetchResult proxied = await TestUtil.Fetch(engine, new FetchRequest(_f.Url("/echo")));
            Assert.NotNull(Header(Echo(proxied), "Proxy-Authorization"));
            Assert.Equal(2, engine.ConnectionsOpened); // direct and proxied connections are pooled apart
        }

        [Fact]
        public async Task A_proxy_that_is_down_is_a_connect_failure_naming_it()
        {
            int port = TestUtil.ClosedPort();
            using FetchEngine engine = Engine(new FetchProxy(new Uri($"http://127.0.0.1:{port}")));
            foreach (string target in new[] { "http://127.0.0.1:1/x", "https://127.0.0.1:1/x" })
            {
                FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(target));
                Assert.Equal(FetchErrorKind.Connect, r.ErrorKind);
                Assert.Contains($"the proxy http://127.0.0.1:{port}", r.ErrorMessage, StringComparison.Ordinal);
                Assert.Equal($"http://127.0.0.1:{port}", r.Proxy);
            }
        }

        [Fact]
        public async Task A_proxy_name_that_does_not_resolve_is_a_dns_failure_naming_it()
        {
            using FetchEngine engine = Engine(new FetchProxy(new Uri("http://proxy.invalid:3128")));
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest(_f.Url("/echo")));
            Assert.Equal(FetchErrorKind.Dns, r.ErrorKind);
            Assert.Contains("proxy http://proxy.invalid:3128", r.ErrorMessage, StringComparison.Ordinal);
        }

        [Fact]
        public async Task Connect_request_goes_to_the_proxy_with_credentials()
        {
            var heads = new System.Collections.Concurrent.ConcurrentQueue<string>();
            using var proxy = new RawServer(async (c, token) =>
            {
                heads.Enqueue(c.Head);
                await c.SendAsync("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", token);
            });
            using FetchEngine engine = Engine(new FetchProxy(new Uri($"http://u:p@127.0.0.1:{proxy.Port}")));
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest("https://target.test:8443/secret/path?q=1"));
            Assert.Equal(FetchErrorKind.Proxy, r.ErrorKind);
            Assert.Equal(0, r.StatusCode);
            Assert.Contains($"The proxy http://127.0.0.1:{proxy.Port} refused the tunnel to target.test:8443: 403 Forbidden", r.ErrorMessage, StringComparison.Ordinal);
            Assert.True(heads.TryDequeue(out string? head));
            Assert.StartsWith("CONNECT target.test:8443 HTTP/1.1\r\nHost: target.test:8443\r\n", head, StringComparison.Ordinal);
            Assert.Contains("Proxy-Authorization: Basic dTpw", head, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", head, StringComparison.Ordinal);
        }

        [Fact]
        public async Task A_proxy_that_cannot_reach_the_target_is_retried()
        {
            int connects = 0;
            using var proxy = new RawServer(async (c, token) =>
            {
                Interlocked.Increment(ref connects);
                await c.SendAsync("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 11\r\n\r\nunreachable", token);
            });
            using FetchEngine engine = Engine(new FetchProxy(new Uri($"http://127.0.0.1:{proxy.Port}")));
            var request = new FetchRequest("https://127.0.0.1:1/") { Method = "POST", Body = new byte[] { 1 }, MaximumRetryCount = 1, RetryInterval = TimeSpan.FromMilliseconds(10) };
            FetchResult r = await TestUtil.Fetch(engine, request);
            Assert.Equal(FetchErrorKind.Proxy, r.ErrorKind);
            Assert.Equal(2, r.Attempts);
            Assert.Equal(2, Volatile.Read(ref connects));
            Assert.Contains("502 Bad Gateway", r.ErrorMessage, StringComparison.Ordinal);
        }

        [Fact]
        public async Task A_refusal_asking_for_credentials_is_not_retried_and_says_none_were_sent()
        {
            using var proxy = new RawServer((c, token) => c.SendAsync(
                "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nnope!\r\n", token));
            using FetchEngine engine = Engine(new FetchProxy(new Uri($"http://127.0.0.1:{proxy.Port}")));
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest("https://127.0.0.1:1/") { MaximumRetryCount = 2, RetryInterval = TimeSpan.FromMilliseconds(10) });
            Assert.Equal(FetchErrorKind.Proxy, r.ErrorKind);
            Assert.Equal(1, r.Attempts);
            Assert.Contains("refused the tunnel to 127.0.0.1:1: 407 Proxy Authentication Required (no credentials were sent", r.ErrorMessage, StringComparison.Ordinal);
            Assert.Equal(0, engine.OpenConnections);
        }

        [Fact]
        public async Task Bytes_after_the_proxys_2xx_are_a_protocol_error()
        {
            using var proxy = new RawServer((c, token) => c.SendAsync("HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK\r\n", token));
            using FetchEngine engine = Engine(new FetchProxy(new Uri($"http://127.0.0.1:{proxy.Port}")));
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest("https://127.0.0.1:1/"));
            Assert.Equal(FetchErrorKind.Protocol, r.ErrorKind);
            Assert.Contains("sent data after accepting the tunnel", r.ErrorMessage, StringComparison.Ordinal);
        }

        [Fact]
        public async Task A_proxy_that_closes_without_answering_connect_loses_the_connection()
        {
            using var proxy = new RawServer((c, token) =>
            {
                c.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
                return Task.Delay(1000, token);
            });
            using FetchEngine engine = Engine(new FetchProxy(new Uri($"http://127.0.0.1:{proxy.Port}")));
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest("https://127.0.0.1:1/"));
            Assert.Equal(FetchErrorKind.ConnectionLost, r.ErrorKind);
            Assert.Contains("closed the connection without answering CONNECT", r.ErrorMessage, StringComparison.Ordinal);
        }

        [Fact]
        public async Task A_proxy_that_never_answers_connect_runs_into_the_connect_timeout()
        {
            using var proxy = new RawServer((c, token) => Task.Delay(Timeout.Infinite, token));
            using FetchEngine engine = Engine(new FetchProxy(new Uri($"http://127.0.0.1:{proxy.Port}")), o => o.ConnectTimeout = TimeSpan.FromMilliseconds(500));
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest("https://127.0.0.1:1/"));
            Assert.Equal(FetchErrorKind.Timeout, r.ErrorKind);
            Assert.Contains("the proxy did not answer CONNECT", r.ErrorMessage, StringComparison.Ordinal);
            Assert.Equal(0, engine.OpenConnections);
        }

        [Fact]
        public async Task A_407_to_a_plain_http_request_is_the_response()
        {
            using var proxy = new RawServer((c, token) => c.SendAsync(
                "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 4\r\n\r\nnope", token));
            using FetchEngine engine = Engine(new FetchProxy(new Uri($"http://127.0.0.1:{proxy.Port}")));
            FetchResult r = await TestUtil.Fetch(engine, new FetchRequest("http://127.0.0.1:1/"));
            Assert.Equal(FetchErrorKind.None, r.ErrorKind);
            Assert.Equal(407, r.StatusCode);
            Assert.Equal("nope", r.Content);
            Assert.False(r.Succeeded);
        }
    }
}
