using System;
using System.Linq;
using System.Threading.Tasks;

namespace AsyncFetch.Engine.Tests
{
    public sealed class EngineSmokeTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public EngineSmokeTests(ServerFixture fixture) => _f = fixture;

        [Fact]
        public async Task Get_returns_the_body()
        {
            using var engine = new FetchEngine();
            FetchResult r = await engine.FetchAsync(new FetchRequest(_f.Url("/bytes/1024")));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal(1024, r.Body!.Length);
            Assert.Equal(Enumerable.Range(0, 1024).Select(i => (byte)(i % 251)), r.Body);
        }
    }
}
