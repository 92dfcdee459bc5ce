using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace AsyncFetch.Engine.Tests.Connections
{
    /// <summary>
    /// A server that answers an upload early (413 before reading the body) with a keep-alive
    /// response. The connection used to go back to the pool with the body half sent, so the next request's head
    /// was written into the middle of the upload: the server read it as body bytes (request smuggling / desync).
    /// </summary>
    public sealed class EarlyResponseReuseTests
    {
        private const int BodySize = 32 * 1024 * 1024; // far more than loopback socket buffers hold while the server does not read: the upload cannot be done when the 413 is seen

        private readonly ITestOutputHelper _output;

        public EarlyResponseReuseTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public async Task Early_413_during_an_upload_is_not_followed_by_a_request_on_the_same_connection()
        {
            using var server = new RawServer(async (c, token) =>
            {
                if (c.Head.StartsWith("POST ", StringComparison.Ordinal))
                {
                    // Answer at once, before reading the body, and keep the connection open (no Connection: close).
                    // Then read nothing for a while: the client's upload stalls on full socket buffers while the 413 is
                    // there to see. Reading at once let the receive buffer grow (tcp_rmem allows 32 MiB here), and a
                    // fast client then sent the whole body before it looked at the answer: a legitimate reuse, and
                    // not the case this test is about (it failed its precondition once in CI that way).
                    await c.SendAsync("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n", token);
                    await Task.Delay(500, token);
                }
                else
                {
                    await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", token);
                }

                // Then read whatever comes, looking for a request line, until the client closes.
                await c.ReadAfterHeadAsync(token);
            });

            FetchResult post, get;
            using (FetchEngine engine = new FetchEngine(new FetchEngineOptions { MaxConcurrency = 1, PerHostLimit = 1, Timeout = TimeSpan.FromSeconds(5) }))
            {
                var upload = new FetchRequest(server.Url("/upload")) { Method = "POST", Body = new byte[BodySize] };
                var second = new FetchRequest(server.Url("/second"));
                Task<FetchResult> postTask = engine.FetchAsync(upload);
                Task<FetchResult> getTask = engine.FetchAsync(second); // queued behind the POST: one connection at a time
                FetchResult[] results = await Task.WhenAll(postTask, getTask).WaitAsync(TimeSpan.FromSeconds(15));
                post = results[0];
                get = results[1];
            } // disposing the engine closes the pooled connection, so every server handler sees its end

            Assert.True(await server.WaitHandlersAsync(TimeSpan.FromSeconds(5)), "the server's connection handlers did not finish");
            RawConnection[] connections = server.Connections;
            foreach (RawConnection c in connections)
            {
                _output.WriteLine($"connection: '{c.Head.Split("\r\n")[0]}' CL={c.DeclaredContentLength} bytes after head={c.BytesAfterHead} request line in them at {c.RequestLineAfterHeadAt} closed={c.ClientClosed}");
            }

            _output.WriteLine($"POST: {post}; GET: {get}");

            RawConnection first = connections[0];
            Assert.StartsWith("POST /upload HTTP/1.1\r\n", first.FirstBytes, StringComparison.Ordinal);
            Assert.Equal(BodySize, first.DeclaredContentLength);
            Assert.True(first.BytesAfterHead < BodySize, $"precondition: the upload was cut short by the early answer ({first.BytesAfterHead} of {BodySize} bytes arrived)");
            Assert.True(first.RequestLineAfterHeadAt == -1, $"a request head was smuggled into the upload's body at offset {first.RequestLineAfterHeadAt}");
            Assert.True(first.ClientClosed, "the client closed the connection of the interrupted upload");

            // The second request opened a new connection and is the first thing on it.
            Assert.Equal(2, connections.Length);
            RawConnection secondConnection = connections[1];
            Assert.StartsWith("GET /second HTTP/1.1\r\n", secondConnection.FirstBytes, StringComparison.Ordinal);
            Assert.Equal(-1, secondConnection.RequestLineAfterHeadAt);

            // The POST got the server's early answer (the server kept the connection open, so it is not a lost connection).
            Assert.Equal(FetchErrorKind.None, post.ErrorKind);
            Assert.Equal(413, post.StatusCode);

            // The GET was answered: it went out as a request of its own.
            Assert.Equal(FetchErrorKind.None, get.ErrorKind);
            Assert.Equal(200, get.StatusCode);
            Assert.Equal("ok", get.Content);
        }
    }
}
