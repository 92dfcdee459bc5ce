using System;
using System.Runtime.CompilerServices;
using System.Threading;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Responses;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// The response as the parser reports it (loop thread). The parser's callbacks only record: status, headers, and,
    /// chosen once when the headers are in (<see cref="SinkChoice"/>), the one sink the body goes to: memory, a file
    /// or nowhere. A sink that cannot take the body (over a limit, a file error) does not throw: its failure is
    /// recorded, the callback returns false, the parser stops, and the connection, back from the parser, closes and
    /// reports <see cref="OnResponseStopped"/>, which fails the attempt. A complete response's body is finished by its
    /// sink (<see cref="FinishBody"/>), which reports back through <see cref="IBodySinkOwner"/>.
    /// </summary>
    internal sealed partial class FetchOperation : IHttpBodySink, IBodySinkOwner
    {
        private IBodySink? _sink; // where the current response's body goes: set when its headers are in
        private MemoryBodySink? _memory; // the request's memory sink, reused by its hops and attempts
        private DiscardBodySink? _discard; // the same for bodies nobody keeps
        private SinkFailure? _stopped; // why the parse was stopped, until the connection reports it

        /// <summary>The array the bytes being parsed come from (set by the connection before each parse), so a download can write body chunks from it without a copy.</summary>
        internal byte[]? ReceiveArray { get; set; }

        EventLoop IBodySinkOwner.Loop => _engine.Loop;

        private long MaxBody => Request.MaxResponseBytes ?? _engine.Options.MaxResponseBytes;

        private long MaxDownload => Request.MaxDownloadBytes ?? _engine.Options.MaxDownloadBytes;

        /// <summary>Records the status line and headers and chooses the body's sink; false (the parse stops) when the sink cannot take it.</summary>
        [MethodImpl(Hot.Path)]
        public bool OnHeadersComplete(HttpResponseParser parser)
        {
            Result.StatusCode = parser.StatusCode;
            Result.ReasonPhrase = parser.ReasonPhrase;
            Result.HttpVersion = parser.MinorVersion == 1 ? "1.1" : "1.0";
            Result.Headers = FetchHeaders.Wrap(parser.Headers); // the parser starts a new list for the next response
            bool isResult = !Intercepts(parser); // a redirect to follow or a status to retry is not (FetchOperation.Policy.cs)
            string[]? decodings = null;
            if (isResult)
            {
                string? encoding = _engine.Options.AutomaticDecompression ? parser.Headers["Content-Encoding"] : null;
                decodings = SinkChoice.Decodings(parser.TransferCodings, ContentDecoder.IsSupported(encoding) ? encoding : null);
            }

            switch (SinkChoice.For(parser.StatusCode, isResult, Request.Method, Request.HasOutputTarget, Request.DiscardBody, decodings != null))
            {
                case BodyTarget.Memory:
                    MemoryBodySink memory = _memory ??= new MemoryBodySink();
                    _sink = memory;
                    return memory.Begin(parser.ContentLength, decodings, MaxBody, !Request.DiscardBody) || Stop(memory.Failure!);
                case BodyTarget.File:
                    // Named after the current hop: after redirects, the URL that answered.
                    _sink = FileBodySink.Open(Request, _uri, parser.Headers["Content-Disposition"], decodings, MaxDownload, parser.ContentLength ?? -1, out SinkFailure? failure);
                    return _sink != null || Stop(failure!);
                default:
                    DiscardBodySink discard = _discard ??= new DiscardBodySink();
                    discard.Begin();
                    _sink = discard;
                    return true;
            }
        }

        /// <summary>Hands body bytes to the sink; false (the parse stops) when it refuses them.</summary>
        [MethodImpl(Hot.Path)]
        public bool OnBody(ReadOnlySpan<byte> data)
        {
            // Full would ask the connection to pause reading until the sink drains; no sink says so yet, and one that
            // does must take what comes meanwhile.
            IBodySink sink = _sink!;
            return sink.Write(data, ReceiveArray) != SinkWrite.Failed || Stop(sink.Failure!);
        }

        /// <summary>
        /// The connection has returned from a parse the sink stopped, and closed (the response was abandoned midway):
        /// the attempt fails with the sink's reason.
        /// </summary>
        public void OnResponseStopped()
        {
            SinkFailure failure = _stopped!;
            _stopped = null;
            Fail(failure.Kind, failure.Message, failure.Exception);
        }

        bool IBodySinkOwner.Wants(IBodySink sink) => !IsCompleted && ReferenceEquals(sink, _sink);

        void IBodySinkOwner.OnBodyStored(IBodySink sink, byte[]? body, long length, string? path)
        {
            if (path != null)
            {
                Result.OutFile = path;
            }

            Result.ContentLength = length;
            Result.Body = body;
            Complete(FetchErrorKind.None, null, null);
        }

        void IBodySinkOwner.OnBodyFailed(IBodySink sink, SinkFailure failure) => Fail(failure.Kind, failure.Message, failure.Exception);

        /// <summary>The response is complete and is the result: its sink stores the body (at once, or after decoding) and reports back.</summary>
        [MethodImpl(Hot.Path)]
        private void FinishBody() => _sink!.Finish(this);

        /// <summary>Lets go of the current response's sink (a download's unfinished file is deleted). Any thread; idempotent.</summary>
        private void ReleaseBody()
        {
            if (_sink != null)
            {
                Interlocked.Exchange(ref _sink, null)?.Abort();
            }
        }

        private bool Stop(SinkFailure failure)
        {
            _stopped = failure;
            return false;
        }
    }
}
