using System;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// Receives a response as the parser recognises it. A receiver does not throw to abandon the response: it returns
    /// false, and the parse stops with <see cref="HttpParseStatus.Stopped"/> (the caller closes the connection, which is
    /// in the middle of a response). What went wrong is the receiver's to remember.
    /// </summary>
    internal interface IHttpBodySink
    {
        /// <summary>The status line and headers are complete (interim 1xx responses are not reported). False stops the parse.</summary>
        bool OnHeadersComplete(HttpResponseParser parser);

        /// <summary>Body bytes, already de-chunked; valid only during the call. False stops the parse.</summary>
        bool OnBody(ReadOnlySpan<byte> data);
    }
}
