using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Tests
{
    /// <summary>
    /// A host label whose punycode form is longer than 63 characters cannot be converted to
    /// ASCII, so Uri.IdnHost gives back the Unicode name. Its chars used to be truncated to bytes in the Host
    /// header: U+010D became CR, U+4E0A LF, U+4E3A ':' and U+4E20 ' ', which smuggled a header line.
    /// </summary>
    public sealed class NonAsciiHostTests
    {
        // "a" CR LF "X-Injected: yes" CR LF once truncated, then 60 x 'é' so the punycode label passes 63 characters.
        private static readonly string Label = "a\u010D\u4E0AX-Injected\u4E3A\u4E20yes\u010D\u4E0A" + new string('\u00E9', 60);

        private static Uri HostileUri(int port) => new Uri($"http://{Label}.example:{port}/");

        [Fact]
        public void The_premise_holds_IdnHost_of_such_a_name_is_not_ASCII()
        {
            Uri uri = HostileUri(8080);
            Assert.NotEqual(UriHostNameType.Unknown, uri.HostNameType); // so the older "no valid host" check let it through
            Assert.Contains(HttpRequestWriter.HostHeader(uri), c => c > 0x7E);
        }

        [Fact]
        public void Validate_refuses_a_host_that_cannot_be_converted_to_ASCII()
        {
            var request = new FetchRequest(HostileUri(8080));
            string? error = FetchRequestHead.Validate(request, out _);
            Assert.NotNull(error);
            Assert.Contains("ASCII", error);
        }

        [Fact]
        public void WriteHead_throws_instead_of_truncating_a_non_ASCII_host()
        {
            Uri uri = HostileUri(8080);
            var buffer = new byte[1024];
            Assert.Throws<InvalidOperationException>(() => FetchRequestHead.Write(ref buffer, new FetchRequest(uri), uri, "UA/1", false));
        }

        [Fact]
        public void WriteHead_throws_instead_of_truncating_a_non_ASCII_header_name()
        {
            // Validate refuses such a name (not a token); the writer must not rely on that alone.
            var request = new FetchRequest("http://example.com/").WithHeader("X-A\u010D\u4E0AX-Injected", "yes");
            Assert.NotNull(FetchRequestHead.Validate(request, out Uri? uri));
            uri = request.Uri!;
            var buffer = new byte[1024];
            Assert.Throws<InvalidOperationException>(() => FetchRequestHead.Write(ref buffer, request, uri, "UA/1", false));
        }

        [Fact]
        public async Task A_non_ASCII_host_is_refused_before_anything_is_resolved_or_sent()
        {
            using var server = new RawServer(async (c, token) =>
            {
                await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", token);
            });

            var resolved = new ConcurrentQueue<string>();
            var options = new FetchEngineOptions { Timeout = TimeSpan.FromSeconds(3), ConnectTimeout = TimeSpan.FromSeconds(2) };
            options.Resolver = host =>
            {
                resolved.Enqueue(host);
                return Task.FromResult(new[] { IPAddress.Loopback }); // every name is the loopback listener
            };

            FetchResult result;
            using (var engine = new FetchEngine(options))
            {
                result = await engine.FetchAsync(new FetchRequest(HostileUri(server.Port))).WaitAsync(TimeSpan.FromSeconds(10));
            }

            await Task.Delay(300); // a connection the engine had opened would have been accepted by now
            Assert.Equal(FetchErrorKind.InvalidRequest, result.ErrorKind);
            Assert.Contains("ASCII", result.ErrorMessage);
            Assert.Empty(resolved);
            Assert.Empty(server.Connections);
        }

        /// <summary>A zero-width space: Uri parses the host, but Uri.IdnHost throws for it (IDNA forbids the character).</summary>
        private static readonly string ForbiddenHost = "\u200B";

        [Fact]
        public void The_premise_holds_Uri_parses_an_IDNA_forbidden_host_and_IdnHost_throws()
        {
            Assert.True(Uri.TryCreate($"http://{ForbiddenHost}/", UriKind.Absolute, out Uri? uri));
            Assert.Throws<UriFormatException>(() => uri!.IdnHost);
        }

        [Fact]
        public void An_IDNA_forbidden_host_is_an_invalid_request_for_that_request_only()
        {
            var options = new FetchEngineOptions { Timeout = TimeSpan.FromSeconds(3), ConnectTimeout = TimeSpan.FromSeconds(2) };
            using var engine = new FetchEngine(options);
            using var server = RawServer.Answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            Task<FetchResult> bad = engine.FetchAsync(new FetchRequest(new Uri($"http://{ForbiddenHost}/x")));
            Task<FetchResult> good = engine.FetchAsync(new FetchRequest(server.Url("/")));
            Assert.True(Task.WaitAll(new Task[] { bad, good }, TimeSpan.FromSeconds(10)));
            Assert.Equal(FetchErrorKind.InvalidRequest, bad.Result.ErrorKind);
            Assert.Equal(200, good.Result.StatusCode);
            Assert.False(FetchUrl.TryNormalize($"http://{ForbiddenHost}/x", out _));
        }

        [Fact]
        public async Task A_redirect_to_an_IDNA_forbidden_host_fails_that_request_and_the_engine_goes_on()
        {
            using var server = new RawServer(async (c, token) =>
            {
                await c.SendAsync(Encoding.UTF8.GetBytes($"HTTP/1.1 302 Found\r\nLocation: http://{ForbiddenHost}/next\r\nContent-Length: 0\r\n\r\n"), token);
            });

            var options = new FetchEngineOptions { Timeout = TimeSpan.FromSeconds(3), ConnectTimeout = TimeSpan.FromSeconds(2) };
            using var engine = new FetchEngine(options);
            FetchResult redirected = await engine.FetchAsync(new FetchRequest(server.Url("/"))).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.NotEqual(FetchErrorKind.None, redirected.ErrorKind);
            Assert.NotEqual(FetchErrorKind.Timeout, redirected.ErrorKind);

            using var second = RawServer.Answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            FetchResult after = await engine.FetchAsync(new FetchRequest(second.Url("/"))).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(200, after.StatusCode);
        }
    }
}
