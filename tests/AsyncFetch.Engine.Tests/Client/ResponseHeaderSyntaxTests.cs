using System;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Client
{
    /// <summary>
    /// Header sections that real servers send and RFC 9112 lets a client accept, fetched end to end from a server
    /// that sends exactly these bytes: a Content-Length with leading zeros.
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
