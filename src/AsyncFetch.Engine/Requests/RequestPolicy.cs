using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// Request policy above a single attempt: redirects and retries (the rules themselves are in
    /// <see cref="RedirectPolicy"/> and <see cref="RetryPolicy"/>).
    ///
    /// When the headers are in, the response is only classified (<see cref="Intercepts"/>): the result, or one the
    /// policy will act on, a redirect (with a Location, while redirects are followed) or a status to retry (with a
    /// retry left, for an idempotent method, and a Retry-After the request is willing to wait). That much must be known
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
    /// or engine shutdown during the wait completes it at once (Complete cancels the timer). The retry repeats
    /// the current hop (the URL that failed), and when retries run out the result is the last attempt's.
    /// </summary>
    internal sealed partial class FetchOperation
    {
        private static readonly Action<object?> RetryTimerCallback = s => ((FetchOperation)s!).OnRetryTimer();

        [ThreadStatic]
        private static Random? t_jitter;

        private ResponsePlan _plan;
        private string? _redirectLocation; // the Location of a redirect to follow
        private TimeSpan? _retryAfter; // the wait a response to retry asked for (Retry-After); null: the backoff
        private int _retries;
        private LoopTimer? _retryTimer;

        /// <summary>What happens to the response whose headers arrived, once it is complete.</summary>
        private enum ResponsePlan : byte
        {
            Deliver = 0,
            Redirect,
            Retry,
        }

        private int MaximumRedirection => Request.MaximumRedirection ?? _engine.Options.MaximumRedirection;

        private int MaximumRetryCount => Request.MaximumRetryCount ?? _engine.Options.MaximumRetryCount;

        private TimeSpan RetryInterval => Request.RetryInterval ?? _engine.Options.RetryInterval;

        /// <summary>
        /// Headers are in: true when the response will not be the result (a redirect to follow, a status to retry), so its
        /// body is not kept. Records what the decision needs once the response is complete (<see cref="ActOnResponse"/>).
        /// </summary>
        [MethodImpl(Hot.Path)]
        private bool Intercepts(HttpResponseParser parser)
        {
            _plan = ResponsePlan.Deliver;
            _redirectLocation = null;
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

            if (RetryPolicy.IsRetryableStatus(status) && _retries < MaximumRetryCount && HttpRequestWriter.IsIdempotent(Request.Method))
            {
                if ((status == 429 || status == 503)
                    && RetryPolicy.TryParseRetryAfter(parser.Headers["Retry-After"], parser.Headers["Date"], DateTimeOffset.UtcNow, out TimeSpan delay))
                {
                    if (delay > _engine.Options.MaxRetryDelay)
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
        private bool ActOnResponse()
        {
            ResponsePlan plan = _plan;
            _plan = ResponsePlan.Deliver;
            switch (plan)
            {
                case ResponsePlan.Redirect:
                    string location = _redirectLocation!;
                    _redirectLocation = null;
                    FetchEngineOptions o = _engine.Options;
                    string? refused = RedirectPolicy.Next(
                        Request,
                        _uri,
                        Result.StatusCode,
                        location,
                        Result.Redirects,
                        MaximumRedirection,
                        Request.PreserveAuthorizationOnRedirect ?? o.PreserveAuthorizationOnRedirect,
                        Request.AllowInsecureRedirect ?? o.AllowInsecureRedirect,
                        out FetchRequest? next);
                    if (refused != null)
                    {
                        Complete(FetchErrorKind.Redirect, refused, null);
                    }
                    else
                    {
                        FollowRedirect(next!);
                    }

                    return true;
                case ResponsePlan.Retry:
                    TimeSpan delay = _retryAfter ?? NextBackoff();
                    _retryAfter = null;
                    ScheduleRetry(delay);
                    return true;
                default:
                    return false;
            }
        }

        private void FollowRedirect(FetchRequest next)
        {
            Uri target = next.Uri!;
            (Result.Redirects ??= new List<FetchRedirect>()).Add(new FetchRedirect(_uri, Request.Method, Result.StatusCode, target));
            Request = next;
            SetTarget(target, target.IdnHost); // scheme, TLS pool key and proxy of the hop; HostKey stays: the slot is the original host's
            Result.Uri = target;
            ForgetResponse();
            SendHop();
        }

        /// <summary>
        /// A failed attempt: true when a retry has been scheduled instead of failing the request. <paramref name="requestSent"/>:
        /// some of the request went out; <paramref name="responseComplete"/>: its response had been received whole.
        /// </summary>
        private bool TryRetryFailure(FetchErrorKind kind, Exception? exception, bool requestSent, bool responseComplete)
        {
            if (kind == FetchErrorKind.Canceled || IsCompleted || _retries >= MaximumRetryCount || _engine.IsShuttingDown || !_engine.Loop.IsLoopThread)
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
            return RetryPolicy.Backoff(RetryInterval, _retries + 1, _engine.Options.MaxRetryDelay, jitter.NextDouble());
        }

        /// <summary>Ends the attempt, gives the slot back and waits on a timer, holding nothing.</summary>
        private void ScheduleRetry(TimeSpan delay)
        {
            _retries++;
            _plan = ResponsePlan.Deliver;
            _redirectLocation = null;
            _retryAfter = null;
            EventLoop loop = _engine.Loop;
            EndAttempt(loop);
            ReleaseBody(); // the failed attempt's partial file: not held open through the wait
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

        /// <summary>The request completes: a wait for a retry, if any, is over (the timer is cancelled on the loop, the only thread that may).</summary>
        private void EndRetryWait(EventLoop loop, bool onLoop)
        {
            if (onLoop)
            {
                loop.CancelTimer(_retryTimer);
            }

            _retryTimer = null;
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
