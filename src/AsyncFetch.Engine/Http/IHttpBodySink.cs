using System;

namespace AsyncFetch.Engine.Http
{
    /// <summary>Receives a response as the parser recognises it. May throw to abandon the response.</summary>
    internal interface IHttpBodySink
    {
        /// <summary>The status line and headers are complete (interim 1xx responses are not reported).</summary>
        void OnHeadersComplete(HttpResponseParser parser);

        /// <summary>Body bytes, already de-chunked; valid only during the call.</summary>
        void OnBody(ReadOnlySpan<byte> data);
    }
}
