using System;
using System.Text;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Tests.Proxy
{
    /// <summary>The bytes a proxy sees (absolute-form requests, CONNECT) and the parser's CONNECT mode.</summary>
    public sealed class ProxyWireTests
    {
        private const string Agent = "AsyncFetch-Test/1.0";

        private static ProxyRoute Route(string proxy) => new FetchProxy(new Uri(proxy)).RouteFor(new Uri("http://any.example/"))!;

        private static string Head(FetchRequest request, ProxyRoute? proxy)
        {
            Assert.Null(FetchRequestHead.Validate(request, out Uri? uri));
            var buffer = new byte[16];
            int length = FetchRequestHead.Write(ref buffer, request, uri!, Agent, false, proxy);
            return Encoding.Latin1.GetString(buffer, 0, length);
        }

        private static string Connect(string target, ProxyRoute proxy)
        {
            var buffer = new byte[16];
            int length = HttpRequestWriter.WriteConnect(ref buffer, new Uri(target), proxy.Authorization, Agent);
            return Encoding.Latin1.GetString(buffer, 0, length);
        }

        [Fact]
        public void Absolute_form_with_port_query_and_credentials()
        {
            var request = new FetchRequest("http://example.com:8080/a%20b?q=1#frag").WithHeader("X-One", "1");
            Assert.Equal(
                "GET http://example.com:8080/a%20b?q=1 HTTP/1.1\r\n" +
                "Host: example.com:8080\r\n" +
                "User-Agent: AsyncFetch-Test/1.0\r\n" +
                "Accept: */*\r\n" +
                "Proxy-Authorization: Basic dTpw\r\n" +
                "X-One: 1\r\n" +
                "\r\n",
                Head(request, Route("http://u:p@proxy:3128")));
        }

        [Fact]
        public void Absolute_form_leaves_out_the_default_port_and_brackets_ipv6()
        {
            Assert.StartsWith("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n", Head(new FetchRequest("http://example.com:80/"), Route("http://proxy:3128")), StringComparison.Ordinal);
            Assert.StartsWith("GET http://[::1]:8080/x HTTP/1.1\r\nHost: [::1]:8080\r\n", Head(new FetchRequest("http://[::1]:8080/x"), Route("http://proxy:3128")), StringComparison.Ordinal);
            Assert.StartsWith("GET http://xn--bcher-kva.example/ HTTP/1.1\r\n", Head(new FetchRequest("http://bücher.example/"), Route("http://proxy:3128")), StringComparison.Ordinal);
        }

        [Fact]
        public void Without_a_proxy_the_request_is_origin_form_without_proxy_credentials()
        {
            string head = Head(new FetchRequest("http://example.com/p?q"), null);
            Assert.StartsWith("GET /p?q HTTP/1.1\r\n", head, StringComparison.Ordinal);
            Assert.DoesNotContain("Proxy-Authorization", head, StringComparison.Ordinal);
        }

        [Fact]
        public void The_proxys_credentials_replace_a_caller_set_Proxy_Authorization()
        {
            var request = new FetchRequest("http://example.com/").WithHeader("Proxy-Authorization", "Basic old");
            string withCredentials = Head(request, Route("http://u:p@proxy:3128"));
            Assert.Contains("Proxy-Authorization: Basic dTpw\r\n", withCredentials, StringComparison.Ordinal);
            Assert.DoesNotContain("Basic old", withCredentials, StringComparison.Ordinal);

            string withoutCredentials = Head(request, Route("http://proxy:3128"));
            Assert.Contains("Proxy-Authorization: Basic old\r\n", withoutCredentials, StringComparison.Ordinal);
        }

        [Fact]
        public void Connect_request_bytes()
        {
            Assert.Equal(
                "CONNECT example.com:443 HTTP/1.1\r\n" +
                "Host: example.com:443\r\n" +
                "User-Agent: AsyncFetch-Test/1.0\r\n" +
                "Proxy-Authorization: Basic dTpw\r\n" +
                "\r\n",
                Connect("https://example.com/path?q", Route("http://u:p@proxy:3128")));
            Assert.Equal(
                "CONNECT [::1]:8443 HTTP/1.1\r\n" +
                "Host: [::1]:8443\r\n" +
                "User-Agent: AsyncFetch-Test/1.0\r\n" +
                "\r\n",
                Connect("https://[::1]:8443/", Route("http://proxy:3128")));
        }

        private static HttpParseStatus ParseConnect(string response, out HttpResponseParser parser, out int consumed)
        {
            parser = new HttpResponseParser();
            parser.ResetForConnect();
            byte[] bytes = Encoding.ASCII.GetBytes(response);
            return parser.Parse(bytes, null, out consumed);
        }

        [Fact]
        public void A_2xx_to_connect_ends_with_its_headers_whatever_they_declare()
        {
            const string head = "HTTP/1.1 200 Connection established\r\nContent-Length: 10\r\n\r\n";
            Assert.Equal(HttpParseStatus.Complete, ParseConnect(head, out HttpResponseParser parser, out int consumed));
            Assert.Equal(head.Length, consumed);
            Assert.Equal(200, parser.StatusCode);

            // Bytes after it are the tunnel's, not consumed.
            Assert.Equal(HttpParseStatus.Complete, ParseConnect("HTTP/1.0 200 OK\r\n\r\n\x16\x03\x01", out _, out consumed));
            Assert.Equal("HTTP/1.0 200 OK\r\n\r\n".Length, consumed);
        }

        [Fact]
        public void Other_answers_to_connect_are_framed_as_usual()
        {
            Assert.Equal(HttpParseStatus.NeedMore, ParseConnect("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 5\r\n\r\nab", out HttpResponseParser parser, out _));
            Assert.True(parser.HeadersComplete);
            Assert.Equal(407, parser.StatusCode);
            Assert.Equal("Proxy Authentication Required", parser.ReasonPhrase);

            Assert.Equal(HttpParseStatus.Complete, ParseConnect("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 2\r\n\r\nok", out _, out _));
        }

        [Fact]
        public void A_plain_reset_leaves_connect_mode()
        {
            var parser = new HttpResponseParser();
            parser.ResetForConnect();
            parser.Reset(false);
            Assert.Equal(HttpParseStatus.NeedMore, parser.Parse(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"), null, out _));
        }
    }
}
