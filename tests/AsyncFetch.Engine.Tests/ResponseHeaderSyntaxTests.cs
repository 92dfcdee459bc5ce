using System;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests
{
    /// <summary>
    /// Header sections that real servers send and RFC 9112 lets a client accept, fetched end to end from a server
    /// that sends exactly these bytes: folded field lines, hundreds of fields, a Content-Length with leading zeros.
    /// </summary>
    public sealed class ResponseHeaderSyntaxTests
    {
        private static async Task<FetchResult> FetchFrom(string response)
        {
            using RawServer server = RawServer.Answering(response);
            using FetchEngine engine = NewEngine(configure: o => o.Timeout = TimeSpan.FromSeconds(10));
            return await Fetch(engine, new FetchRequest(server.Url("/")));
        }

        [Fact]
        public async Task A_folded_field_line_is_unfolded_into_one_value()
        {
            FetchResult r = await FetchFrom("HTTP/1.1 200 OK\r\nX-Folded: first\r\n   second\r\n\tthird\r\nContent-Length: 2\r\n\r\nok");
            Assert.True(r.ErrorKind == FetchErrorKind.None, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal("first second third", r.Headers["X-Folded"]);
            Assert.Equal(2, r.Headers.Count);
            Assert.Equal("ok", r.Content);
        }

        [Fact]
        public async Task A_folded_Content_Length_frames_the_body_by_its_unfolded_value()
        {
            FetchResult r = await FetchFrom("HTTP/1.1 200 OK\r\nContent-Length:\r\n 5\r\n\r\nhello, and bytes after the body");
            Assert.True(r.ErrorKind == FetchErrorKind.None, r.ErrorMessage);
            Assert.Equal("hello", r.Content);
        }

        [Fact]
        public async Task A_continuation_line_before_the_first_field_is_still_a_protocol_error()
        {
            FetchResult r = await FetchFrom("HTTP/1.1 200 OK\r\n X-Folded: first\r\nContent-Length: 2\r\n\r\nok");
            Assert.Equal(FetchErrorKind.Protocol, r.ErrorKind);
            Assert.Null(r.GetBody());
        }

        [Fact]
        public async Task Hundreds_of_Set_Cookie_fields_within_the_header_size_limit_are_a_response()
        {
            string cookies = string.Concat(Enumerable.Range(0, 300).Select(i => $"Set-Cookie: c{i}=v{i}; Path=/\r\n"));
            FetchResult r = await FetchFrom("HTTP/1.1 200 OK\r\n" + cookies + "Content-Length: 2\r\n\r\nok");
            Assert.True(r.ErrorKind == FetchErrorKind.None, r.ErrorMessage);
            Assert.Equal(301, r.Headers.Count);
            Assert.Equal(300, r.Headers.GetValues("Set-Cookie").Count());
            Assert.Equal("ok", r.Content);
        }

        [Fact]
        public async Task A_header_section_over_64_KiB_is_still_TooLarge()
        {
            var fields = new StringBuilder();
            for (int i = 0; fields.Length <= 64 * 1024; i++)
            {
                fields.Append("Set-Cookie: c").Append(i).Append("=v\r\n");
            }

            FetchResult r = await FetchFrom("HTTP/1.1 200 OK\r\n" + fields + "Content-Length: 2\r\n\r\nok");
            Assert.Equal(FetchErrorKind.TooLarge, r.ErrorKind);
            Assert.Contains("header section", r.ErrorMessage);
        }

        [Fact]
        public async Task A_Content_Length_with_leading_zeros_frames_the_body()
        {
            FetchResult r = await FetchFrom("HTTP/1.1 200 OK\r\nContent-Length: 0000000000000000000005\r\n\r\nhello, and bytes after the body");
            Assert.True(r.ErrorKind == FetchErrorKind.None, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal("hello", r.Content);
            Assert.Equal(5, r.ContentLength);
        }

        [Fact]
        public async Task A_Content_Length_of_nineteen_digits_after_its_zeros_is_still_a_protocol_error()
        {
            FetchResult r = await FetchFrom("HTTP/1.1 200 OK\r\nContent-Length: 0009223372036854775807\r\n\r\nhello");
            Assert.Equal(FetchErrorKind.Protocol, r.ErrorKind);
            Assert.Null(r.GetBody());
        }
    }
}
