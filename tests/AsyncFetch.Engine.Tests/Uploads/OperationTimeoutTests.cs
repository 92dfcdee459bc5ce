using System;
using System.Threading.Tasks;
using AsyncFetch.Engine.Tests.Support;

namespace AsyncFetch.Engine.Tests.Uploads
{
    /// <summary>The operation timeout: the longest wait for the next response bytes, re-armed by every read.</summary>
    public sealed class OperationTimeoutTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _server;

        public OperationTimeoutTests(ServerFixture server) => _server = server;

        [Fact]
        public async Task A_response_that_stalls_fails_as_a_timeout_naming_the_option()
        {
            using var engine = new FetchEngine();
            FetchResult result = await engine.FetchAsync(new FetchRequest(_server.Url("/stall?bytes=10&ms=20000")) { OperationTimeout = TimeSpan.FromMilliseconds(400) });
            Assert.Equal(FetchErrorKind.Timeout, result.ErrorKind);
            Assert.Contains("OperationTimeoutSeconds", result.ErrorMessage);
        }

        [Fact]
        public async Task A_trickle_slower_than_the_timeout_fails()
        {
            using var engine = new FetchEngine(new FetchEngineOptions { OperationTimeout = TimeSpan.FromMilliseconds(300) });
            FetchResult result = await engine.FetchAsync(new FetchRequest(_server.Url("/drip?bytes=5&delayMs=1500")));
            Assert.Equal(FetchErrorKind.Timeout, result.ErrorKind);
        }

        [Fact]
        public async Task Reads_within_the_timeout_keep_a_response_alive_longer_than_the_timeout()
        {
            using var engine = new FetchEngine();
            FetchResult result = await engine.FetchAsync(new FetchRequest(_server.Url("/drip?bytes=8&delayMs=150")) { OperationTimeout = TimeSpan.FromMilliseconds(700) });
            Assert.Equal(FetchErrorKind.None, result.ErrorKind);
            Assert.Equal(8, result.Body!.Length);
        }
    }
}
