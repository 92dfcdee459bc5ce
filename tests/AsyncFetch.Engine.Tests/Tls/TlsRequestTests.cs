using System;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Tls
{
    /// <summary>https against Kestrel with test-time certificates: requests, reuse, SNI, client certificates, big bodies.</summary>
    public sealed class TlsRequestTests : IClassFixture<TlsFixture>
    {
        private readonly TlsFixture _f;

        public TlsRequestTests(TlsFixture fixture) => _f = fixture;

        private static FetchEngine Engine(SelectorKind kind = SelectorKind.Default, Action<FetchEngineOptions>? configure = null) =>
            new FetchEngine(TlsFixture.Options(o =>
            {
                o.Selector = kind;
                configure?.Invoke(o);
            }));

        [Theory]
        [MemberData(nameof(SelectorKinds), MemberType = typeof(Support.TestUtil))]
        public async Task Get_over_https_arrives_intact_with_tls_timing(SelectorKind kind)
        {
            using FetchEngine engine = Engine(kind);
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/bytes/100000")));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal(Pattern(100000), r.GetBody());
            Assert.True(r.Timings.TlsMs > 0, r.Timings.ToString());
            Assert.True(r.Timings.ConnectMs > 0);
            Assert.True(r.Timings.FirstByteMs >= r.Timings.TlsMs && r.Timings.TotalMs >= r.Timings.FirstByteMs, r.Timings.ToString());
            Assert.Contains("tls ", r.Timings.ToString());
        }

        [Theory]
        [InlineData(10)]
        [InlineData(100_000)] // beyond 16 KiB the body is written separately (encrypted on the pool)
        public async Task Post_over_https_delivers_the_body(int size)
        {
            using FetchEngine engine = Engine();
            byte[] body = Pattern(size);
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/echo")) { Method = "POST", Body = body, ContentType = "application/octet-stream" });
            Assert.True(r.IsResponse, r.ErrorMessage);
            string echo = r.Content!;
            Assert.Contains("\"method\":\"POST\"", echo);
            Assert.Contains("\"protocol\":\"HTTP/1.1\"", echo);
            Assert.Contains("\"bodyLength\":" + size, echo);
            Assert.Contains(Convert.ToHexString(SHA256.HashData(body)), echo, StringComparison.OrdinalIgnoreCase);
        }

        [Fact]
        public async Task Keep_alive_reuses_one_tls_connection()
        {
            using FetchEngine engine = Engine();
            int acceptedBefore = _f.Good.ConnectionsAccepted;
            FetchResult first = await Fetch(engine, new FetchRequest(_f.Url("/bytes/10")));
            Assert.True(first.IsResponse, first.ErrorMessage);
            Assert.True(first.Timings.TlsMs > 0);
            for (int i = 0; i < 20; i++)
            {
                FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/bytes/" + (1000 + i))));
                Assert.True(r.IsResponse, r.ErrorMessage);
                Assert.Equal(Pattern(1000 + i), r.GetBody());
                Assert.Equal(0, r.Timings.TlsMs); // no handshake on a reused connection
                Assert.Equal(0, r.Timings.ConnectMs);
            }

            Assert.Equal(1, engine.ConnectionsOpened);
            Assert.Equal(1, _f.Good.ConnectionsAccepted - acceptedBefore);
            Assert.Equal(1, engine.OpenConnections);
        }

        [Fact]
        public async Task Sni_carries_the_host_name_and_the_name_is_checked()
        {
            using FetchEngine engine = Engine();
            FetchResult named = await Fetch(engine, new FetchRequest(_f.NamedUrl("tls.test", "/tls")));
            Assert.True(named.IsResponse, named.ErrorMessage);
            Assert.True(named.Content?.Contains("\"sni\":\"tls.test\"") == true, named.Content ?? named.ErrorMessage);
            Assert.True(named.Content?.Contains("\"scheme\":\"https\"") == true, named.Content ?? named.ErrorMessage);

            FetchResult local = await Fetch(engine, new FetchRequest(_f.NamedUrl("localhost", "/tls")));
            Assert.True(local.IsResponse, local.ErrorMessage);
            Assert.True(local.Content?.Contains("\"sni\":\"localhost\"") == true, local.Content ?? local.ErrorMessage);

            // The same server under a name its certificate does not carry.
            FetchResult other = await Fetch(engine, new FetchRequest(_f.NamedUrl("other.test", "/tls")));
            Assert.Equal(FetchErrorKind.Tls, other.ErrorKind);
            TlsFixture.Says(other, "does not match 'other.test'");
        }

        [Fact]
        public async Task A_client_certificate_reaches_the_server_only_when_given()
        {
            using (FetchEngine engine = Engine())
            {
                FetchResult without = await Fetch(engine, new FetchRequest(_f.Url("/tls")));
                Assert.True(without.IsResponse, without.ErrorMessage);
                Assert.True(without.Content?.Contains("\"clientCertificate\":null") == true, without.Content ?? without.ErrorMessage);

                var request = new FetchRequest(_f.Url("/tls")) { ClientCertificates = new X509CertificateCollection { TestCertificates.Client } };
                FetchResult with = await Fetch(engine, request);
                Assert.True(with.IsResponse, with.ErrorMessage);
                Assert.True(with.Content?.Contains("\"clientCertificate\":\"" + TestCertificates.ClientSubject + "\"") == true, with.Content ?? with.ErrorMessage);

                // Pooled apart: the connection that carried the certificate is not reused without it, nor the reverse.
                FetchResult againWithout = await Fetch(engine, new FetchRequest(_f.Url("/tls")));
                Assert.True(againWithout.Content?.Contains("\"clientCertificate\":null") == true, againWithout.Content ?? againWithout.ErrorMessage);
                Assert.Equal(2, engine.ConnectionsOpened);
            }

            using (FetchEngine engine = Engine(configure: o => o.ClientCertificates = new X509CertificateCollection { TestCertificates.Client }))
            {
                FetchResult byDefault = await Fetch(engine, new FetchRequest(_f.Url("/tls")));
                Assert.True(byDefault.IsResponse, byDefault.ErrorMessage);
                Assert.True(byDefault.Content?.Contains(TestCertificates.ClientSubject) == true, byDefault.Content ?? byDefault.ErrorMessage);
            }
        }

        [Theory]
        [MemberData(nameof(SelectorKinds), MemberType = typeof(Support.TestUtil))]
        public async Task Large_bodies_go_both_ways(SelectorKind kind)
        {
            using FetchEngine engine = Engine(kind);
            const int Size = 8 * 1024 * 1024;
            FetchResult down = await Fetch(engine, new FetchRequest(_f.Url("/bytes/" + Size)));
            Assert.True(down.IsResponse, down.ErrorMessage);
            Assert.Equal(Size, down.ContentLength);
            Assert.True(Pattern(Size).AsSpan().SequenceEqual(down.GetBody()));

            byte[] upload = Pattern(4 * 1024 * 1024 + 7);
            FetchResult up = await Fetch(engine, new FetchRequest(_f.Url("/echo")) { Method = "PUT", Body = upload });
            Assert.True(up.IsResponse, up.ErrorMessage);
            Assert.True(up.Content?.Contains("\"bodyLength\":" + upload.Length) == true, up.Content ?? up.ErrorMessage);
            Assert.Contains(Convert.ToHexString(SHA256.HashData(upload)), up.Content, StringComparison.OrdinalIgnoreCase);

            FetchResult chunked = await Fetch(engine, new FetchRequest(_f.Url("/chunked/300000?chunk=5000")));
            Assert.True(chunked.IsResponse, chunked.ErrorMessage);
            Assert.Equal(Pattern(300000), chunked.GetBody());
            Assert.Equal(1, engine.ConnectionsOpened);
        }

        [Theory]
        [InlineData("/gzip/300000")]
        [InlineData("/deflate/50000")]
        public async Task Compressed_bodies_over_tls_are_decoded(string path)
        {
            using FetchEngine engine = Engine();
            int size = int.Parse(path.Substring(path.LastIndexOf('/') + 1));
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url(path)));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(Pattern(size), r.GetBody());
        }

        [Fact]
        public async Task A_body_over_the_limit_is_TooLarge_and_the_engine_goes_on()
        {
            using FetchEngine engine = Engine(configure: o => o.MaxResponseBytes = 50_000);
            FetchResult big = await Fetch(engine, new FetchRequest(_f.Url("/chunked/500000?chunk=1000")));
            Assert.Equal(FetchErrorKind.TooLarge, big.ErrorKind);
            FetchResult small = await Fetch(engine, new FetchRequest(_f.Url("/bytes/100")));
            Assert.True(small.IsResponse, small.ErrorMessage);
            Assert.True(await Eventually(() => engine.OpenConnections == 1, Patience));
        }

        [Theory]
        [MemberData(nameof(SelectorKinds), MemberType = typeof(Support.TestUtil))]
        public async Task Two_hundred_requests_at_concurrency_50_all_complete(SelectorKind kind)
        {
            using FetchEngine engine = Engine(kind, o => { o.MaxConcurrency = 50; o.PerHostLimit = 50; });
            FetchResult[] results = await FetchAll(engine, Enumerable.Range(0, 200).Select(i => new FetchRequest(_f.Url(i % 4 == 0 ? "/delay/10" : "/bytes/" + (i * 97)))));
            Assert.All(results, r => Assert.True(r.IsResponse && r.StatusCode == 200, r.ToString()));
            for (int i = 1; i < 200; i += 4)
            {
                Assert.Equal(Pattern(i * 97), results[i].GetBody());
            }

            Assert.True(engine.ConnectionsOpened <= 50, "connections opened: " + engine.ConnectionsOpened);
        }

        [Fact]
        public async Task A_timeout_mid_body_fails_the_request_and_closes_the_connection()
        {
            using FetchEngine engine = Engine(configure: o => o.Timeout = TimeSpan.FromMilliseconds(500));
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/drip?bytes=100&delayMs=100")));
            Assert.Equal(FetchErrorKind.Timeout, r.ErrorKind);
            Assert.True(await Eventually(() => engine.OpenConnections == 0, Patience));
        }

        [Fact]
        public async Task Http_and_https_to_one_engine_do_not_share_connections()
        {
            await using var plain = await AsyncFetch.TestServer.LoopbackServer.StartAsync();
            using FetchEngine engine = Engine();
            for (int i = 0; i < 3; i++)
            {
                FetchResult a = await Fetch(engine, new FetchRequest(new Uri(plain.BaseUri, "/bytes/5")));
                FetchResult b = await Fetch(engine, new FetchRequest(_f.Url("/bytes/5")));
                Assert.True(a.IsResponse && b.IsResponse, a.ErrorMessage + b.ErrorMessage);
                Assert.Equal(0, a.Timings.TlsMs);
            }

            Assert.Equal(2, engine.ConnectionsOpened);
        }
    }
}
