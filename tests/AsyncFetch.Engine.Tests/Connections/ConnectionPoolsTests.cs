using System;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Connections
{
    /// <summary>Idle keep-alive connections: reuse, expiry on take, the idle sweep, shutdown.</summary>
    public sealed class ConnectionPoolsTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public ConnectionPoolsTests(ServerFixture fixture) => _f = fixture;

        [Fact]
        public async Task The_sweep_closes_a_connection_idle_for_longer_than_IdleTimeout()
        {
            using FetchEngine engine = NewEngine(configure: o => o.IdleTimeout = TimeSpan.FromMilliseconds(300));
            Assert.Equal(200, (await Fetch(engine, new FetchRequest(_f.Url("/bytes/10")))).StatusCode);
            Assert.Equal(1, engine.OpenConnections); // idle in its pool

            // The sweep runs every max(1 s, IdleTimeout / 2) while anything is idle.
            Assert.True(await Eventually(() => engine.OpenConnections == 0, TimeSpan.FromSeconds(5)), "the idle connection was not swept");

            Assert.Equal(200, (await Fetch(engine, new FetchRequest(_f.Url("/bytes/10")))).StatusCode);
            Assert.Equal(2, engine.ConnectionsOpened);
            Assert.Equal(1, engine.OpenConnections); // a swept-empty pool is made again when a connection goes idle
        }

        [Fact]
        public async Task A_connection_past_IdleTimeout_is_not_handed_out_even_before_the_sweep()
        {
            using FetchEngine engine = NewEngine(configure: o => o.IdleTimeout = TimeSpan.FromMilliseconds(100));
            Assert.Equal(200, (await Fetch(engine, new FetchRequest(_f.Url("/bytes/10")))).StatusCode);
            await Task.Delay(300); // expired, and the first sweep is a second away

            Assert.Equal(200, (await Fetch(engine, new FetchRequest(_f.Url("/bytes/10")))).StatusCode);
            Assert.Equal(2, engine.ConnectionsOpened);
            Assert.Equal(1, engine.OpenConnections); // the expired one was closed when it was passed over
        }

        [Fact]
        public async Task Disposing_the_engine_closes_its_idle_connections()
        {
            var engine = NewEngine();
            FetchResult[] results = await FetchAll(engine, new[]
            {
                new FetchRequest(_f.Url("/delay/50")),
                new FetchRequest(_f.Url("/delay/50")),
                new FetchRequest(_f.Url("/delay/50")),
            });
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            Assert.Equal(3, engine.OpenConnections);

            engine.Dispose();
            Assert.Equal(0, engine.OpenConnections);
        }
    }
}
