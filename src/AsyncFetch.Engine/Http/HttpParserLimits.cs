
namespace AsyncFetch.Engine.Http
{
    /// <summary>Bounds every read of the response parser.</summary>
    public sealed class HttpParserLimits
    {
        /// <summary>The status line and header section together (and, separately, the trailer section).</summary>
        public int MaxHeaderBytes { get; set; } = 64 * 1024;

        public int MaxHeaderCount { get; set; } = 100;

        /// <summary>The body as it comes off the wire (before decompression); negative for no limit.</summary>
        public long MaxBodyBytes { get; set; } = -1;

        /// <summary>A chunk-size line including extensions.</summary>
        public int MaxChunkLineBytes { get; set; } = 4096;
    }
}
