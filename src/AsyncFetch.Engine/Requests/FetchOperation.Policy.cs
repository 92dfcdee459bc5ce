using System;
using System.Collections.Generic;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// Request policy above a single attempt: redirects and retries (the rules themselves are in
    /// <see cref="RedirectPolicy"/> and <see cref="RetryPolicy"/>).
    ///
    /// The response path decides once, when the headers are in (<see cref="InterceptResponse"/>), whether this
    /// response is delivered or is a redirect to follow, a redirect refused, or a status to retry. Anything but
    /// "deliver" drains the body without keeping it (the connection stays reusable), and when the response is
    /// complete <see cref="FollowPlan"/> acts on it. Failures go through <see cref="TryRetryFailure"/>.
    ///
    /// Redirect hops: a hop is part of its attempt, not a new one. The attempt's total timeout (TimeoutSec,
    /// "per attempt") keeps running across the chain, Attempts does not count hops, and the limiter slot of
    /// the original host is kept across hops: the per-host limit counts a request against the host it was
    /// submitted to, wherever it is redirected (a hop neither waits for nor takes a slot of the target host).
    /// Connections are pooled by the hop's own origin, and each hop takes the proxy its own target calls for.
    ///
    /// Retries: a retry is a new attempt. Before it, the request gives its slot back to the limiter and waits
    /// on a loop timer holding nothing (no slot, connection or thread); when the timer fires it re-enters the
    /// limiter through Enqueue, behind the requests already waiting, and so obeys every limit again. A cancel
    /// or engine shutdown during the wait completes it at once (Complete cancels the timer). The retry repeats
    /// the current hop (the URL that failed), and when retries run out the result is the last attempt's.
    /// </summary>
    internal sealed partial class FetchOperation
    {
        private static readonly Action<object?> RetryTimerCallback = s => ((FetchOperation)s!).OnRetryTimer();

        [ThreadStatic]
        private static Random? t_jitter;

        private ResponsePlan _plan;
        private FetchRequest? _redirectNext;
        private string? _redirectError;
        private TimeSpan _retryDelay;
        private int _retries;
        private LoopTimer? _retryTimer;
        private bool _requestSent;
        private bool _responseComplete;

        /// <summary>What happens to the response whose headers just arrived.</summary>
        private enum ResponsePlan : byte
        {
            Deliver = 0,
            Redirect,
            RedirectRefused,
            Retry,
            Authenticate,
        }

        private int MaximumRedirection => Request.MaximumRedirection ?? _engine.Options.MaximumRedirection;

        private int MaximumRetryCount => Request.MaximumRetryCount ?? _engine.Options.MaximumRetryCount;

        private TimeSpan RetryInterval => Request.RetryInterval ?? _engine.Options.RetryInterval;

        /// <summary>
        /// Headers of a response with status 301 or above are in: true when it will not be delivered (a redirect
        /// to follow or refuse, a status to retry), with the body switched to discard mode.
        /// </summary>
        private bool InterceptResponse(HttpResponseParser parser)
        {
            int status = parser.StatusCode;
            if (RedirectPolicy.IsRedirect(status))
            {
                int maximum = MaximumRedirection;
                string? location = parser.Headers["Location"];
                if (maximum == 0 || string.IsNullOrWhiteSpace(location))
                {
                    return false; // not following redirects, or nowhere to go: the 3xx is the result
                }

                FetchEngineOptions o = _engine.Options;
                _redirectError = RedirectPolicy.Next(
                    Request,
                    _uri,
                    status,
                    location!,
                    Result.Redirects,
                    maximum,
                    Request.PreserveAuthorizationOnRedirect ?? o.PreserveAuthorizationOnRedirect,
                    Request.AllowInsecureRedirect ?? o.AllowInsecureRedirect,
                    out _redirectNext);
                _plan = _redirectError == null ? ResponsePlan.Redirect : ResponsePlan.RedirectRefused;
            }
            else if (status == 401 && (_redirectNext = Request.ForChallenge(parser.Headers.GetValues("WWW-Authenticate"))) != null)
            {
                _plan = ResponsePlan.Authenticate; // credentials held back until asked: the same URL again, with them
            }
            else if (RetryPolicy.IsRetryableStatus(status) && _retries < MaximumRetryCount && HttpRequestWriter.IsIdempotent(Request.Method))
            {
                TimeSpan delay;
                if ((status == 429 || status == 503)
                    && RetryPolicy.TryParseRetryAfter(parser.Headers["Retry-After"], parser.Headers["Date"], DateTimeOffset.UtcNow, out delay))
                {
                    if (delay > _engine.Options.MaxRetryDelay)
                    {
                        return false; // longer than we are willing to wait: this response is the result
                    }
                }
                else
                {
                    delay = NextBackoff();
                }

                _plan = ResponsePlan.Retry;
                _retryDelay = delay;
            }
            else
            {
                return false;
            }

            _keepBody = false;
            _decodings = null;
            _body = null;
            _bodyLength = 0;
            _declaredLength = -1;
            return true;
        }

        /// <summary>An intercepted response is complete (its connection pooled or closed): follow, refuse or retry.</summary>
        private void FollowPlan()
        {
            ResponsePlan plan = _plan;
            _plan = ResponsePlan.Deliver;
            switch (plan)
            {
                case ResponsePlan.Redirect:
                    FollowRedirect();
                    break;
                case ResponsePlan.RedirectRefused:
                    string message = _redirectError!;
                    _redirectError = null;
                    Complete(FetchErrorKind.Redirect, message, null);
                    break;
                case ResponsePlan.Retry:
                    ScheduleRetry(_retryDelay);
                    break;
                case ResponsePlan.Authenticate:
                    AnswerChallenge();
                    break;
            }
        }

        private void FollowRedirect()
        {
            FetchRequest next = _redirectNext!;
            _redirectNext = null;
            Uri target = next.Uri!;
            (Result.Redirects ??= new List<FetchRedirect>()).Add(new FetchRedirect(_uri, Request.Method, Result.StatusCode, target));
            Request = next;
            SetTarget(target, target.IdnHost); // scheme, TLS pool key and proxy of the hop; HostKey stays: the slot is the original host's
            Result.Uri = target;
            ForgetResponse();
            Result.Timings.ResetPhases();
            _requestSent = false;
            Open(allowPooled: true);
        }

        /// <summary>
        /// The server asked for the credentials the request holds back until asked (a 401 offering Basic): the same URL
        /// once more, with them. Part of the attempt like a redirect hop, but not a redirect: nothing is added to the chain.
        /// </summary>
        private void AnswerChallenge()
        {
            Request = _redirectNext!;
            _redirectNext = null;
            ForgetResponse();
            Result.Timings.ResetPhases();
            _requestSent = false;
            Open(allowPooled: true);
        }

        /// <summary>A failed attempt: true when a retry has been scheduled instead of failing the request.</summary>
        private bool TryRetryFailure(FetchErrorKind kind, Exception? exception)
        {
            if (kind == FetchErrorKind.Canceled || IsCompleted || _retries >= MaximumRetryCount || _engine.IsShuttingDown || !_engine.Loop.IsLoopThread)
            {
                return false;
            }

            if (!RetryPolicy.IsRetryableFailure(kind, exception, Request.Method, _requestSent, _responseComplete))
            {
                return false;
            }

            ScheduleRetry(NextBackoff());
            return true;
        }

        private TimeSpan NextBackoff()
        {
            Random jitter = t_jitter ??= new Random();
            return RetryPolicy.Backoff(RetryInterval, _retries + 1, _engine.Options.MaxRetryDelay, jitter.NextDouble());
        }

        /// <summary>Ends the attempt, gives the slot back and waits on a timer, holding nothing.</summary>
        private void ScheduleRetry(TimeSpan delay)
        {
            _retries++;
            _plan = ResponsePlan.Deliver;
            _redirectNext = null;
            _redirectError = null;
            EventLoop loop = _engine.Loop;
            loop.CancelTimer(_totalTimer);
            _totalTimer = null;
            DropConnection();
            if (_attemptStart != 0)
            {
                Result.Timings.TotalMs = Ms(EventLoop.Now - _attemptStart);
            }

            if (_download != null)
            {
                AbandonDownload(); // the failed attempt's partial file: not held open through the wait
            }

            ForgetResponse();
            _retryTimer = loop.SetTimer(delay, RetryTimerCallback, this);
            if (HostSlots != null)
            {
                Limiter.Release(this); // last: it may start other requests at once
            }
        }

        private void OnRetryTimer()
        {
            _retryTimer = null;
            Start(); // back through the limiter: a new slot, every limit obeyed again
        }

        /// <summary>The response of a hop or an abandoned attempt is not the result: none of it may show on it.</summary>
        private void ForgetResponse()
        {
            Result.StatusCode = 0;
            Result.ReasonPhrase = string.Empty;
            Result.HttpVersion = string.Empty;
            Result.Headers = new FetchHeaders();
        }
    }
}
