using System;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// One request's policy above a single attempt: redirects and retries (the rules themselves are in
    /// <see cref="RedirectPolicy"/> and <see cref="RetryPolicy"/>); <see cref="FetchOperation"/> asks it what follows a
    /// response or a failure, and carries out the hop or the wait. Loop thread. Created with the first response that
    /// might be redirected or retried, or the first failure, so most requests never need one.
    ///
    /// When the headers are in, the response is only classified (<see cref="Intercepts"/>): the result, or one the
    /// policy will act on, a redirect (with a Location, while redirects are followed), a 401 whose challenge the request
    /// answers with credentials it held back until asked, or a status to retry (with a retry left, for an idempotent
    /// method, and a Retry-After the request is willing to wait). That much must be known
    /// then, because it decides where the body goes: a response that is not the result has its body drained without
    /// keeping it (the connection stays reusable). Everything else is decided once the attempt's response is complete
    /// and the connection has returned from the parser (<see cref="ActOnResponse"/>): the redirect's target and whether
    /// it is refused, the hop, the backoff and the retry. Failures go through <see cref="TryRetryFailure"/>, which the
    /// connection, the timers and the sinks reach only from outside the parser.
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
    /// or engine shutdown during the wait completes it at once (<see cref="EndRetryWait"/>). The retry repeats
    /// the current hop (the URL that failed), and when retries run out the result is the last attempt's.
    /// </summary>
    internal sealed class RequestPolicy
    {
        private static readonly Action<object?> RetryTimerCallback = s => ((RequestPolicy)s!).OnRetryTimer();

        [ThreadStatic]
        private static Random? t_jitter;

        private readonly FetchOperation _op;
        private ResponsePlan _plan;
        private string? _redirectLocation; // the Location of a redirect to follow
        private FetchRequest? _challengeAnswer; // the request that answers a 401's challenge
        private TimeSpan? _retryAfter; // the wait a response to retry asked for (Retry-After); null: the backoff
        private int _retries;
        private LoopTimer? _retryTimer;

        /// <summary>What happens to the response whose headers arrived, once it is complete.</summary>
        private enum ResponsePlan : byte
        {
            Deliver = 0,
            Redirect,
            Retry,
            Authenticate,
        }

        public RequestPolicy(FetchOperation op)
        {
            _op = op;
        }

        private FetchRequest Request => _op.Request;

        private int MaximumRedirection => Request.MaximumRedirection ?? _op.Options.MaximumRedirection;

        private int MaximumRetryCount => Request.MaximumRetryCount ?? _op.Options.MaximumRetryCount;

        private TimeSpan RetryInterval => Request.RetryInterval ?? _op.Options.RetryInterval;

        /// <summary>
        /// Headers are in: true when the response will not be the result (a redirect to follow, a status to retry), so its
        /// body is not kept. Records what the decision needs once the response is complete (<see cref="ActOnResponse"/>).
        /// </summary>
        public bool Intercepts(HttpResponseParser parser)
        {
            _plan = ResponsePlan.Deliver;
            _redirectLocation = null;
            _challengeAnswer = null;
            _retryAfter = null;
            int status = parser.StatusCode;
            if (status < 301)
            {
                return false;
            }

            if (RedirectPolicy.IsRedirect(status))
            {
                string? location = parser.Headers["Location"];
                if (MaximumRedirection == 0 || string.IsNullOrWhiteSpace(location))
                {
                    return false; // not following redirects, or nowhere to go: the 3xx is the result
                }

                _redirectLocation = location;
                _plan = ResponsePlan.Redirect;
                return true;
            }

            if (status == 401 && (_challengeAnswer = Request.ForChallenge(parser.Headers.GetValues("WWW-Authenticate"))) != null)
            {
                _plan = ResponsePlan.Authenticate; // credentials held back until asked: the same URL again, with them
                return true;
            }

            if (RetryPolicy.IsRetryableStatus(status) && _retries < MaximumRetryCount && HttpRequestWriter.IsIdempotent(Request.Method))
            {
                if ((status == 429 || status == 503)
                    && RetryPolicy.TryParseRetryAfter(parser.Headers["Retry-After"], parser.Headers["Date"], DateTimeOffset.UtcNow, out TimeSpan delay))
                {
                    if (delay > _op.Options.MaxRetryDelay)
                    {
                        return false; // longer than we are willing to wait: this response is the result
                    }

                    _retryAfter = delay;
                }

                _plan = ResponsePlan.Retry;
                return true;
            }

            return false;
        }

        /// <summary>
        /// The response is complete and the connection has returned from the parser (and is pooled or closed): true when
        /// it was not the result and the policy has acted on it (a redirect followed or refused, a retry scheduled).
        /// </summary>
        public bool ActOnResponse()
        {
            ResponsePlan plan = _plan;
            _plan = ResponsePlan.Deliver;
            switch (plan)
            {
                case ResponsePlan.Redirect:
                    string location = _redirectLocation!;
                    _redirectLocation = null;
                    FetchEngineOptions o = _op.Options;
                    string? refused = RedirectPolicy.Next(
                        Request,
                        _op.Target,
                        _op.Result.StatusCode,
                        location,
                        _op.Result.Redirects,
                        MaximumRedirection,
                        Request.PreserveAuthorizationOnRedirect ?? o.PreserveAuthorizationOnRedirect,
                        Request.AllowInsecureRedirect ?? o.AllowInsecureRedirect,
                        Request.AllowUnencryptedAuthentication ?? o.AllowUnencryptedAuthentication,
                        out FetchRequest? next);
                    if (refused != null)
                    {
                        _op.Complete(FetchErrorKind.Redirect, refused, null);
                    }
                    else
                    {
                        _op.FollowRedirect(next!);
                    }

                    return true;
                case ResponsePlan.Retry:
                    TimeSpan delay = _retryAfter ?? NextBackoff();
                    _retryAfter = null;
                    ScheduleRetry(delay);
                    return true;
                case ResponsePlan.Authenticate:
                    FetchRequest answer = _challengeAnswer!;
                    _challengeAnswer = null;
                    _op.AnswerChallenge(answer);
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>
        /// A failed attempt: true when a retry has been scheduled instead of failing the request. <paramref name="requestSent"/>:
        /// some of the request went out; <paramref name="responseComplete"/>: its response had been received whole.
        /// </summary>
        public bool TryRetryFailure(FetchErrorKind kind, Exception? exception, bool requestSent, bool responseComplete)
        {
            if (kind == FetchErrorKind.Canceled || _op.IsCompleted || _retries >= MaximumRetryCount || _op.IsShuttingDown || !_op.Loop.IsLoopThread)
            {
                return false;
            }

            if (!RetryPolicy.IsRetryableFailure(kind, exception, Request.Method, requestSent, responseComplete))
            {
                return false;
            }

            ScheduleRetry(NextBackoff());
            return true;
        }

        private TimeSpan NextBackoff()
        {
            Random jitter = t_jitter ??= new Random();
            return RetryPolicy.Backoff(RetryInterval, _retries + 1, _op.Options.MaxRetryDelay, jitter.NextDouble());
        }

        /// <summary>Ends the attempt, gives the slot back and waits on a timer, holding nothing.</summary>
        private void ScheduleRetry(TimeSpan delay)
        {
            _retries++;
            _plan = ResponsePlan.Deliver;
            _redirectLocation = null;
            _challengeAnswer = null;
            _retryAfter = null;
            _op.EndAttemptToRetry();
            _retryTimer = _op.Loop.SetTimer(delay, RetryTimerCallback, this);
            if (_op.HostSlots != null)
            {
                _op.Limiter.Release(_op); // last: it may start other requests at once
            }
        }

        private void OnRetryTimer()
        {
            _retryTimer = null;
            _op.Start(); // back through the limiter: a new slot, every limit obeyed again
        }

        /// <summary>The request completes: a wait for a retry, if any, is over (the timer is cancelled on the loop, the only thread that may).</summary>
        public void EndRetryWait(bool onLoop)
        {
            if (onLoop)
            {
                _op.Loop.CancelTimer(_retryTimer);
            }

            _retryTimer = null;
        }
    }
}
