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
    /// The response of a request's current attempt, as the parser reports it (through <see cref="FetchOperation"/>, the
    /// parser's sink). Loop thread, except <see cref="Release"/>.
    ///
    /// The parser's callbacks only record: the status line and headers on the result, and, chosen once when the headers
    /// are in (<see cref="SinkChoice"/>), the one sink the body goes to: memory, a file or nowhere; then the body bytes,
    /// handed to that sink. A sink that cannot take the body (over a limit, a file error) does not throw: its failure is
    /// kept here, the callback returns false and the parser stops; the connection, back from the parser, closes and
    /// reports it to the request (<see cref="FetchOperation.OnResponseStopped"/>), which fails the attempt with
    /// <see cref="TakeStopReason"/>. A complete response that is the result is stored by its sink (<see cref="Finish"/>),
    /// which reports back through <see cref="IBodySinkOwner"/>: the request then completes, or fails.
    ///
    /// One per request, created with it; the memory and discard sinks are created when first needed and reused by the
    /// request's redirect hops and retries.
    /// </summary>
    internal sealed class ResponseRecorder : IBodySinkOwner
    {
        private readonly FetchOperation _op;
        private IBodySink? _sink; // where the current response's body goes: set when its headers are in
        private MemoryBodySink? _memory;
        private DiscardBodySink? _discard;
        private SinkFailure? _stopped; // why the parse was stopped, until the request takes it
        private long _headLength; // a HEAD response's announced Content-Length: it has no body to count

        public ResponseRecorder(FetchOperation op)
        {
            _op = op;
        }

        EventLoop IBodySinkOwner.Loop => _op.Loop;

        /// <summary>
        /// The current attempt's response was complete and is being stored (<see cref="Finish"/>): a failure from here on
        /// (decoding, the file, a timeout meanwhile) is not retried. Cleared by <see cref="Release"/>.
        /// </summary>
        public bool IsComplete { get; private set; }

        /// <summary>
        /// Records the status line and headers and chooses the body's sink; <paramref name="isResult"/> is false for a
        /// response the policy acts on instead (a redirect to follow, a status to retry), whose body nobody keeps. False
        /// (the parse stops) when the sink cannot take the body.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public bool OnHeaders(HttpResponseParser parser, bool isResult)
        {
            FetchResult result = _op.Result;
            FetchRequest request = _op.Request;
            FetchEngineOptions options = _op.Options;
            result.StatusCode = parser.StatusCode;
            result.ReasonPhrase = parser.ReasonPhrase;
            result.HttpVersion = parser.MinorVersion == 1 ? "1.1" : "1.0";
            _headLength = request.Method == "HEAD" ? parser.AnnouncedContentLength ?? 0 : 0;
            result.Headers = FetchHeaders.Wrap(parser.Headers); // the parser starts a new list for the next response
            CookieJar.Store(_op.Cookies, _op.Target, parser.Headers); // every response's cookies, a redirect's too
            string[]? decodings = null;
            if (isResult)
            {
                string? encoding = options.AutomaticDecompression ? parser.Headers["Content-Encoding"] : null;
                decodings = SinkChoice.Decodings(parser.TransferCodings, ContentDecoder.IsSupported(encoding) ? encoding : null);
            }

            switch (SinkChoice.For(parser.StatusCode, isResult, request.Method, request.HasOutputTarget, request.DiscardBody, decodings != null))
            {
                case BodyTarget.Memory:
                    MemoryBodySink memory = _memory ??= new MemoryBodySink();
                    _sink = memory;
                    long max = request.MaxResponseBytes ?? options.MaxResponseBytes;
                    return memory.Begin(parser.ContentLength, decodings, max, !request.DiscardBody) || Stop(memory.Failure!);
                case BodyTarget.File:
                    long limit = request.MaxDownloadBytes ?? options.MaxDownloadBytes;
                    string? disposition = parser.Headers["Content-Disposition"];
                    // Named after the current hop: after redirects, the URL that answered.
                    _sink = FileBodySink.Open(this, request, _op.Target, disposition, decodings, limit, parser.ContentLength ?? -1, out SinkFailure? failure);
                    return _sink != null || Stop(failure!);
                default:
                    DiscardBodySink discard = _discard ??= new DiscardBodySink();
                    discard.Begin();
                    _sink = discard;
                    return true;
            }
        }

        /// <summary>
        /// Hands body bytes to the sink; false (the parse stops) when it refuses them. A sink that is full (a download whose
        /// disk falls behind) has the connection's reads paused until it drains (<see cref="IBodySinkOwner.OnBodyDrained"/>).
        /// </summary>
        [MethodImpl(Hot.Path)]
        public bool OnBody(ReadOnlySpan<byte> data)
        {
            IBodySink sink = _sink!;
            SinkWrite written = sink.Write(data);
            if (written == SinkWrite.Accepted)
            {
                return true;
            }

            if (written == SinkWrite.Full)
            {
                _op.Connection?.PauseReading(); // the parse stops after these bytes; the rest waits in the transport
                return true;
            }

            return Stop(sink.Failure!);
        }

        /// <summary>Why the sink stopped the parse (once: the reason is forgotten).</summary>
        public SinkFailure TakeStopReason()
        {
            SinkFailure failure = _stopped!;
            _stopped = null;
            return failure;
        }

        /// <summary>The response is complete and is the result: its sink stores the body (at once, or after decoding) and reports back.</summary>
        [MethodImpl(Hot.Path)]
        public void Finish()
        {
            IsComplete = true;
            _sink!.Finish(this);
        }

        /// <summary>The response of a redirect hop or of an abandoned attempt is not the result: none of it may show on it.</summary>
        public void Forget()
        {
            FetchResult result = _op.Result;
            result.StatusCode = 0;
            result.ReasonPhrase = string.Empty;
            result.HttpVersion = string.Empty;
            result.Headers = new FetchHeaders();
        }

        /// <summary>Lets go of the current response's sink (a download's unfinished file is deleted). Any thread; idempotent.</summary>
        [MethodImpl(Hot.Path)]
        public void Release()
        {
            IsComplete = false;
            if (_sink != null)
            {
                Interlocked.Exchange(ref _sink, null)?.Abort();
            }
        }

        bool IBodySinkOwner.Wants(IBodySink sink) => !_op.IsCompleted && ReferenceEquals(sink, _sink);

        [MethodImpl(Hot.Path)]
        void IBodySinkOwner.OnBodyStored(IBodySink sink, byte[]? body, long length, string? path)
        {
            FetchResult result = _op.Result;
            if (path != null)
            {
                result.OutFile = path;
            }

            // A HEAD response has no body: its length is the one Content-Length announces, as Invoke-WebRequest reports it.
            result.ContentLength = length == 0 ? _headLength : length;
            result.Body = body;
            _op.Succeed();
        }

        /// <summary>Loop thread, from a posted callback: the file sink has room again (resuming parses what was kept, at once).</summary>
        void IBodySinkOwner.OnBodyDrained(IBodySink sink) => _op.Connection?.ResumeReading();

        void IBodySinkOwner.OnBodyFailed(IBodySink sink, SinkFailure failure) => _op.Fail(failure.Kind, failure.Message, failure.Exception);

        private bool Stop(SinkFailure failure)
        {
            _stopped = failure;
            return false;
        }
    }
}
