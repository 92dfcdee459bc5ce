using System;
using System.Text;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests
{
    /// <summary>
    /// FetchResult.Content decodes the body with the charset of Content-Type. A charset the runtime refuses (utf-7)
    /// made Content throw (PowerShell showed $null for a non-empty body), and an unknown one fell back to UTF-8
    /// without a word: now both are decoded as UTF-8 and CharsetFallback names the charset that was not used.
    /// </summary>
    public sealed class ContentCharsetTests
    {
        private static readonly byte[] Utf8Text = Encoding.UTF8.GetBytes("caf\u00e9 +AGEA- \u20ac");

        private static FetchResult Result(string? contentType, byte[] body)
        {
            var result = new FetchResult(new FetchRequest(new Uri("http://127.0.0.1/")));
            if (contentType != null)
            {
                result.Headers.Add("Content-Type", contentType);
            }

            result.Body = body;
            return result;
        }

        [Theory]
        [InlineData("text/plain; charset=utf-7", "utf-7")]
        [InlineData("text/plain; charset=UTF-7", "UTF-7")]
        [InlineData("text/html;charset=x-nonsense", "x-nonsense")]
        [InlineData("text/plain; charset=\"x-nonsense\"", "x-nonsense")]
        public void A_charset_that_cannot_be_used_falls_back_to_utf8_and_says_so(string contentType, string refused)
        {
            FetchResult result = Result(contentType, Utf8Text);
            Assert.Equal("caf\u00e9 +AGEA- \u20ac", result.Content);
            Assert.Equal(refused, result.CharsetFallback);
        }

        [Fact]
        public void Bytes_that_are_not_utf8_become_replacement_characters_in_the_fallback()
        {
            FetchResult result = Result("text/plain; charset=utf-7", new byte[] { (byte)'a', 0xE9, (byte)'b' });
            Assert.Equal("a\uFFFDb", result.Content);
            Assert.Equal("utf-7", result.CharsetFallback);
            Assert.Equal(new byte[] { (byte)'a', 0xE9, (byte)'b' }, result.GetBody()); // the bytes as received
        }

        [Theory]
        [InlineData("text/plain; charset=")]
        [InlineData("text/plain; charset=\"\"")]
        [InlineData("text/plain")]
        [InlineData(null)]
        public void No_charset_or_an_empty_one_is_utf8_without_a_fallback(string? contentType)
        {
            FetchResult result = Result(contentType, Utf8Text);
            Assert.Equal("caf\u00e9 +AGEA- \u20ac", result.Content);
            Assert.Null(result.CharsetFallback);
        }

        [Theory]
        [InlineData("text/plain; charset=iso-8859-1")]
        [InlineData("text/plain; charset=\"iso-8859-1\"")]
        [InlineData("text/plain; format=flowed; CHARSET=ISO-8859-1")]
        public void A_known_charset_is_used_quoted_or_not(string contentType)
        {
            FetchResult result = Result(contentType, new byte[] { (byte)'c', (byte)'a', (byte)'f', 0xE9 });
            Assert.Equal("caf\u00e9", result.Content);
            Assert.Null(result.CharsetFallback);
        }

        [Fact]
        public void Utf8_is_unchanged_and_a_bom_still_wins()
        {
            FetchResult result = Result("text/plain; charset=utf-8", Utf8Text);
            Assert.Equal("caf\u00e9 +AGEA- \u20ac", result.Content);
            Assert.Null(result.CharsetFallback);

            byte[] bomFirst = [0xEF, 0xBB, 0xBF, .. Utf8Text];
            FetchResult bom = Result("text/plain; charset=iso-8859-1", bomFirst);
            Assert.Equal("caf\u00e9 +AGEA- \u20ac", bom.Content);
        }

        [Fact]
        public void No_body_has_no_content_and_no_fallback()
        {
            var result = new FetchResult(new FetchRequest(new Uri("http://127.0.0.1/")));
            result.Headers.Add("Content-Type", "text/plain; charset=utf-7");
            Assert.Null(result.Content);
            Assert.Null(result.CharsetFallback);
        }

        [Fact]
        public async Task A_utf7_response_has_its_text_in_Content()
        {
            using var server = new RawServer(async (c, token) =>
            {
                await c.SendAsync($"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-7\r\nContent-Length: {Utf8Text.Length}\r\nConnection: close\r\n\r\n", token);
                await c.SendAsync(Utf8Text, token);
                await c.ReadAfterHeadAsync(token);
            });
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(server.Url("/text")));

            Assert.True(r.Succeeded, r.ToString());
            Assert.Equal("caf\u00e9 +AGEA- \u20ac", r.Content);
            Assert.Equal("utf-7", r.CharsetFallback);
        }
    }
}
