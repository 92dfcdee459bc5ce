using System;
using System.IO;
using System.Text;
using AsyncFetch.Engine.Http;
using Xunit;

namespace AsyncFetch.Engine.Tests.Http
{
    /// <summary>
    /// <see cref="HttpResponseParser.PauseAfterBody"/>: a sink that cannot take more stops the parse after the body bytes
    /// it was handed; the rest stays unconsumed and, offered again, yields the same body as an uninterrupted parse.
    /// </summary>
    public sealed class ParserPauseTests
    {
        private static readonly byte[] LengthFramed = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789");

        private static readonly byte[] Chunked = Encoding.ASCII.GetBytes(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n2\r\nhi\r\n0\r\n\r\n");

        [Fact]
        public void A_pause_in_OnBody_stops_after_those_bytes_and_leaves_the_rest_unconsumed()
        {
            var parser = new HttpResponseParser();
            var sink = new PausingSink(parser);
            byte[] input = Chunked;

            HttpParseStatus status = parser.Parse(input, sink, out int consumed);

            Assert.Equal(HttpParseStatus.Paused, status);
            Assert.Equal("abc", Encoding.ASCII.GetString(sink.Body.ToArray()));
            Assert.Equal("\r\n4\r\ndefg\r\n2\r\nhi\r\n0\r\n\r\n", Encoding.ASCII.GetString(input, consumed, input.Length - consumed));
            Assert.False(parser.PauseAfterBody); // a pause is used up by the parse it stopped
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void Feeding_the_rest_after_every_pause_gives_the_whole_body_in_order(bool chunked)
        {
            byte[] response = chunked ? Chunked : LengthFramed;
            var parser = new HttpResponseParser();
            var sink = new PausingSink(parser); // pauses after every body piece
            byte[] pending = Array.Empty<byte>();
            int fed = 0;
            int pauses = 0;
            HttpParseStatus status = HttpParseStatus.NeedMore;
            while (status == HttpParseStatus.NeedMore || status == HttpParseStatus.Paused)
            {
                // After a pause the rest is offered again as it is; after NeedMore with three more bytes.
                int more = status == HttpParseStatus.Paused ? 0 : Math.Min(3, response.Length - fed);
                Assert.True(status == HttpParseStatus.Paused || more > 0, "the parser wanted more than the response has");
                byte[] input = new byte[pending.Length + more];
                pending.CopyTo(input, 0);
                Array.Copy(response, fed, input, pending.Length, more);
                fed += more;

                status = parser.Parse(input, sink, out int consumed);
                pending = input.AsSpan(consumed).ToArray();
                pauses += status == HttpParseStatus.Paused ? 1 : 0;
            }

            Assert.Equal(HttpParseStatus.Complete, status);
            Assert.Equal(chunked ? "abcdefghi" : "0123456789", Encoding.ASCII.GetString(sink.Body.ToArray()));
            Assert.True(pauses > 0, "the sink never paused the parse");
        }

        [Fact]
        public void A_pause_asked_for_on_the_last_body_bytes_completes_the_response()
        {
            var parser = new HttpResponseParser();
            var sink = new PausingSink(parser);

            HttpParseStatus status = parser.Parse(LengthFramed, sink, out int consumed);

            Assert.Equal(HttpParseStatus.Complete, status);
            Assert.Equal(LengthFramed.Length, consumed);
        }

        [Fact]
        public void Reset_forgets_a_pause_asked_for_between_responses()
        {
            var parser = new HttpResponseParser { PauseAfterBody = true };
            parser.Reset(false);

            Assert.False(parser.PauseAfterBody);
            Assert.Equal(HttpParseStatus.Complete, parser.Parse(LengthFramed, new PausingSink(parser, pieceLimit: int.MaxValue), out _));
        }

        /// <summary>Keeps the body and asks for a pause after every <c>pieceLimit</c>-th piece it is handed.</summary>
        private sealed class PausingSink : IHttpBodySink
        {
            private readonly HttpResponseParser _parser;
            private readonly int _pieceLimit;
            private int _pieces;

            public PausingSink(HttpResponseParser parser, int pieceLimit = 1)
            {
                _parser = parser;
                _pieceLimit = pieceLimit;
            }

            public MemoryStream Body { get; } = new MemoryStream();

            public bool OnHeadersComplete(HttpResponseParser parser) => true;

            public bool OnBody(ReadOnlySpan<byte> data)
            {
                Body.Write(data);
                if (++_pieces % _pieceLimit == 0)
                {
                    _parser.PauseAfterBody = true;
                }

                return true;
            }
        }
    }
}
