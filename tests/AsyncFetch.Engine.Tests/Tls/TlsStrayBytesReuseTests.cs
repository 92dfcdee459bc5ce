using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Tls
{
    /// <summary>
    /// The TLS side of <see cref="Client.StrayBytesReuseTests"/>: bytes sent after a complete keep-alive response, in
    /// the response's record or in records of their own, at once or later, whole or only begun, are never read as the
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

        /// <summary>
        /// The response's record arrives together with the first bytes of another record, whose rest follows a few
        /// milliseconds later. SslStream keeps the start of that record, and nothing can be decrypted until the rest
        /// comes: the connection looks quiet, but the next request (queued behind the first, so it takes the connection at
        /// once) would read that record as its response.
        /// </summary>
        [Theory]
        [InlineData(1)]
        [InlineData(5)] // the record's header whole
        [InlineData(20)]
        public async Task A_record_begun_after_a_response_keeps_its_connection_from_the_next_request(int begun)
        {
            using var server = new SplitRecordServer(begun);
            for (int round = 0; round < 10; round++)
            {
                using var engine = new FetchEngine(TlsFixture.Options(o => { o.MaxConcurrency = 1; o.PerHostLimit = 1; o.Timeout = TimeSpan.FromSeconds(10); }));
                Task<FetchResult> first = engine.FetchAsync(new FetchRequest(new Uri($"https://localhost:{server.Port}/first")));
                Task<FetchResult> second = engine.FetchAsync(new FetchRequest(new Uri($"https://localhost:{server.Port}/second")));
                FetchResult[] results = await Task.WhenAll(first, second).WaitAsync(Patience);

                Assert.True(results[0].IsResponse, results[0].ErrorMessage);
                Assert.Equal("first", results[0].Content);
                Assert.True(results[1].IsResponse, results[1].ErrorMessage);
                Assert.Equal("second", results[1].Content);
                Assert.Equal(2, engine.ConnectionsOpened);
            }

            Assert.Equal(0, server.RequestsAfterStrayBytes);
        }

        /// <summary>
        /// HTTPS on 127.0.0.1 that answers <c>/first</c> with its response record plus the first <c>begun</c> bytes of
        /// a record holding a whole extra response, in one write, and the rest of that record 3 ms later; any other
        /// path gets its name back as the body.
        /// </summary>
        private sealed class SplitRecordServer : IDisposable
        {
            private const string Stray = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale";
            private readonly LoopbackListener _listener;
            private readonly int _begun;
            private int _requestsAfterStrayBytes;

            public SplitRecordServer(int begun)
            {
                _begun = begun;
                _listener = new LoopbackListener(socket => Task.Run(() => Serve(socket)), backlog: 16);
            }

            public int Port => _listener.Port;

            public int RequestsAfterStrayBytes => Volatile.Read(ref _requestsAfterStrayBytes);

            public void Dispose() => _listener.Dispose();

            private async Task Serve(Socket socket)
            {
                socket.NoDelay = true;
                var wire = new HoldingStream(new NetworkStream(socket, ownsSocket: true));
                try
                {
                    using var ssl = new SslStream(wire);
                    await ssl.AuthenticateAsServerAsync(TestCertificates.Good);
                    bool strayed = false;
                    while (true)
                    {
                        string? path = await ReadPath(ssl);
                        if (path == null)
                        {
                            return;
                        }

                        if (strayed)
                        {
                            Interlocked.Increment(ref _requestsAfterStrayBytes);
                        }

                        byte[] response = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {path.Length}\r\n\r\n{path}");
                        if (path != "first")
                        {
                            await ssl.WriteAsync(response);
                            continue;
                        }

                        wire.Holding = true;
                        await ssl.WriteAsync(response);
                        int responseRecords = wire.Held;
                        await ssl.WriteAsync(Encoding.ASCII.GetBytes(Stray)); // a record of its own
                        byte[] records = wire.TakeHeld();
                        await wire.WriteAsync(records.AsMemory(0, responseRecords + _begun));
                        await Task.Delay(3);
                        await wire.WriteAsync(records.AsMemory(responseRecords + _begun));
                        strayed = true;
                    }
                }
                catch (Exception)
                {
                    // the client closed the connection
                }
                finally
                {
                    wire.Dispose();
                }
            }

            private static async Task<string?> ReadPath(SslStream ssl)
            {
                var head = new StringBuilder();
                byte[] one = new byte[1];
                while (head.Length < 16384)
                {
                    if (await ssl.ReadAsync(one) == 0)
                    {
                        return null;
                    }

                    head.Append((char)one[0]);
                    if (head.Length >= 4 && head.ToString(head.Length - 4, 4) == "\r\n\r\n")
                    {
                        return head.ToString().Split(' ')[1].TrimStart('/');
                    }
                }

                return null;
            }
        }
    }
}
