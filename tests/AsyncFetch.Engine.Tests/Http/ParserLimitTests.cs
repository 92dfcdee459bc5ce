using System;
using System.Linq;
using System.Text;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Tests.Http
{
    /// <summary>Every element the parser buffers or counts is bounded by <see cref="HttpParserLimits"/>.</summary>
    public sealed class ParserLimitTests
    {
        private const string StatusLine = "HTTP/1.1 200 OK\r\n";

        /// <summary>A response whose status line and header section (through the empty line) are exactly <paramref name="size"/> bytes.</summary>
        private static byte[] HeadOfSize(int size, string body = "")
        {
            string fixedPart = StatusLine + "Content-Length: " + body.Length + "\r\nX-Pad: \r\n\r\n";
            return Ascii(StatusLine + "Content-Length: " + body.Length + "\r\nX-Pad: " + new string('p', size - fixedPart.Length) + "\r\n\r\n" + body);
        }

        private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

        /// <summary>One go, byte by byte (997-byte pieces over 8 KiB) and split at ~300 points: the same outcome each time.</summary>
        private static DriveResult AllWays(byte[] input, HttpParserLimits limits, bool eof = false)
        {
            DriveResult oneGo = ParserDriver.OneShot(input, eof, limits: limits);
            int[] small = input.Length <= 8192 ? ParserDriver.Ones(input.Length) : Enumerable.Repeat(997, (input.Length / 997) + 1).ToArray(); // byte by byte is quadratic
            Assert.Equal(oneGo.Summary, ParserDriver.Drive(input, small, eof, limits: limits).Summary);
            int step = Math.Max(1, input.Length / 300);
            for (int p = 0; p <= input.Length; p += step)
            {
                Assert.Equal(oneGo.Summary, ParserDriver.Drive(input, new[] { p }, eof, limits: limits).Summary);
            }

            return oneGo;
        }

        [Theory]
        [InlineData(64)]
        [InlineData(1024)]
        [InlineData(64 * 1024)]
        public void Header_section_exactly_at_MaxHeaderBytes_passes(int max)
        {
            byte[] input = HeadOfSize(max, "ok");
            DriveResult r = AllWays(input, new HttpParserLimits { MaxHeaderBytes = max });
            Assert.Equal(HttpParseStatus.Complete, r.Status);
            Assert.Equal("ok", Encoding.ASCII.GetString(r.Body));
        }

        [Theory]
        [InlineData(64)]
        [InlineData(1024)]
        [InlineData(64 * 1024)]
        public void Header_section_one_byte_over_MaxHeaderBytes_fails(int max)
        {
            DriveResult r = AllWays(HeadOfSize(max + 1, "ok"), new HttpParserLimits { MaxHeaderBytes = max });
            Assert.Equal(HttpParseStatus.Error, r.Status);
            Assert.Equal(HttpParseError.HeaderSectionTooLarge, r.Parser.Error);
            Assert.Empty(r.Body);
        }

        [Fact]
        public void Default_MaxHeaderBytes_is_64_KiB()
        {
            Assert.Equal(HttpParseStatus.Complete, ParserDriver.OneShot(HeadOfSize(64 * 1024), false).Status);
            Assert.Equal(HttpParseError.HeaderSectionTooLarge, ParserDriver.OneShot(HeadOfSize((64 * 1024) + 1), false).Parser.Error);
        }

        [Theory]
        [InlineData("HTTP/1.1 200 OK\r\nX-Long: ")] // a header line that never ends
        [InlineData("HTTP/1.1 200 ")] // a status line that never ends
        [InlineData("HTTP/1.1")] // a status line that never gets to its status code
        public void Endless_line_fails_once_the_unconsumed_bytes_reach_the_limit(string start)
        {
            byte[] input = Ascii(start + new string('a', 100 * 1024));
            DriveResult r = ParserDriver.Drive(input, Enumerable.Repeat(1024, 100).ToArray(), endOfStream: false);
            Assert.Equal(HttpParseStatus.Error, r.Status);
            Assert.Equal(HttpParseError.HeaderSectionTooLarge, r.Parser.Error);
            Assert.Equal(64 * 1024, r.Fed); // reported by the call that brought the section to 64 KiB, not later
            Assert.True(r.MaxPending <= 64 * 1024, "buffered " + r.MaxPending);
        }

        [Fact]
        public void Trailer_section_has_its_own_MaxHeaderBytes_budget()
        {
            var limits = new HttpParserLimits { MaxHeaderBytes = 100 };
            string head = StatusLine + "Transfer-Encoding: chunked\r\nX-Pad: " + new string('h', 40) + "\r\n\r\n"; // 93 bytes
            string trailer = "X-T: " + new string('t', 91) + "\r\n"; // 98 bytes, plus the empty line: 100
            DriveResult ok = AllWays(Ascii(head + "1\r\nx\r\n0\r\n" + trailer + "\r\n"), limits);
            Assert.Equal(HttpParseStatus.Complete, ok.Status);

            DriveResult tooBig = AllWays(Ascii(head + "1\r\nx\r\n0\r\n" + "X-T: " + new string('t', 92) + "\r\n\r\n"), limits);
            Assert.Equal(HttpParseError.HeaderSectionTooLarge, tooBig.Parser.Error);
        }

        [Fact]
        public void Each_interim_response_has_its_own_MaxHeaderBytes_budget()
        {
            var limits = new HttpParserLimits { MaxHeaderBytes = 64 };
            byte[] input = Ascii("HTTP/1.1 100 Continue\r\nX-A: " + new string('a', 30) + "\r\n\r\n" + "HTTP/1.1 204 No Content\r\nX-B: " + new string('b', 30) + "\r\n\r\n");
            Assert.Equal(HttpParseStatus.Complete, AllWays(input, limits).Status);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(5)]
        [InlineData(100)]
        public void MaxHeaderCount_fields_pass_and_one_more_fails(int max)
        {
            var limits = new HttpParserLimits { MaxHeaderCount = max };
            string fields = "Content-Length: 0\r\n" + string.Concat(Enumerable.Range(1, max - 1).Select(i => $"X-{i}: {i}\r\n"));
            DriveResult ok = AllWays(Ascii(StatusLine + fields + "\r\n"), limits);
            Assert.Equal(HttpParseStatus.Complete, ok.Status);
            Assert.Equal(max, ok.Parser.Headers.Count);

            DriveResult tooMany = AllWays(Ascii(StatusLine + fields + "X-Extra: 1\r\n\r\n"), limits);
            Assert.Equal(HttpParseStatus.Error, tooMany.Status);
            Assert.Equal(HttpParseError.TooManyHeaders, tooMany.Parser.Error);
        }

        [Fact]
        public void MaxHeaderCount_applies_per_response_not_across_interim_ones()
        {
            var limits = new HttpParserLimits { MaxHeaderCount = 2 };
            byte[] input = Ascii("HTTP/1.1 103 Early Hints\r\nLink: a\r\nLink: b\r\n\r\nHTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n");
            Assert.Equal(HttpParseStatus.Complete, AllWays(input, limits).Status);
        }

        /// <summary>
        /// The fewest fields that overflow the header section (the shortest status line, then "a:" LF lines) fail as
        /// HeaderSectionTooLarge, and the most that fit complete: by default the field count never decides first.
        /// </summary>
        [Theory]
        [InlineData(64)]
        [InlineData(1000)]
        [InlineData(64 * 1024)]
        public void Default_field_count_limit_never_fails_before_the_header_size_limit(int maxHeaderBytes)
        {
            const string ShortestStatusLine = "HTTP/1.1 200\n";
            int fit = (maxHeaderBytes - ShortestStatusLine.Length - 1) / 3;
            string Head(int fields) => ShortestStatusLine + string.Concat(Enumerable.Repeat("a:\n", fields)) + "\n";

            var limits = new HttpParserLimits { MaxHeaderBytes = maxHeaderBytes };
            DriveResult ok = ParserDriver.Drive(Ascii(Head(fit)), new[] { 7, 500 }, endOfStream: true, limits: limits);
            Assert.True(ok.Status == HttpParseStatus.Complete, ok.Summary);
            Assert.Equal(fit, ok.Parser.Headers.Count);

            DriveResult over = ParserDriver.Drive(Ascii(Head(fit + 1)), new[] { 7, 500 }, endOfStream: true, limits: limits);
            Assert.Equal(HttpParseError.HeaderSectionTooLarge, over.Parser.Error);
        }

        [Fact]
        public void Default_MaxHeaderCount_follows_MaxHeaderBytes_and_can_still_be_set()
        {
            Assert.Equal((64 * 1024) / 3, new HttpParserLimits().MaxHeaderCount);
            Assert.Equal(100, new HttpParserLimits { MaxHeaderBytes = 300 }.MaxHeaderCount);
            Assert.Equal(7, new HttpParserLimits { MaxHeaderCount = 7 }.MaxHeaderCount);
            Assert.Equal((64 * 1024) / 3, new FetchEngineOptions().MaxHeaderCount);
            Assert.Equal(100, new FetchEngineOptions { MaxHeaderBytes = 300 }.MaxHeaderCount);
        }

        [Fact]
        public void Three_hundred_Set_Cookie_fields_are_a_response()
        {
            string fields = string.Concat(Enumerable.Range(1, 300).Select(i => $"Set-Cookie: id{i}=0123456789abcdef; Path=/; HttpOnly\r\n"));
            DriveResult r = AllWays(Ascii(StatusLine + fields + "Content-Length: 2\r\n\r\nok"), new HttpParserLimits());
            Assert.Equal(HttpParseStatus.Complete, r.Status);
            Assert.Equal(301, r.Parser.Headers.Count);
            Assert.Equal("ok", Encoding.ASCII.GetString(r.Body));
        }

        private const string ChunkedHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

        [Fact]
        public void Chunk_line_exactly_at_MaxChunkLineBytes_passes_and_one_over_fails()
        {
            string line = "1;" + new string('e', 4096 - 4); // with its CRLF: 4096 bytes, the default limit
            DriveResult ok = AllWays(Ascii(ChunkedHead + line + "\r\nx\r\n0\r\n\r\n"), new HttpParserLimits());
            Assert.Equal(HttpParseStatus.Complete, ok.Status);

            DriveResult tooLong = AllWays(Ascii(ChunkedHead + line + "e\r\nx\r\n0\r\n\r\n"), new HttpParserLimits());
            Assert.Equal(HttpParseError.ChunkLineTooLong, tooLong.Parser.Error);

            var small = new HttpParserLimits { MaxChunkLineBytes = 8 };
            Assert.Equal(HttpParseStatus.Complete, AllWays(Ascii(ChunkedHead + "000001\r\nx\r\n0\r\n\r\n"), small).Status);
            Assert.Equal(HttpParseError.ChunkLineTooLong, AllWays(Ascii(ChunkedHead + "0000001\r\nx\r\n0\r\n\r\n"), small).Parser.Error);
        }

        [Fact]
        public void Endless_chunk_line_fails_without_ever_seeing_LF()
        {
            byte[] input = Ascii(ChunkedHead + "1;" + new string('e', 20000));
            DriveResult r = ParserDriver.Drive(input, Enumerable.Repeat(100, 1000).ToArray(), endOfStream: false);
            Assert.Equal(HttpParseError.ChunkLineTooLong, r.Parser.Error);
            Assert.True(r.Fed <= ChunkedHead.Length + 4096 + 100, "fed " + r.Fed);
            Assert.True(r.MaxPending <= 4096 + 100, "buffered " + r.MaxPending);

            // Zeros are a valid size that never ends: still bounded.
            DriveResult zeros = ParserDriver.Drive(Ascii(ChunkedHead + new string('0', 20000)), Enumerable.Repeat(100, 1000).ToArray(), endOfStream: false);
            Assert.Equal(HttpParseError.ChunkLineTooLong, zeros.Parser.Error);
        }

        [Fact]
        public void Content_length_over_MaxBodyBytes_fails_at_the_headers()
        {
            var limits = new HttpParserLimits { MaxBodyBytes = 10 };
            DriveResult r = ParserDriver.OneShot(Ascii(StatusLine + "Content-Length: 11\r\n\r\n"), false, limits: limits);
            Assert.Equal(HttpParseStatus.Error, r.Status); // no body byte needed to know
            Assert.Equal(HttpParseError.BodyTooLarge, r.Parser.Error);

            DriveResult ok = AllWays(Ascii(StatusLine + "Content-Length: 10\r\n\r\n0123456789"), limits);
            Assert.Equal(HttpParseStatus.Complete, ok.Status);
            Assert.Equal(10, ok.Body.Length);

            var none = new HttpParserLimits { MaxBodyBytes = 0 };
            Assert.Equal(HttpParseStatus.Complete, AllWays(Ascii(StatusLine + "Content-Length: 0\r\n\r\n"), none).Status);
            Assert.Equal(HttpParseError.BodyTooLarge, AllWays(Ascii(StatusLine + "Content-Length: 5\r\n\r\nhello"), none).Parser.Error);
        }

        [Fact]
        public void Chunked_body_over_MaxBodyBytes_fails_at_the_chunk_that_exceeds_it()
        {
            var limits = new HttpParserLimits { MaxBodyBytes = 10 };
            DriveResult ok = AllWays(Ascii(ChunkedHead + "6\r\nabcdef\r\n4\r\nghij\r\n0\r\n\r\n"), limits);
            Assert.Equal(HttpParseStatus.Complete, ok.Status);

            DriveResult r = AllWays(Ascii(ChunkedHead + "6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n"), limits);
            Assert.Equal(HttpParseError.BodyTooLarge, r.Parser.Error);
            Assert.Equal("abcdef", Encoding.ASCII.GetString(r.Body)); // refused at the size line, before its data
        }

        [Fact]
        public void Read_until_close_body_over_MaxBodyBytes_fails()
        {
            var limits = new HttpParserLimits { MaxBodyBytes = 10 };
            Assert.Equal(HttpParseStatus.Complete, ParserDriver.OneShot(Ascii(StatusLine + "\r\n0123456789"), true, limits: limits).Status);
            DriveResult r = ParserDriver.Drive(Ascii(StatusLine + "\r\n0123456789A"), ParserDriver.Ones(40), true, limits: limits);
            Assert.Equal(HttpParseError.BodyTooLarge, r.Parser.Error);
            Assert.Equal(10, r.Body.Length);
        }

        /// <summary>The declared size is checked against the limit as BodyBytes + size, which wraps for a size near 2^63.</summary>
        [Fact]
        public void Huge_chunk_size_fails_MaxBodyBytes_at_its_size_line()
        {
            var limits = new HttpParserLimits { MaxBodyBytes = 10 };
            DriveResult first = ParserDriver.OneShot(Ascii(ChunkedHead + "7fffffffffffffff\r\n"), false, limits: limits);
            Assert.Equal(HttpParseError.BodyTooLarge, first.Parser.Error);

            // After one byte of body, 1 + 0x7fffffffffffffff wraps negative and passes the check.
            DriveResult second = ParserDriver.OneShot(Ascii(ChunkedHead + "1\r\na\r\n7fffffffffffffff\r\n"), false, limits: limits);
            Assert.True(second.Status == HttpParseStatus.Error, "expected BodyTooLarge at the size line\n" + second.Summary);
            Assert.Equal(HttpParseError.BodyTooLarge, second.Parser.Error);
        }
    }
}
