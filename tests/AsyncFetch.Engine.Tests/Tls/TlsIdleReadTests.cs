using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Tls
{
    /// <summary>
    /// A server that sends bytes after a complete keep-alive response, in a TLS
    /// record of their own. SslStream reads that record from the socket along with the response's last one and keeps
    /// it; no readiness reports it, so the connection went back to the pool and the next request on it read those
    /// bytes as its own response (a response desync the plain path cannot have: there the bytes show as readiness or
    /// in the same read). The next request must get the server's answer to it, on a connection of its own.
    /// </summary>
    public sealed class TlsIdleReadTests
    {
        private const string Injected = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL";

        [Theory]
        [InlineData(16384, 0)] // the response fills the client's read exactly: the extra record stays inside SslStream
        [InlineData(32768, 0)]
        [InlineData(1000, 16000)] // a large extra record that does not fit the rest of the read
        [InlineData(10000, 10000)]
        public async Task Bytes_after_a_response_in_their_own_record_are_never_the_next_response(int responseSize, int padding)
        {
            using var server = new ExtraRecordServer(responseSize, padding);
            for (int round = 0; round < 3; round++)
            {
                using var engine = new FetchEngine(TlsFixture.Options(o => { o.MaxConcurrency = 1; o.PerHostLimit = 1; o.Timeout = TimeSpan.FromSeconds(10); }));
                FetchResult first = await Fetch(engine, new FetchRequest(new Uri($"https://localhost:{server.Port}/first")));
                Assert.True(first.IsResponse, first.ErrorMessage);
                Assert.Equal(200, first.StatusCode);

                FetchResult second = await Fetch(engine, new FetchRequest(new Uri($"https://localhost:{server.Port}/second")));
                Assert.True(second.IsResponse, second.ErrorMessage);
                Assert.Equal("second", second.Content);
                Assert.Equal(2, engine.ConnectionsOpened); // the first connection was not reused
            }
        }

        /// <summary>
        /// HTTPS on 127.0.0.1 with the test CA's certificate. <c>/first</c> is answered with a <c>responseSize</c>-byte
        /// response written in one TLS record, immediately followed by a second record that holds a whole extra
        /// response; any other path gets its name back as the body.
        /// </summary>
        private sealed class ExtraRecordServer : IDisposable
        {
            private readonly LoopbackListener _listener;
            private readonly int _responseSize;
            private readonly byte[] _extra;

            public ExtraRecordServer(int responseSize, int padding)
            {
                _responseSize = responseSize;
                string extra = padding == 0 ? Injected : Injected.Replace("\r\n\r\n", "\r\nX-Pad: " + new string('p', padding) + "\r\n\r\n", StringComparison.Ordinal);
                _extra = Encoding.ASCII.GetBytes(extra);
                _listener = new LoopbackListener(socket => Task.Run(() => Serve(socket)), backlog: 16);
            }

            public int Port => _listener.Port;

            public void Dispose() => _listener.Dispose();

            private async Task Serve(Socket socket)
            {
                try
                {
                    var cork = new HoldingStream(new NetworkStream(socket, ownsSocket: false));
                    using var ssl = new SslStream(cork);
                    await ssl.AuthenticateAsServerAsync(TestCertificates.Good);
                    while (true)
                    {
                        string? head = await ReadHead(ssl);
                        if (head == null)
                        {
                            return;
                        }

                        string path = head.Split(' ')[1].TrimStart('/');
                        if (path == "first")
                        {
                            // Two records in one socket write: the extra bytes are there before the response is parsed,
                            // so a client that goes on with this connection does so knowing they are there.
                            cork.Holding = true;
                            await ssl.WriteAsync(FirstResponse());
                            await ssl.WriteAsync(_extra); // a record of its own, right behind the response's
                            await cork.ReleaseAsync();
                        }
                        else
                        {
                            await ssl.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {path.Length}\r\n\r\n{path}"));
                        }
                    }
                }
                catch (Exception)
                {
                    // the client closed the connection
                }
            }

            /// <summary>A 200 response of exactly <see cref="_responseSize"/> bytes, head included.</summary>
            private byte[] FirstResponse()
            {
                const string Head = "HTTP/1.1 200 OK\r\nContent-Length: 00000\r\n\r\n";
                int body = _responseSize - Head.Length;
                byte[] response = new byte[_responseSize];
                Encoding.ASCII.GetBytes(Head.Replace("00000", body.ToString("00000"), StringComparison.Ordinal)).CopyTo(response, 0);
                response.AsSpan(Head.Length).Fill((byte)'a');
                return response;
            }

            private static async Task<string?> ReadHead(SslStream ssl)
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
                    if (head.Length >= 4 && head[^1] == '\n' && head[^2] == '\r' && head[^3] == '\n' && head[^4] == '\r')
                    {
                        return head.ToString();
                    }
                }

                return null;
            }
        }
    }
}
