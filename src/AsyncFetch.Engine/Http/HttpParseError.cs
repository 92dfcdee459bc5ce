
namespace AsyncFetch.Engine.Http
{
    /// <summary>Why the response parser rejected its input.</summary>
    internal enum HttpParseError
    {
        None,
        InvalidStatusLine,
        UnsupportedVersion,
        InvalidStatusCode,
        InvalidHeaderLine,
        InvalidHeaderName,
        InvalidHeaderValue,
        HeaderSectionTooLarge,
        TooManyHeaders,
        InvalidContentLength,
        ConflictingContentLength,
        InvalidChunkSize,
        ChunkSizeOverflow,
        ChunkLineTooLong,
        InvalidChunkTerminator,
        BodyTooLarge,
        UnexpectedUpgrade,
        UnexpectedEndOfStream,

        /// <summary>A transfer coding that cannot be removed (not chunked, gzip, x-gzip, deflate or identity), or too many stacked.</summary>
        UnsupportedTransferCoding,

        /// <summary>chunked applied twice, or another transfer coding listed after it.</summary>
        InvalidTransferEncoding,
    }

    /// <summary>What a call to <see cref="HttpResponseParser.Parse"/> achieved.</summary>
    internal enum HttpParseStatus
    {
        /// <summary>The input ended inside an element; feed the unconsumed rest again with more bytes.</summary>
        NeedMore,

        /// <summary>A whole response has been parsed; bytes after it were not consumed.</summary>
        Complete,

        /// <summary>The input is not a valid response; see <see cref="HttpResponseParser.Error"/>.</summary>
        Error,

        /// <summary>
        /// The parse stopped after handing body bytes to the sink because <see cref="HttpResponseParser.PauseAfterBody"/>
        /// was set; feed the unconsumed rest again to go on.
        /// </summary>
        Paused,

        /// <summary>
        /// The sink refused to go on (<see cref="IHttpBodySink"/> returned false): the response is abandoned where it
        /// stands, and the connection, in the middle of it, cannot carry another.
        /// </summary>
        Stopped,
    }
}
