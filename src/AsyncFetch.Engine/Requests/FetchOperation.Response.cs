using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Responses;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// The attempt's response: what the parser reports (passed to the <see cref="ResponseRecorder"/>, which only
    /// records), how the response ended as the connection reports it once it has returned from the parser (complete,
    /// stopped by the body's sink, unparsable, cut off), and what follows: a redirect hop or a retry, which
    /// <see cref="RequestPolicy"/> decides then, the body stored, or a failure. Nothing is decided inside the parser's
    /// callbacks but whether the body is kept.
    /// </summary>
    internal sealed partial class FetchOperation : IHttpBodySink
    {
        private bool _staleRetried;

        /// <summary>The parser has the status line and headers: the policy classifies the response, the recorder records it and chooses its sink.</summary>
        [MethodImpl(Hot.Path)]
        public bool OnHeadersComplete(HttpResponseParser parser) =>
            _response.OnHeaders(parser, isResult: parser.StatusCode < 301 || !Policy.Intercepts(parser));

        [MethodImpl(Hot.Path)]
        public bool OnBody(ReadOnlySpan<byte> data) => _response.OnBody(data);

        /// <summary>
        /// The connection parsed a whole response and has returned from the parser (and pooled or closed itself): a
        /// response the policy acts on is followed or retried now, any other is the result once its sink has stored the body.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public void OnResponseComplete()
        {
            if (IsCompleted)
            {
                return;
            }

            try
            {
                if (_policy != null && _policy.ActOnResponse())
                {
                    return; // a redirect followed or refused, or a retry scheduled
                }

                _response.Finish();
            }
            catch (Exception e)
            {
                // The connection has let go of this request already: nobody else would fail it.
                Fail(FetchErrorKind.Internal, "Unexpected failure while finishing the response: " + e.Message, e);
            }
        }

        /// <summary>
        /// The connection has returned from a parse the body's sink stopped, and closed (the response was abandoned midway):
        /// the attempt fails with the sink's reason.
        /// </summary>
        public void OnResponseStopped()
        {
            SinkFailure failure = _response.TakeStopReason();
            Fail(failure.Kind, failure.Message, failure.Exception);
        }

        public void OnParseError(HttpParseError error, string message)
        {
            FetchErrorKind kind = error switch
            {
                HttpParseError.HeaderSectionTooLarge => FetchErrorKind.TooLarge,
                HttpParseError.TooManyHeaders => FetchErrorKind.TooLarge,
                HttpParseError.BodyTooLarge => FetchErrorKind.TooLarge,
                HttpParseError.UnexpectedEndOfStream => FetchErrorKind.ConnectionLost,
                _ => FetchErrorKind.Protocol,
            };
            Fail(kind, message, null);
        }

        /// <summary>The connection broke; <paramref name="staleConnection"/>: it was a reused one and nothing of the response had arrived.</summary>
        public void OnConnectionLost(string message, bool staleConnection)
        {
            if (IsCompleted)
            {
                return;
            }

            if (staleConnection && !_staleRetried && HttpRequestWriter.IsIdempotent(Request.Method))
            {
                _staleRetried = true;
                StartAttempt(allowPooled: false);
                return;
            }

            Fail(FetchErrorKind.ConnectionLost, message, null);
        }

        /// <summary>
        /// A redirect hop: <paramref name="next"/> goes out within the same attempt, on a pooled or new connection of its
        /// own origin, and the response just read is history.
        /// </summary>
        internal void FollowRedirect(FetchRequest next)
        {
            Uri target = next.Uri!;
            (Result.Redirects ??= new List<FetchRedirect>()).Add(new FetchRedirect(Target, Request.Method, Result.StatusCode, target));
            Request = next;
            SetTarget(target, target.IdnHost); // scheme, TLS pool key and proxy of the hop; HostKey stays: the slot is the original host's
            Result.Uri = target;
            _response.Forget();
            Result.Timings.ResetPhases();
            Open(allowPooled: true);
        }

        /// <summary>
        /// The server asked for the credentials the request holds back until asked (a 401 offering Basic): the same URL
        /// once more, with them (<paramref name="answer"/>). Part of the attempt like a redirect hop, but not a redirect:
        /// nothing is added to the chain.
        /// </summary>
        internal void AnswerChallenge(FetchRequest answer)
        {
            Request = answer;
            _response.Forget();
            Result.Timings.ResetPhases();
            Open(allowPooled: true);
        }

        /// <summary>Loop thread: the attempt failed and a retry waits: the attempt ends, and nothing of its response stays.</summary>
        internal void EndAttemptToRetry()
        {
            EndAttempt(_engine.Loop);
            ReleaseBody(); // the failed attempt's partial file: not held open through the wait
            _response.Forget();
        }
    }
}
