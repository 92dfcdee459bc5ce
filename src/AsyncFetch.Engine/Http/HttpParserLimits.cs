namespace AsyncFetch.Engine.Http
{
    /// <summary>Bounds every read of the response parser.</summary>
    internal sealed class HttpParserLimits
    {
        /// <summary>The fewest bytes a field line takes: a one-character name, the colon and LF ("a:" LF).</summary>
        internal const int MinFieldLineBytes = 3;

        private int? _maxHeaderCount;

        /// <summary>The status line and header section together (and, separately, the trailer section).</summary>
        public int MaxHeaderBytes { get; set; } = 64 * 1024;

        /// <summary>
        /// Header fields in one response. By default as many as <see cref="MaxHeaderBytes"/> can hold at the fewest bytes a field
        /// line takes, so the size limit is the one a response meets (a response with hundreds of Set-Cookie fields is real);
        /// set it to count fields below that.
        /// </summary>
        public int MaxHeaderCount
        {
            get => _maxHeaderCount ?? DefaultMaxHeaderCount(MaxHeaderBytes);
            set => _maxHeaderCount = value;
        }

        /// <summary>The body as it comes off the wire (before decompression); negative for no limit.</summary>
        public long MaxBodyBytes { get; set; } = -1;

        /// <summary>A chunk-size line including extensions.</summary>
        public int MaxChunkLineBytes { get; set; } = 4096;

        /// <summary>The field count a header section of <paramref name="maxHeaderBytes"/> can reach: the count limit never decides before the size limit.</summary>
        internal static int DefaultMaxHeaderCount(int maxHeaderBytes) => maxHeaderBytes / MinFieldLineBytes;
    }
}
