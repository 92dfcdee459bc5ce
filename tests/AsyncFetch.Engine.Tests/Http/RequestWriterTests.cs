using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Tests.Http
{
    /// <summary>
    /// What FetchRequestHead.Validate lets through (engine policy and HttpRequestWriter's HTTP rules) and the exact
    /// bytes HttpRequestWriter.WriteHead puts on the wire for a request.
    /// </summary>
    public sealed class RequestWriterTests
    {
        private const string DefaultAgent = "AsyncFetch-Test/1.0";

        private static string Head(FetchRequest request, bool acceptCompressed = false, int initialBuffer = 1024)
        {
            Assert.Null(FetchRequestHead.Validate(request, out Uri? uri));
            var buffer = new byte[initialBuffer];
            int length = FetchRequestHead.Write(ref buffer, request, uri!, DefaultAgent, acceptCompressed);
            Assert.InRange(length, 1, buffer.Length);
            return Encoding.Latin1.GetString(buffer, 0, length);
        }

        [Fact]
        public void Get_with_port_query_and_custom_headers()
        {
            FetchRequest request = new FetchRequest("http://example.com:8080/path/a%20b?q=1&r=x#frag")
                .WithHeader("X-One", "1")
                .WithHeader("X-Two", "two");
            Assert.Equal(
                "GET /path/a%20b?q=1&r=x HTTP/1.1\r\n" +
                "Host: example.com:8080\r\n" +
                "User-Agent: AsyncFetch-Test/1.0\r\n" +
                "Accept: */*\r\n" +
                "Accept-Encoding: gzip, deflate, br\r\n" + // br: this runtime (.NET 10) has a Brotli decoder
                "X-One: 1\r\n" +
                "X-Two: two\r\n" +
                "\r\n",
                Head(request, acceptCompressed: true));
        }

        [Theory]
        [InlineData("http://example.com/", "/", "example.com")]
        [InlineData("http://example.com:80/x", "/x", "example.com")]
        [InlineData("http://example.com", "/", "example.com")]
        [InlineData("http://127.0.0.1:5000/a/b/", "/a/b/", "127.0.0.1:5000")]
        [InlineData("http://Example.COM/Path", "/Path", "example.com")]
        [InlineData("http://b\u00fccher.example/\u00fc?q=\u00e9", "/%C3%BC?q=%C3%A9", "xn--bcher-kva.example")]
        [InlineData("http://[::1]:8080/", "/", "[::1]:8080")]
        [InlineData("http://[::1]/", "/", "[::1]")]
        [InlineData("http://[2001:db8::7]:81/x", "/x", "[2001:db8::7]:81")]
        public void Request_target_is_origin_form_and_host_has_port_only_when_not_default(string url, string target, string host)
        {
            string head = Head(new FetchRequest(url));
            Assert.Equal($"GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {DefaultAgent}\r\nAccept: */*\r\n\r\n", head);
        }

        [Fact]
        public void User_agent_override_accept_and_no_accept_encoding_when_not_compressed()
        {
            var viaProperty = new FetchRequest("http://x/") { UserAgent = "Custom/2.0" };
            Assert.Equal("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: Custom/2.0\r\nAccept: */*\r\n\r\n", Head(viaProperty));

            FetchRequest viaHeaders = new FetchRequest("http://x/").WithHeader("user-agent", "Hdr/1").WithHeader("Accept", "text/html").WithHeader("accept-encoding", "br");
            Assert.Equal("GET / HTTP/1.1\r\nHost: x\r\nuser-agent: Hdr/1\r\nAccept: text/html\r\naccept-encoding: br\r\n\r\n", Head(viaHeaders, acceptCompressed: true));
        }

        [Fact]
        public void Get_without_body_sends_no_content_length_even_if_asked()
        {
            FetchRequest request = new FetchRequest("http://x/").WithHeader("Content-Length", "10").WithHeader("Transfer-Encoding", "chunked");
            Assert.Equal("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: " + DefaultAgent + "\r\nAccept: */*\r\n\r\n", Head(request));
        }

        [Fact]
        public void Post_content_length_is_the_body_length_and_user_framing_is_ignored()
        {
            var request = new FetchRequest("http://example.com/submit") { Method = "POST", Body = Encoding.ASCII.GetBytes("hello"), ContentType = "text/plain; charset=utf-8" };
            request.WithHeader("Content-Length", "999").WithHeader("X-A", "1").WithHeader("transfer-encoding", "chunked");
            Assert.Equal(
                "POST /submit HTTP/1.1\r\nHost: example.com\r\nUser-Agent: " + DefaultAgent + "\r\nAccept: */*\r\n" +
                "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\nX-A: 1\r\n\r\n",
                Head(request));
        }

        [Theory]
        [InlineData("POST", null, "Content-Length: 0\r\n")]
        [InlineData("PUT", null, "Content-Length: 0\r\n")]
        [InlineData("PATCH", null, "Content-Length: 0\r\n")]
        [InlineData("DELETE", null, "")]
        [InlineData("DELETE", "abc", "Content-Length: 3\r\n")]
        [InlineData("GET", "", "Content-Length: 0\r\n")]
        public void Content_length_for_methods_that_expect_a_body_or_have_one(string method, string? body, string expected)
        {
            var request = new FetchRequest("http://x/") { Method = method, Body = body == null ? null : Encoding.ASCII.GetBytes(body) };
            Assert.Equal($"{method} / HTTP/1.1\r\nHost: x\r\nUser-Agent: {DefaultAgent}\r\nAccept: */*\r\n{expected}\r\n", Head(request));
        }

        [Fact]
        public void Custom_host_and_content_type_headers_replace_ours()
        {
            var request = new FetchRequest("http://x:81/") { ContentType = "a/b", Method = "POST" };
            request.WithHeader("Host", "other.example").WithHeader("content-type", "c/d");
            Assert.Equal(
                "POST / HTTP/1.1\r\nUser-Agent: " + DefaultAgent + "\r\nAccept: */*\r\nContent-Length: 0\r\nHost: other.example\r\ncontent-type: c/d\r\n\r\n",
                Head(request));
        }

        [Fact]
        public void Header_values_are_sent_as_utf8()
        {
            FetchRequest request = new FetchRequest("http://x/").WithHeader("X-Name", "caf\u00e9 \u20ac\ttab");
            Assert.EndsWith("X-Name: caf\u00c3\u00a9 \u00e2\u0082\u00ac\ttab\r\n\r\n", Head(request));
        }

        [Theory]
        [InlineData(0)]
        [InlineData(1)]
        [InlineData(16)]
        [InlineData(100)]
        public void Buffer_grows_when_too_small(int initial)
        {
            FetchRequest request = new FetchRequest("http://example.com/" + new string('p', 300)).WithHeader("X-Long", new string('v', 500));
            string expected = Head(request, initialBuffer: 4096);
            Assert.Equal(expected, Head(request, initialBuffer: initial));

            var buffer = new byte[initial];
            Assert.Null(FetchRequestHead.Validate(request, out Uri? uri));
            int length = FetchRequestHead.Write(ref buffer, request, uri!, DefaultAgent, false);
            Assert.True(buffer.Length >= length && length > initial);
        }

        [Fact]
        public void WriteHead_takes_plain_values()
        {
            var head = new HttpRequestHead
            {
                Method = "PUT",
                Target = new Uri("http://example.com:8080/a?b#c"),
                Headers = new List<KeyValuePair<string, string>> { new("Proxy-Authorization", "Basic old"), new("X-A", "1") },
                ContentType = "text/plain",
                UserAgent = "Plain/1",
                BodyLength = 3,
                AcceptCompressed = false,
                AbsoluteForm = true,
                ProxyAuthorization = "Basic new",
            };
            var buffer = new byte[8];
            int length = HttpRequestWriter.WriteHead(ref buffer, in head);
            Assert.Equal(
                "PUT http://example.com:8080/a?b HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: Plain/1\r\nAccept: */*\r\n" +
                "Content-Type: text/plain\r\nContent-Length: 3\r\nProxy-Authorization: Basic new\r\nX-A: 1\r\n\r\n",
                Encoding.Latin1.GetString(buffer, 0, length));

            head.AbsoluteForm = false;
            head.ProxyAuthorization = null;
            head.BodyLength = null;
            head.Method = "GET";
            length = HttpRequestWriter.WriteHead(ref buffer, in head);
            Assert.Equal(
                "GET /a?b HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: Plain/1\r\nAccept: */*\r\n" +
                "Content-Type: text/plain\r\nProxy-Authorization: Basic old\r\nX-A: 1\r\n\r\n",
                Encoding.Latin1.GetString(buffer, 0, length));
        }

        [Theory]
        [InlineData("http://x/a\r\nb")]
        [InlineData("http://x/a\nb")]
        [InlineData("http://x/a\rb")]
        [InlineData("http://x/a\0b")]
        [InlineData("http://x/?q=1\r\nX-Injected: 1")]
        [InlineData("http://x/#frag\n")]
        [InlineData("\nhttp://x/")]
        public void Validate_rejects_CR_LF_NUL_in_the_url(string url)
        {
            Assert.NotNull(FetchRequestHead.Validate(new FetchRequest(url), out _));
            if (Uri.TryCreate(url, UriKind.Absolute, out Uri? parsed))
            {
                Assert.NotNull(FetchRequestHead.Validate(new FetchRequest(parsed), out _)); // OriginalString keeps the raw text
            }
        }

        [Theory]
        [InlineData("X-A\r\nX-B", "1")]
        [InlineData("X-A\n", "1")]
        [InlineData("X-A\0", "1")]
        [InlineData("", "1")]
        [InlineData("X A", "1")]
        [InlineData("X:A", "1")]
        [InlineData("X-\u00c4", "1")]
        [InlineData("X-A", "a\r\nX-Injected: 1")]
        [InlineData("X-A", "a\nb")]
        [InlineData("X-A", "a\rb")]
        [InlineData("X-A", "a\0b")]
        [InlineData("X-A", "a\u0001b")]
        [InlineData("X-A", "a\u007fb")]
        public void Validate_rejects_bad_header_names_and_values(string name, string value)
        {
            Assert.NotNull(FetchRequestHead.Validate(new FetchRequest("http://x/").WithHeader(name, value), out _));
        }

        [Theory]
        [InlineData("text/plain\r\nX-Injected: 1", null)]
        [InlineData("text/plain\0", null)]
        [InlineData(null, "agent\nX-Injected: 1")]
        [InlineData(null, "agent\r")]
        [InlineData(null, "agent\0")]
        public void Validate_rejects_control_characters_in_content_type_and_user_agent(string? contentType, string? userAgent)
        {
            var request = new FetchRequest("http://x/") { ContentType = contentType, UserAgent = userAgent };
            Assert.NotNull(FetchRequestHead.Validate(request, out _));
        }

        [Theory]
        [InlineData("GE T")]
        [InlineData("")]
        [InlineData("GET\r\n")]
        [InlineData("G\u00c9T")]
        [InlineData("GET/")]
        [InlineData("GET\0")]
        public void Validate_rejects_a_method_that_is_not_a_token(string method)
        {
            Assert.NotNull(FetchRequestHead.Validate(new FetchRequest("http://x/") { Method = method }, out _));
        }

        [Theory]
        [InlineData("/a")]
        [InlineData("a/b")]
        [InlineData("not a url")]
        [InlineData("")]
        [InlineData("http://")]
        [InlineData("ftp://x/file")]
        [InlineData("file:///etc/passwd")]
        [InlineData("mailto:a@example.com")]
        public void Validate_rejects_relative_unparsable_and_non_http_urls(string url)
        {
            Assert.NotNull(FetchRequestHead.Validate(new FetchRequest(url), out _));
        }

        [Theory]
        [InlineData("http://example.com/")]
        [InlineData("http://127.0.0.1:8080/a?b=c")]
        [InlineData("http://[::1]/")]
        [InlineData("https://example.com:8443/x")]
        [InlineData("http://example.com/\u00fc?q=\u00e9")]
        [InlineData("HTTP://EXAMPLE.COM/")]
        public void Validate_accepts_normal_requests(string url)
        {
            var request = new FetchRequest(url) { Method = "M-SEARCH", ContentType = "text/plain", UserAgent = "ua/1 (x; y)" };
            request.WithHeader("X-Tab", "a\tb").WithHeader("X-Unicode", "\u00fcn\u00efc\u00f6de").WithHeader("X-Empty", string.Empty);
            Assert.Null(FetchRequestHead.Validate(request, out Uri? uri));
            Assert.True(uri!.IsAbsoluteUri);
            Assert.Null(FetchRequestHead.Validate(new FetchRequest(new Uri(url)), out _));
        }

        public static IEnumerable<object[]> WireCases() => WireRequests().Keys.Select(k => new object[] { k });

        /// <summary>Ways to build a request whose URL holds line breaks or NULs (raw, escaped or hidden in wide chars).</summary>
        private static Dictionary<string, Func<FetchRequest>> WireRequests()
        {
            var dangerous = new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true };
#pragma warning disable CS0618, SYSLIB0013 // the obsolete dontEscape constructor is still callable
            return new Dictionary<string, Func<FetchRequest>>
            {
                ["string raw CRLF"] = () => new FetchRequest("http://x/a\r\nX-Injected: 1"),
                ["string wide chars"] = () => new FetchRequest("http://x/a\u010d\u010aX-Injected: 1"),
                ["string escaped CRLF"] = () => new FetchRequest("http://x/a%0D%0AX-Injected:%201"),
                ["Uri raw CRLF"] = () => new FetchRequest(new Uri("http://x/a\r\nX-Injected: 1")),
                ["Uri wide chars"] = () => new FetchRequest(new Uri("http://x/a\u010d\u010aX-Injected: 1\u0100")),
                ["UriBuilder path and query"] = () => new FetchRequest(new UriBuilder("http", "x", 80, "/a\r\nb") { Query = "q=\r\nX-Injected: 1" }.Uri),
                ["relative Uri combined"] = () => new FetchRequest(new Uri(new Uri("http://x/"), "a\r\nX-Injected: 1")),
                ["Uri dontEscape raw CRLF"] = () => new FetchRequest(new Uri("http://x/a\r\nX-Injected: 1", true)),
                ["Uri dontEscape wide chars"] = () => new FetchRequest(new Uri("http://x/a\u010d\u010aX-Injected: 1", true)),
                ["Uri unescaped path option, wide chars"] = () => new FetchRequest(new Uri("http://x/a\u010d\u010aX-Injected: 1", dangerous)),
                ["Uri unescaped path option, U+0100"] = () => new FetchRequest(new Uri("http://x/a?b=\u0100", dangerous)),
                ["Uri unescaped path option, space"] = () => new FetchRequest(new Uri("http://x/a b", dangerous)),
            };
#pragma warning restore CS0618, SYSLIB0013
        }

        /// <summary>Whatever Validate lets through, the head on the wire is well formed: CR and LF only as line ends, no NUL, a request target without SP or CTL.</summary>
        [Theory]
        [MemberData(nameof(WireCases))]
        public void Nothing_validated_puts_raw_CR_LF_NUL_on_the_wire(string name)
        {
            FetchRequest request = WireRequests()[name]();
            if (FetchRequestHead.Validate(request, out Uri? uri) != null)
            {
                return; // refused before sending: fine
            }

            var buffer = new byte[256];
            int length = FetchRequestHead.Write(ref buffer, request, uri!, DefaultAgent, false);
            string head = Encoding.Latin1.GetString(buffer, 0, length);
            string[] lines = head.Split("\r\n");
            Assert.True(lines.Length == 6 && lines[4] == string.Empty && lines[5] == string.Empty, "expected 4 lines then the empty one:\n" + Escaping.Escape(buffer.AsSpan(0, length)));
            foreach (string line in lines)
            {
                Assert.False(line.Any(c => c < 0x20 || c == 0x7F), "control byte in a head line: " + Escaping.Escape(Encoding.Latin1.GetBytes(line)));
            }

            string[] requestLine = lines[0].Split(' ');
            Assert.True(requestLine.Length == 3 && requestLine[2] == "HTTP/1.1", "malformed request line: " + Escaping.Escape(Encoding.Latin1.GetBytes(lines[0])));
            Assert.True(requestLine[1].All(c => c > 0x20 && c < 0x7F), "request target not plain ASCII: " + Escaping.Escape(Encoding.Latin1.GetBytes(requestLine[1])));
        }
    }
}
