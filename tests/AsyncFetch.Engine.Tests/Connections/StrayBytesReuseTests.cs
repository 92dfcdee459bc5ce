using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace AsyncFetch.Engine.Tests.Connections
{
    /// <summary>
    /// A server that sends bytes after a complete keep-alive response (a whole second response, or junk): in the same
    /// segment, in a segment of its own at once, or 1 or 3 ms later. The next request, sent back-to-back on the same
    /// origin with one connection allowed, is offered that connection; it must not take it, or it reads those bytes as
    /// its own response. Each body carries its request's id, so a wrong body shows. The second request of a pair is
    /// sent once the stray bytes are out: bytes that arrive after the next request was written cannot be told from its
    /// response in HTTP/1.1, by any client.
    /// </summary>
    public sealed class StrayBytesReuseTests
    {
        [Theory]
        [InlineData(StrayTiming.SameWrite, StrayKind.Response, 1750)]
        [InlineData(StrayTiming.SeparateWrite, StrayKind.Response, 1750)]
        [InlineData(StrayTiming.After1Ms, StrayKind.Response, 1000)]
        [InlineData(StrayTiming.After3Ms, StrayKind.Response, 500)]
        [InlineData(StrayTiming.SameWrite, StrayKind.Junk, 1750)]
        [InlineData(StrayTiming.SeparateWrite, StrayKind.Junk, 1750)]
        [InlineData(StrayTiming.After1Ms, StrayKind.Junk, 1000)]
        [InlineData(StrayTiming.After3Ms, StrayKind.Junk, 500)]
        public async Task Bytes_sent_after_a_complete_response_are_never_the_next_response(StrayTiming timing, StrayKind kind, int pairs)
        {
            using var server = new StrayBytesServer();
            List<string> problems;
            long opened;
            using (var engine = new FetchEngine(new FetchEngineOptions { MaxConcurrency = 4, PerHostLimit = 1, Timeout = TimeSpan.FromSeconds(10) }))
            {
                problems = await StrayBytesPairs.RunAsync(engine, server, pairs, timing, kind);
                opened = engine.ConnectionsOpened;
            }

            Assert.True(problems.Count == 0, $"{problems.Count} of {2 * pairs} requests went wrong:\n" + string.Join("\n", problems.Take(20)));
            Assert.Equal(0, server.RequestsAfterStrayBytes);
            Assert.Equal(pairs, server.StrayWrites);

            // Clean connections are still reused: each pair's first request takes the previous pair's second connection.
            Assert.Equal(pairs + 1, opened);
        }
    }
}
