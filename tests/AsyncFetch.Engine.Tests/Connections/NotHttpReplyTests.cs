using System;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Connections
{
    /// <summary>
    /// A reply that is not HTTP/1.x (an HTTP/2 preface or frame, TLS, binary junk), then the server's close: a Protocol
    /// error that names what arrived, decided at the first byte that cannot start "HTTP/1.", and never retried as a stale
    /// connection, whether the connection was new or reused. Only a close before any byte is a lost connection.
    /// </summary>
    public sealed class NotHttpReplyTests
    {
        private static readonly byte[] Http2Preface = Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

        // A SETTINGS frame (MAX_CONCURRENT_STREAMS 100, INITIAL_WINDOW_SIZE 65535), as an HTTP/2-only server opens with.
        private static readonly byte[] Http2Settings = { 0, 0, 12, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100, 0, 4, 0, 0, 0xFF, 0xFF };

        // The start of a TLS ServerHello record.
        private static readonly byte[] TlsHandshake = { 0x16, 0x03, 0x01, 0x00, 0x2A, 0x02, 0x00, 0x00, 0x26, 0x03, 0x03, 0x5A, 0x11 };

        // A TLS alert record (fatal, protocol_version), as a TLS server answers a request that is not a ClientHello.
        private static readonly byte[] TlsAlert = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46 };

        private static readonly byte[] BinaryJunk = { 0x00, 0xFF, 0x13, 0x37, 0x7F, 0x80, 0xC3, 0x28, 0x00, 0x01 };

        public static IEnumerable<object[]> Replies() => new[]
        {
            new object[] { "http2-preface", Http2Preface, "'PRI * HTTP/2'", "HTTP/2" },
            new object[] { "http2-settings", Http2Settings, "00 00 0c 04 00 00 00 00 00 00 03 00", "HTTP/2" },
            new object[] { "tls-handshake", TlsHandshake, "16 03 01 00 2a 02 00 00 26 03 03 5a", "TLS" },
            new object[] { "tls-alert", TlsAlert, "15 03 03 00 02 02 46", "TLS" },
            new object[] { "binary-junk", BinaryJunk, "00 ff 13 37 7f 80 c3 28 00 01", null! },
        };

        [Theory]
        [MemberData(nameof(Replies))]
        public async Task A_reply_that_is_not_http_1_is_a_Protocol_error_that_says_what_arrived(string name, byte[] reply, string shown, string? guess)
        {
            using var server = new RawServer(async (c, token) =>
            {
                await c.SendAsync(reply, token);
                c.Socket.Shutdown(SocketShutdown.Both);
            });

            using FetchEngine engine = RetryingEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(server.Url("/" + name)));

            Assert.True(r.ErrorKind == FetchErrorKind.Protocol, $"{name}: {r.ErrorKind}: {r.ErrorMessage}");
            Assert.Equal(1, r.Attempts);
            Assert.Single(server.Connections);
            Assert.StartsWith("The server's reply is not HTTP/1.x (it starts with ", r.ErrorMessage, StringComparison.Ordinal);
            Assert.Contains(shown, r.ErrorMessage, StringComparison.Ordinal);
            if (guess != null)
            {
                Assert.Contains(guess, r.ErrorMessage, StringComparison.Ordinal);
            }
        }

        [Theory]
        [MemberData(nameof(Replies))]
        public async Task On_a_reused_connection_a_reply_that_is_not_http_1_is_not_retried(string name, byte[] reply, string shown, string? guess)
        {
            using var server = ReusedConnectionServer(reply);
            using FetchEngine engine = RetryingEngine();
            FetchResult first = await Fetch(engine, new FetchRequest(server.Url("/first")));
            Assert.True(first.IsResponse, first.ErrorMessage);

            FetchResult r = await Fetch(engine, new FetchRequest(server.Url("/" + name)));
            Assert.True(r.ErrorKind == FetchErrorKind.Protocol, $"{name}: {r.ErrorKind}: {r.ErrorMessage}");
            Assert.Equal(1, r.Attempts);
            Assert.Single(server.Connections); // the reply came on the reused connection, and nothing opened another
            Assert.Contains("not HTTP/1.x", r.ErrorMessage, StringComparison.Ordinal);
            Assert.Contains(shown, r.ErrorMessage, StringComparison.Ordinal);
            if (guess != null)
            {
                Assert.Contains(guess, r.ErrorMessage, StringComparison.Ordinal);
            }
        }

        [Fact]
        public async Task A_close_before_any_byte_on_a_reused_connection_stays_a_stale_connection_retried_once()
        {
            using var server = ReusedConnectionServer(Array.Empty<byte>());
            using FetchEngine engine = RetryingEngine(retries: 0);
            FetchResult first = await Fetch(engine, new FetchRequest(server.Url("/first")));
            Assert.True(first.IsResponse, first.ErrorMessage);

            FetchResult r = await Fetch(engine, new FetchRequest(server.Url("/second")));
            Assert.True(r.IsResponse, $"{r.ErrorKind}: {r.ErrorMessage}");
            Assert.Equal(2, r.Attempts);
            Assert.Equal(2, server.Connections.Length);
        }

        [Fact]
        public async Task A_valid_start_cut_short_by_the_close_is_a_lost_connection_that_says_so()
        {
            using var server = new RawServer(async (c, token) =>
            {
                await c.SendAsync("HTTP/1.1 200 O", token);
                c.Socket.Shutdown(SocketShutdown.Both);
            });

            using FetchEngine engine = RetryingEngine(retries: 0);
            FetchResult r = await Fetch(engine, new FetchRequest(server.Url("/cut")));
            Assert.Equal(FetchErrorKind.ConnectionLost, r.ErrorKind);
            Assert.Equal("The server closed the connection in the middle of the status line.", r.ErrorMessage);
        }

        /// <summary>Retries that would show: a retryable failure is tried again after 10 ms.</summary>
        private static FetchEngine RetryingEngine(int retries = 2) => new FetchEngine(new FetchEngineOptions
        {
            MaximumRetryCount = retries,
            RetryInterval = TimeSpan.FromMilliseconds(10),
            Timeout = TimeSpan.FromSeconds(10),
            PerHostLimit = 1,
        });

        /// <summary>
        /// Answers the first request on a connection (keep-alive), then sends <paramref name="reply"/> for the second and
        /// closes. A request that is the first on its connection is answered, whatever its path.
        /// </summary>
        private static RawServer ReusedConnectionServer(byte[] reply) => new RawServer(async (c, token) =>
        {
            await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", token);
            if (!await ReadHeadAsync(c.Socket, token))
            {
                return;
            }

            if (reply.Length > 0)
            {
                await c.SendAsync(reply, token);
            }

            c.Socket.Shutdown(SocketShutdown.Both);
        });

        private static async Task<bool> ReadHeadAsync(Socket socket, CancellationToken token)
        {
            var received = new List<byte>();
            var buffer = new byte[4096];
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
                if (n == 0)
                {
                    return false;
                }

                received.AddRange(new ArraySegment<byte>(buffer, 0, n));
                if (Encoding.Latin1.GetString(received.ToArray()).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
    }
}
