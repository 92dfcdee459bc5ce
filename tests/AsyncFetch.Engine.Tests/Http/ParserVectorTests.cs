using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Tests.Http
{
    /// <summary>The Markdown vectors, each parsed in one go, at every split point, byte by byte and in random pieces.</summary>
    public sealed class ParserVectorTests
    {
        public static IEnumerable<object[]> Ids() => ResponseVectors.Ids();

        [Fact]
        public void Vector_files_hold_enough_well_formed_vectors()
        {
            IReadOnlyDictionary<string, ResponseVector> all = ResponseVectors.ById;
            Assert.True(all.Count >= 40, "only " + all.Count + " vectors");
            Assert.Contains(all.Values, v => v.ExpectedStatus == HttpParseStatus.Complete && !v.Eof);
            Assert.Contains(all.Values, v => v.ExpectedStatus == HttpParseStatus.Error);
            Assert.Contains(all.Values, v => v.Eof);
            Assert.Contains(all.Values, v => v.Head);
        }

        [Fact]
        public void Escaping_convention_round_trips()
        {
            string[] lines = { "## v", "```", "A\\tB", "lf\\n", "none\\$", "\\x00\\0\\\\\\{3*z}", "```", "- result: Complete" };
            ResponseVector v = ResponseVectors.Parse("f", lines).Single();
            Assert.Equal("f/v", v.Id);
            Assert.Equal("A\tB\r\nlf\nnone\0\0\\zzz\r\n", Encoding.Latin1.GetString(v.Input));
            byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
            Assert.Equal(all, Escaping.Decode(Escaping.Escape(all)));
        }

        [Theory]
        [MemberData(nameof(Ids))]
        public void Vector_parsed_in_one_go(string id)
        {
            ResponseVector v = ResponseVectors.Get(id);
            DriveResult r = ParserDriver.OneShot(v.Input, v.Eof, v.Head);
            ResponseVectors.AssertExpected(v, r);
        }

        /// <summary>
        /// Kestrel HttpParserTests style: a fresh parser gets input[0..p], then the unconsumed rest plus input[p..].
        /// The driver checks each call (no whole line left unconsumed after NeedMore, headers consumed only up to a line
        /// end); the first call may stop early only with the final result, and the end result is the one-go result.
        /// Inputs over 4 KiB are sampled: every prefix in the first 2 KiB and the last 1 KiB, every 61st in between.
        /// </summary>
        [Theory]
        [MemberData(nameof(Ids))]
        public void Vector_split_at_every_prefix(string id)
        {
            ResponseVector v = ResponseVectors.Get(id);
            byte[] input = v.Input;
            string expected = ParserDriver.OneShot(input, v.Eof, v.Head).Summary;
            int firstFinalPrefix = -1;
            for (int p = 0; p <= input.Length; p++)
            {
                if (input.Length > 4096 && p > 2048 && p < input.Length - 1024 && p % 61 != 0)
                {
                    continue;
                }

                DriveResult r;
                try
                {
                    r = ParserDriver.Drive(input, new[] { p, input.Length - p }, v.Eof, v.Head);
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"{id}: prefix {p}: {e.Message}\ninput: {Escaping.Escape(input)}");
                }

                if (r.Summary != expected)
                {
                    Assert.Fail($"{id}: split at {p} of {input.Length} ({Escaping.Escape(input.AsSpan(0, p))}|) differs:\n--- one go\n{expected}\n--- split\n{r.Summary}");
                }

                bool stoppedOnFirstCall = r.ParseCalls == 1 && r.StatusBeforeEof != HttpParseStatus.NeedMore;
                if (stoppedOnFirstCall && firstFinalPrefix < 0)
                {
                    firstFinalPrefix = p;
                }

                Assert.True(stoppedOnFirstCall || firstFinalPrefix < 0, $"{id}: final at prefix {firstFinalPrefix} but NeedMore again at {p}");
            }
        }

        [Theory]
        [MemberData(nameof(Ids))]
        public void Vector_fed_one_byte_at_a_time(string id)
        {
            ResponseVector v = ResponseVectors.Get(id);
            DriveResult r = ParserDriver.Drive(v.Input, ParserDriver.Ones(v.Input.Length), v.Eof, v.Head);
            Assert.Equal(ParserDriver.OneShot(v.Input, v.Eof, v.Head).Summary, r.Summary);
            ResponseVectors.AssertExpected(v, r);
        }

        [Theory]
        [MemberData(nameof(Ids))]
        public void Vector_fed_in_random_pieces(string id)
        {
            ResponseVector v = ResponseVectors.Get(id);
            string expected = ParserDriver.OneShot(v.Input, v.Eof, v.Head).Summary;
            var random = new Random(StableHash(id));
            for (int round = 0; round < 30; round++)
            {
                var plan = new List<int>();
                int maxPiece = 1 + random.Next(1 + (v.Input.Length / (1 + random.Next(8))));
                for (int total = 0; total < v.Input.Length; total += plan[^1])
                {
                    plan.Add(random.Next(0, maxPiece + 1));
                }

                DriveResult r = ParserDriver.Drive(v.Input, plan, v.Eof, v.Head);
                Assert.True(expected == r.Summary, $"{id}: plan [{string.Join(",", plan)}]\n--- one go\n{expected}\n--- pieces\n{r.Summary}");
            }
        }

        [Fact]
        public void Driver_keeps_the_unconsumed_rest_between_calls()
        {
            byte[] input = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
            DriveResult r = ParserDriver.Drive(input, new[] { 20, 1 }, endOfStream: false);
            Assert.Equal(HttpParseStatus.Complete, r.Status);
            Assert.Equal(3, r.ParseCalls);
            Assert.Equal(4, r.MaxPending); // "Con" then "Cont": a header line is never half consumed
            Assert.Equal("abc", Encoding.ASCII.GetString(r.Body));
        }

        [Fact]
        public void Leftover_parses_as_the_next_response_after_Reset()
        {
            byte[] input = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 No Content\r\n\r\n");
            var parser = new HttpResponseParser();
            var sink = new RecordingSink();
            Assert.Equal(HttpParseStatus.Complete, parser.Parse(input, sink, out int consumed));
            HttpHeaderList first = parser.Headers;
            Assert.Equal(HttpParseStatus.Complete, parser.Parse(input.AsSpan(consumed), sink, out int again));
            Assert.Equal(0, again);

            parser.Reset(false);
            Assert.Equal(HttpParseStatus.Complete, parser.Parse(input.AsSpan(consumed), new RecordingSink(), out int second));
            Assert.Equal(input.Length - consumed, second);
            Assert.Equal(204, parser.StatusCode);
            Assert.Equal("2", first["Content-Length"]); // the finished response keeps its own headers
            Assert.Equal(0, parser.Headers.Count);
        }

        [Fact]
        public void Parse_after_an_error_consumes_nothing_and_repeats_the_error()
        {
            var parser = new HttpResponseParser();
            byte[] bad = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n");
            Assert.Equal(HttpParseStatus.Error, parser.Parse(bad, null, out _));
            Assert.Equal(HttpParseStatus.Error, parser.Parse(bad, null, out int consumed));
            Assert.Equal(0, consumed);
            Assert.Equal(HttpParseStatus.Error, parser.FinishAtEndOfStream());
            Assert.Equal(HttpParseError.InvalidHeaderName, parser.Error);
        }

        [Fact]
        public void Works_without_a_sink()
        {
            var parser = new HttpResponseParser();
            byte[] input = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
            Assert.Equal(HttpParseStatus.Complete, parser.Parse(input, null, out int consumed));
            Assert.Equal(input.Length, consumed);
            Assert.Equal(3, parser.BodyBytes);
        }

        /// <summary>RFC 9112 section 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing; close the connection after it.</summary>
        [Fact]
        public void Http10_with_transfer_encoding_is_not_reused()
        {
            byte[] input = Encoding.ASCII.GetBytes("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
            DriveResult r = ParserDriver.OneShot(input, endOfStream: false);
            Assert.Equal(HttpParseStatus.Complete, r.Status);
            Assert.False(r.Parser.KeepAlive, "an HTTP/1.0 response framed by Transfer-Encoding must not leave the connection reusable");
        }

        internal static int StableHash(string s)
        {
            int h = 17;
            foreach (char c in s)
            {
                h = unchecked((h * 31) + c);
            }

            return h;
        }
    }
}
