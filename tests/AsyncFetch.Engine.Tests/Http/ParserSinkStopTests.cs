using System;
using System.Text;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Tests.Http
{
    /// <summary>
    /// A sink stops a response by returning false, not by throwing: the parse ends with <see cref="HttpParseStatus.Stopped"/>,
    /// the sink hears nothing more, and the parser stays stopped.
    /// </summary>
    public sealed class ParserSinkStopTests
    {
        private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

        [Theory]
        [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")]
        [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")]
        [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")] // no body: refused all the same
        [InlineData("HTTP/1.1 204 No Content\r\n\r\n")]
        [InlineData("HTTP/1.0 200 OK\r\n\r\nuntil close")]
        public void A_sink_that_refuses_the_headers_stops_the_parse_after_them(string response)
        {
            byte[] input = Ascii(response);
            int headEnd = response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
            var parser = new HttpResponseParser();
            var sink = new StoppingSink(stopAtHeaders: true);

            HttpParseStatus status = parser.Parse(input, sink, out int consumed);

            Assert.Equal(HttpParseStatus.Stopped, status);
            Assert.Equal(headEnd, consumed);
            Assert.Equal(1, sink.HeadersCalls);
            Assert.Equal(0, sink.BodyCalls);
            Assert.Equal(HttpParseError.None, parser.Error);
            Assert.False(parser.IsComplete);

            // Stopped for good: more bytes, or the end of the stream, change nothing and reach no sink.
            Assert.Equal(HttpParseStatus.Stopped, parser.Parse(input.AsSpan(consumed), sink, out int more));
            Assert.Equal(0, more);
            Assert.Equal(HttpParseStatus.Stopped, parser.FinishAtEndOfStream());
            Assert.Equal(0, sink.BodyCalls);
        }

        [Theory]
        [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "0123456789")]
        [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n")]
        public void A_sink_that_refuses_body_bytes_hears_no_more_of_them(string head, string body)
        {
            var parser = new HttpResponseParser();
            var sink = new StoppingSink(stopAtHeaders: false);
            Assert.Equal(HttpParseStatus.NeedMore, parser.Parse(Ascii(head), sink, out int consumed));
            Assert.Equal(head.Length, consumed);

            // The body arrives in two reads: the sink refuses the first bytes it is offered.
            byte[] first = Ascii(body.Substring(0, body.Length / 2));
            Assert.Equal(HttpParseStatus.Stopped, parser.Parse(first, sink, out _));
            Assert.Equal(1, sink.BodyCalls);
            Assert.Equal(HttpParseStatus.Stopped, parser.Parse(Ascii(body.Substring(body.Length / 2)), sink, out int more));
            Assert.Equal(0, more);
            Assert.Equal(1, sink.BodyCalls);
            Assert.Equal(HttpParseError.None, parser.Error);
        }

        [Fact]
        public void Reset_after_a_stop_parses_the_next_response()
        {
            var parser = new HttpResponseParser();
            Assert.Equal(HttpParseStatus.Stopped, parser.Parse(Ascii("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"), new StoppingSink(stopAtHeaders: true), out _));

            parser.Reset(false);
            var sink = new StoppingSink(stopAtHeaders: false, stopAtBody: false);
            Assert.Equal(HttpParseStatus.Complete, parser.Parse(Ascii("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"), sink, out _));
            Assert.Equal(1, sink.BodyCalls);
        }

        private sealed class StoppingSink : IHttpBodySink
        {
            private readonly bool _stopAtHeaders;
            private readonly bool _stopAtBody;

            public StoppingSink(bool stopAtHeaders, bool stopAtBody = true)
            {
                _stopAtHeaders = stopAtHeaders;
                _stopAtBody = stopAtBody;
            }

            public int HeadersCalls { get; private set; }

            public int BodyCalls { get; private set; }

            public bool OnHeadersComplete(HttpResponseParser parser)
            {
                HeadersCalls++;
                return !_stopAtHeaders;
            }

            public bool OnBody(ReadOnlySpan<byte> data)
            {
                BodyCalls++;
                return !_stopAtBody;
            }
        }
    }
}
