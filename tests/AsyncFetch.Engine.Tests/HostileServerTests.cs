using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests
{
    /// <summary>What Kestrel never sends: each scenario ends in its error kind, in time, with the socket closed.</summary>
    public sealed class HostileServerTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public HostileServerTests(ServerFixture fixture) => _f = fixture;

        public static IEnumerable<object[]> Scenarios() => new[]
        {
            new object[] { "/malformed-status", FetchErrorKind.Protocol },
            new object[] { "/not-http", FetchErrorKind.Protocol },
            new object[] { "/invalid-header", FetchErrorKind.Protocol },
            new object[] { "/header-space-before-colon", FetchErrorKind.Protocol },
            new object[] { "/huge-headers", FetchErrorKind.TooLarge },
            new object[] { "/many-headers", FetchErrorKind.None }, // 500 fields in 11 KB: within the header section limit
            new object[] { "/bad-chunk-size", FetchErrorKind.Protocol },
            new object[] { "/chunk-overflow", FetchErrorKind.Protocol },
            new object[] { "/long-chunk-line", FetchErrorKind.Protocol },
            new object[] { "/truncated-body", FetchErrorKind.ConnectionLost },
            new object[] { "/truncated-chunked", FetchErrorKind.ConnectionLost },
            new object[] { "/conflicting-length", FetchErrorKind.Protocol },
            new object[] { "/negative-length", FetchErrorKind.Protocol },
            new object[] { "/close-mid-headers", FetchErrorKind.ConnectionLost },
            new object[] { "/close-before-response", FetchErrorKind.ConnectionLost },
            new object[] { "/reset", FetchErrorKind.ConnectionLost },
            new object[] { "/reset-mid-body", FetchErrorKind.ConnectionLost },
            new object[] { "/never", FetchErrorKind.Timeout },
            new object[] { "/slow", FetchErrorKind.Timeout },
            new object[] { "/huge-body?n=1000000000", FetchErrorKind.TooLarge },
            new object[] { "/infinite-chunked", FetchErrorKind.TooLarge },
            new object[] { "/length-and-chunked", FetchErrorKind.None },
            new object[] { "/until-close?n=5000", FetchErrorKind.None },
            new object[] { "/interim-100", FetchErrorKind.None },
            new object[] { "/http10", FetchErrorKind.None },
        };

        private static FetchEngine HostileEngine(SelectorKind kind = SelectorKind.Default) => NewEngine(kind, o =>
        {
            o.Timeout = TimeSpan.FromSeconds(1.5);
            o.MaxResponseBytes = 1024 * 1024;
            o.MaxConcurrency = 256;
            o.PerHostLimit = 256;
        });

        [Theory]
        [MemberData(nameof(Scenarios))]
        public async Task Scenario_ends_in_its_error_kind_in_time_and_closes_the_socket(string path, FetchErrorKind expected)
        {
            using FetchEngine engine = HostileEngine();
            var started = DateTime.UtcNow;
            FetchResult r = await Fetch(engine, new FetchRequest(_f.HostileUrl(path)));
            TimeSpan took = DateTime.UtcNow - started;

            Assert.True(expected == r.ErrorKind, $"{path}: expected {expected}, got {r.ErrorKind}: {r.ErrorMessage}");
            if (expected != FetchErrorKind.None)
            {
                Assert.False(string.IsNullOrWhiteSpace(r.ErrorMessage));
                Assert.Null(r.GetBody());
                Assert.True(engine.OpenConnections == 0, "a failed request's connection must be closed");
            }

            Assert.True(took < TimeSpan.FromSeconds(10), $"{path} took {took}");
        }

        [Theory]
        [MemberData(nameof(SelectorKinds), MemberType = typeof(TestUtil))]
        public async Task A_mixed_batch_loses_nothing_and_good_requests_succeed(SelectorKind kind)
        {
            using FetchEngine engine = HostileEngine(kind);
            var requests = new List<(FetchRequest Request, FetchErrorKind Expected)>();
            foreach (object[] s in Scenarios())
            {
                requests.Add((new FetchRequest(_f.HostileUrl((string)s[0])), (FetchErrorKind)s[1]));
            }

            // The good requests get a generous timeout of their own: the 1.5 s engine default bounds the hostile
            // scenarios, and a cold in-process Kestrel on a busy 2-core machine can take longer than that.
            for (int i = 0; i < 20; i++)
            {
                requests.Add((new FetchRequest(_f.HostileUrl("/ok")) { Timeout = TimeSpan.FromSeconds(15) }, FetchErrorKind.None));
                requests.Add((new FetchRequest(_f.Url("/bytes/" + (i * 100))) { Timeout = TimeSpan.FromSeconds(15) }, FetchErrorKind.None));
            }

            var shuffled = requests.OrderBy(_ => Guid.NewGuid()).ToList();
            FetchResult[] results = await FetchAll(engine, shuffled.Select(x => x.Request));

            Assert.Equal(shuffled.Count, results.Length);
            for (int i = 0; i < results.Length; i++)
            {
                Assert.Same(shuffled[i].Request, results[i].GetRequest());
                Assert.True(shuffled[i].Expected == results[i].ErrorKind, $"{results[i].RequestedUri}: expected {shuffled[i].Expected}, got {results[i].ErrorKind}: {results[i].ErrorMessage}");
            }

            Assert.All(results.Where(r => r.RequestedUri.EndsWith("/ok", StringComparison.Ordinal)), r => Assert.Equal("ok", r.Content));
        }

        [Fact]
        public async Task The_hostile_server_sees_every_connection_closed()
        {
            using (FetchEngine engine = HostileEngine())
            {
                await FetchAll(engine, Scenarios().Select(s => new FetchRequest(_f.HostileUrl((string)s[0]))));
            }

            Assert.True(await _f.Hostile.WaitForNoOpenConnectionsAsync(TimeSpan.FromSeconds(10)), $"{_f.Hostile.OpenConnections} hostile connections still open");
        }
    }
}
