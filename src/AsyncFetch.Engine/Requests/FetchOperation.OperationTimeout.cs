using System;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// The operation timeout (<see cref="FetchRequest.OperationTimeout"/>, Invoke-WebRequest's -OperationTimeoutSeconds):
    /// the longest time without response bytes once the request is being sent. Cheap on the read path: a read only
    /// stores a timestamp (<see cref="LastActivity"/>); one timer per attempt fires at the earliest possible expiry and,
    /// when bytes came since, is set again for the new expiry, so it is re-armed at most once per timeout interval, not
    /// per read. Blocks of a streamed upload count as activity too (the server rightly says nothing until the body is
    /// in). Loop thread.
    /// </summary>
    internal sealed partial class FetchOperation
    {
        private static readonly Action<object?> OperationTimeoutCallback = s => ((FetchOperation)s!).OnOperationTimer();

        private LoopTimer? _operationTimer;
        private long _operationTimeoutTicks;

        /// <summary>When the current attempt last received (or, while uploading, sent) bytes: a Stopwatch timestamp.</summary>
        internal long LastActivity { get; set; }

        /// <summary>An operation timeout runs for this request: reads record <see cref="LastActivity"/>.</summary>
        internal bool WatchesActivity => _operationTimeoutTicks > 0;

        private TimeSpan OperationTimeout => Request.OperationTimeout ?? _engine.Options.OperationTimeout;

        /// <summary>A block of the streamed body went out.</summary>
        internal void OnUploadProgress() => LastActivity = EventLoop.Now;

        /// <summary>The request starts going out on its connection (each attempt and each redirect hop): the wait is measured from now.</summary>
        [MethodImpl(Hot.Path)]
        private void StartOperationTimer()
        {
            TimeSpan timeout = OperationTimeout;
            if (timeout <= TimeSpan.Zero)
            {
                return;
            }

            LastActivity = EventLoop.Now;
            _operationTimeoutTicks = (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            if (_operationTimer == null)
            {
                _operationTimer = _engine.Loop.SetTimer(timeout, OperationTimeoutCallback, this);
            }
        }

        private void StopOperationTimer(EventLoop loop)
        {
            loop.CancelTimer(_operationTimer);
            _operationTimer = null;
        }

        private void OnOperationTimer()
        {
            _operationTimer = null;
            if (IsCompleted || Connection == null)
            {
                return; // between attempts or hops (a retry's wait, a connection being made): the timer restarts with the next send
            }

            long due = LastActivity + _operationTimeoutTicks;
            long now = EventLoop.Now;
            if (now < due)
            {
                _operationTimer = _engine.Loop.SetTimerAt(due, OperationTimeoutCallback, this);
                return;
            }

            Fail(FetchErrorKind.Timeout, $"No response data arrived for {Seconds(OperationTimeout)} (OperationTimeoutSeconds).", null);
        }
    }
}
