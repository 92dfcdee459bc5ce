using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace AsyncFetch.Engine.Tests.Tls
{
    /// <summary>
    /// The TLS side of <see cref="Client.StrayBytesReuseTests"/>: bytes sent after a complete keep-alive response, in
    /// the response's record or in records of their own, at once or later, are never read as the
    /// next request's response.
    /// </summary>
    public sealed class TlsStrayBytesReuseTests
    {
        [Theory]
        [InlineData(StrayTiming.SameWrite, StrayKind.Response)]
        [InlineData(StrayTiming.SeparateWrite, StrayKind.Response)]
        [InlineData(StrayTiming.After1Ms, StrayKind.Response)]
        [InlineData(StrayTiming.After3Ms, StrayKind.Response)]
        [InlineData(StrayTiming.SeparateWrite, StrayKind.Junk)]
        [InlineData(StrayTiming.After1Ms, StrayKind.Junk)]
        public async Task Bytes_sent_after_a_complete_response_are_never_the_next_response(StrayTiming timing, StrayKind kind)
        {
            const int Pairs = 100;
            using var server = new StrayBytesServer(TestCertificates.Good);
            List<string> problems;
            long opened;
            using (var engine = new FetchEngine(TlsFixture.Options(o => { o.MaxConcurrency = 4; o.PerHostLimit = 1; o.Timeout = TimeSpan.FromSeconds(10); })))
            {
                problems = await StrayBytesPairs.RunAsync(engine, server, Pairs, timing, kind);
                opened = engine.ConnectionsOpened;
            }

            Assert.True(problems.Count == 0, $"{problems.Count} of {2 * Pairs} requests went wrong:\n" + string.Join("\n", problems.Take(20)));
            Assert.Equal(0, server.RequestsAfterStrayBytes);
            Assert.Equal(Pairs, server.StrayWrites);
            Assert.Equal(Pairs + 1, opened);
        }
    }
}
