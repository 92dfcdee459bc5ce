using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Tests.Http
{
    /// <summary>Comma-separated token lists (Connection, Transfer-Encoding), matched without allocating.</summary>
    public sealed class HttpTextTests
    {
        [Theory]
        [InlineData("close", "close", true)]
        [InlineData("Close", "close", true)]
        [InlineData(" keep-alive ,\tclose\t", "close", true)]
        [InlineData("keep-alive, Upgrade", "upgrade", true)]
        [InlineData("keep-alive", "close", false)]
        [InlineData("closed", "close", false)]
        [InlineData("xclose", "close", false)]
        [InlineData("clo se", "close", false)]
        [InlineData("", "close", false)]
        [InlineData(",,", "close", false)]
        [InlineData("a,,close", "close", true)]
        [InlineData("close,", "close", true)]
        [InlineData(", chunked", "chunked", true)]
        [InlineData("gzip, chunked", "gzip", true)]
        [InlineData("gzip ,chunked", "chunk", false)]
        public void HasToken_matches_whole_trimmed_elements_case_insensitively(string value, string token, bool expected)
        {
            Assert.Equal(expected, HttpText.HasToken(value, token));
        }
    }
}
