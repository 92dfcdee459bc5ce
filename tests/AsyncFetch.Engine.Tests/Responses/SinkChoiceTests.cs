using System;
using AsyncFetch.Engine.Responses;

namespace AsyncFetch.Engine.Tests.Responses
{
    /// <summary>Which sink a response's body goes to, decided once its headers are in.</summary>
    public sealed class SinkChoiceTests
    {
        [Theory]
        // The result, in memory unless the request discards it; a compressed body is kept to be decoded.
        [InlineData(200, true, "GET", false, false, false, "Memory")]
        [InlineData(200, true, "GET", false, true, false, "Discard")]
        [InlineData(200, true, "GET", false, true, true, "Memory")]
        [InlineData(404, true, "GET", false, false, false, "Memory")]
        [InlineData(200, true, "HEAD", false, false, false, "Memory")]
        // Not the result (a redirect to follow, a status to retry): nobody keeps it, whatever the request asks for.
        [InlineData(302, false, "GET", false, false, false, "Discard")]
        [InlineData(302, false, "GET", true, false, true, "Discard")]
        [InlineData(503, false, "GET", true, false, false, "Discard")]
        // With an output target, a 2xx with a body goes to the file, DiscardBody or not, compressed or not.
        [InlineData(200, true, "GET", true, false, false, "File")]
        [InlineData(200, true, "GET", true, true, false, "File")]
        [InlineData(206, true, "GET", true, false, true, "File")]
        [InlineData(299, true, "POST", true, false, false, "File")]
        // ... and anything else is handled as if there were no target: an error body can be read.
        [InlineData(204, true, "GET", true, false, false, "Memory")]
        [InlineData(205, true, "GET", true, false, false, "Memory")]
        [InlineData(200, true, "HEAD", true, false, false, "Memory")]
        [InlineData(200, true, "head", true, false, false, "Memory")]
        [InlineData(199, true, "GET", true, false, false, "Memory")]
        [InlineData(301, true, "GET", true, false, false, "Memory")]
        [InlineData(404, true, "GET", true, false, false, "Memory")]
        [InlineData(500, true, "GET", true, true, false, "Discard")]
        public void The_sink_follows_status_method_target_and_DiscardBody(int status, bool isResult, string method, bool hasOutputTarget, bool discardBody, bool decoded, string expected)
        {
            Assert.Equal(expected, SinkChoice.For(status, isResult, method, hasOutputTarget, discardBody, decoded).ToString()); // BodyTarget is internal
        }

        [Fact]
        public void Decodings_take_the_transfer_codings_last_applied_first_then_the_content_coding()
        {
            Assert.Null(SinkChoice.Decodings(Array.Empty<string>(), null));
            Assert.Equal(new[] { "gzip" }, SinkChoice.Decodings(Array.Empty<string>(), "gzip"));
            Assert.Equal(new[] { "deflate", "gzip" }, SinkChoice.Decodings(new[] { "gzip", "deflate" }, null));
            Assert.Equal(new[] { "deflate", "gzip", "br" }, SinkChoice.Decodings(new[] { "gzip", "deflate" }, "br"));
        }
    }
}
