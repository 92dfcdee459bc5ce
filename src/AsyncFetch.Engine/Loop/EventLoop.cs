using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Loop
{
    /// <summary>
    /// One thread that owns a selector, a timer heap and a queue of callbacks; see docs/design/event-loop.md.
    ///
    /// A pass of the loop:
    ///   1. Timeout: 0 when callbacks are waiting, else until the nearest timer is due, else no limit.
    ///   2. Select: wait for socket readiness, a <see cref="Post(Action{object}, object)"/> wakeup or the timeout.
    ///   3. Dispatch readiness to each key's <see cref="IIoHandler"/>. A handler that throws is told through
    ///      <see cref="IIoHandler.OnFault"/> (it fails its own request); the loop goes on.
    ///   4. Run the callbacks that are ready at this point; callbacks they schedule wait for the next pass, so
    ///      I/O is never starved.
    ///   5. Fire the timers that are due.
    ///
    /// Threading: <see cref="Post(Action{object}, object)"/> is the only member that may be called from any thread
    /// (a queue plus one selector wakeup per batch of posts), with <see cref="PostWhenDone"/>, which posts when a Task
    /// finishes (EventLoop.Tasks.cs). Everything else belongs to the loop thread and checks that it is called there. When the loop stops (disposed, or failed because the selector broke),
    /// it runs the callbacks already accepted, raises <see cref="Faulted"/> on its own thread if it failed,
    /// and <see cref="Post(Action{object}, object)"/> returns false from then on; owners of pending work fail
    /// it from the Faulted handler.
    /// </summary>
    internal sealed partial class EventLoop : IDisposable
    {
        private static readonly Action<object?> RunAction = state => ((Action)state!)();

        private readonly ISelector _selector;
        private readonly ConcurrentQueue<WorkItem> _posted = new ConcurrentQueue<WorkItem>();
        private readonly Queue<WorkItem> _ready = new Queue<WorkItem>();
        private readonly TimerHeap _timers = new TimerHeap();
        private readonly List<SelectorReady> _io = new List<SelectorReady>();
        private readonly Thread _thread;
        private readonly double _msPerTick = 1000.0 / Stopwatch.Frequency;
        private readonly object _postLock = new object();
        private long _timerSequence;
        private int _wakeRequested;
        private volatile bool _stopping;
        private volatile bool _closed;
        private Exception? _fault;

        public EventLoop(string name = "AsyncFetch event loop", SelectorKind selector = SelectorKind.Default)
            : this(Selectors.Create(selector), name)
        {
        }

        /// <summary>Runs a loop over the given selector, which the loop then owns and disposes.</summary>
        public EventLoop(ISelector selector, string name = "AsyncFetch event loop")
        {
            _selector = selector ?? throw new ArgumentNullException(nameof(selector));
            _thread = new Thread(Run) { IsBackground = true, Name = name };
            _thread.Start();
        }

        /// <summary>Raised on the loop thread when the loop itself fails, just before it stops.</summary>
        public event Action<Exception>? Faulted;

        /// <summary>
        /// Raised on the loop thread when a posted callback, a timer callback or a fault handler throws; and, once the
        /// loop has stopped, on the completing thread when an onStopped fallback of <see cref="PostWhenDone"/> throws.
        /// </summary>
        public event Action<Exception>? CallbackFailed;

        public string SelectorName => _selector.Name;

        /// <summary>The exception that stopped the loop, if it failed.</summary>
        public Exception? Fault => Volatile.Read(ref _fault);

        /// <summary>True once the loop has stopped (disposed or failed): posts are no longer accepted.</summary>
        public bool IsClosed => _closed;

        public bool IsLoopThread => Thread.CurrentThread == _thread;

        /// <summary>The loop's clock in <see cref="Stopwatch"/> ticks.</summary>
        public static long Now => Stopwatch.GetTimestamp();

        /// <summary>Number of sockets registered (loop thread).</summary>
        public int RegisteredCount => _selector.Count;

        /// <summary>Number of scheduled timers (loop thread).</summary>
        public int TimerCount => _timers.Count;

        /// <summary>
        /// Queues a callback to run on the loop thread. Safe from any thread. Returns false when the loop has
        /// stopped and will run nothing more. Callbacks run in the order posted.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public bool Post(Action<object?> callback, object? state)
        {
            // The lock makes "accepted" and "closed" exclusive: the loop closes under it and then drains the
            // queue once more, so an accepted callback always runs. Uncontended, it costs a few nanoseconds.
            lock (_postLock)
            {
                if (_closed)
                {
                    return false;
                }

                _posted.Enqueue(new WorkItem(callback, state));
            }

            if (Interlocked.Exchange(ref _wakeRequested, 1) == 0 && !IsLoopThread)
            {
                _selector.Wakeup();
            }

            return true;
        }

        /// <inheritdoc cref="Post(Action{object}, object)"/>
        public bool Post(Action action) => Post(RunAction, action);

        /// <summary>Schedules a callback after <paramref name="delay"/> (loop thread).</summary>
        [MethodImpl(Hot.Path)]
        public LoopTimer SetTimer(TimeSpan delay, Action<object?> callback, object? state)
        {
            long now = Now;
            double ticks = delay <= TimeSpan.Zero ? 0 : delay.TotalMilliseconds / _msPerTick;
            long due = ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks; // "never", not an overflow into the past
            return SetTimerAt(due, callback, state);
        }

        /// <summary>Schedules a callback at a <see cref="Now"/> timestamp (loop thread).</summary>
        [MethodImpl(Hot.Path)]
        public LoopTimer SetTimerAt(long dueTicks, Action<object?> callback, object? state)
        {
            CheckThread();
            var timer = new LoopTimer(dueTicks, _timerSequence++, callback, state);
            _timers.Add(timer);
            return timer;
        }

        /// <summary>Cancels a timer that has not fired; does nothing otherwise (loop thread).</summary>
        [MethodImpl(Hot.Path)]
        public void CancelTimer(LoopTimer? timer)
        {
            if (timer != null && timer.IsActive)
            {
                CheckThread();
                _timers.Remove(timer);
            }
        }

        public SelectorKey Register(Socket socket, SelectorEvents events, IIoHandler handler)
        {
            CheckThread();
            return _selector.Register(socket, events, handler);
        }

        public void Modify(SelectorKey key, SelectorEvents events)
        {
            CheckThread();
            _selector.Modify(key, events);
        }

        /// <summary>
        /// Hands a registered socket to another handler (loop thread): readiness is dispatched to
        /// <paramref name="handler"/> from now on, also later in the current pass. The registration itself is
        /// unchanged, so this costs no system call (a connect race hands its winning socket to the connection).
        /// </summary>
        public void SetHandler(SelectorKey key, IIoHandler handler)
        {
            CheckThread();
            if (!key.IsRegistered)
            {
                throw new InvalidOperationException("The key is not registered.");
            }

            key.Data = handler ?? throw new ArgumentNullException(nameof(handler));
        }

        public void Unregister(SelectorKey key)
        {
            CheckThread();
            _selector.Unregister(key);
        }

        /// <summary>Converts a tick interval of <see cref="Now"/> into milliseconds.</summary>
        public double TicksToMilliseconds(long ticks) => ticks * _msPerTick;

        /// <summary>Stops the loop and waits for its thread (unless called on it).</summary>
        public void Dispose()
        {
            _stopping = true;
            if (!_closed)
            {
                _selector.Wakeup();
            }

            if (!IsLoopThread)
            {
                _thread.Join();
            }
        }

        private void Run()
        {
            try
            {
                while (!_stopping)
                {
                    RunOnce();
                }
            }
            catch (Exception e)
            {
                Volatile.Write(ref _fault, e);
            }

            lock (_postLock)
            {
                _closed = true;
            }

            // A failed loop tells its owners first (they fail their pending work), then, like a stopped one,
            // runs the callbacks accepted before the close, so nothing a caller was told was accepted is dropped.
            Exception? fault = Fault;
            if (fault != null)
            {
                try
                {
                    Faulted?.Invoke(fault);
                }
                catch (Exception e)
                {
                    Report(e);
                }
            }

            while (_posted.TryDequeue(out WorkItem late))
            {
                _ready.Enqueue(late);
            }

            while (_ready.Count > 0)
            {
                WorkItem item = _ready.Dequeue();
                Invoke(item.Callback, item.State);
            }

            _timers.Clear();
            _selector.Dispose();
        }

        [MethodImpl(Hot.Path)]
        private void RunOnce()
        {
            _selector.Select(ComputeTimeout(), _io);

            for (int i = 0; i < _io.Count; i++)
            {
                SelectorReady ready = _io[i];
                if (!ready.Key.IsRegistered)
                {
                    continue; // unregistered by an earlier handler in this pass
                }

                var handler = (IIoHandler)ready.Key.Data!;
                try
                {
                    handler.OnReady(ready.Events);
                }
                catch (Exception e)
                {
                    try
                    {
                        handler.OnFault(e);
                    }
                    catch (Exception inner)
                    {
                        Report(inner);
                    }
                }
            }

            _io.Clear();

            Volatile.Write(ref _wakeRequested, 0);
            while (_posted.TryDequeue(out WorkItem item))
            {
                _ready.Enqueue(item);
            }

            for (int n = _ready.Count; n > 0; n--)
            {
                WorkItem item = _ready.Dequeue();
                Invoke(item.Callback, item.State);
            }

            long now = Now;
            LoopTimer? timer;
            while ((timer = _timers.Peek()) != null && timer.DueTicks <= now)
            {
                _timers.Pop();
                Invoke(timer.Callback, timer.State);
            }
        }

        [MethodImpl(Hot.Path)]
        private int ComputeTimeout()
        {
            if (_ready.Count > 0 || !_posted.IsEmpty || _stopping)
            {
                return 0;
            }

            LoopTimer? next = _timers.Peek();
            if (next == null)
            {
                return -1;
            }

            long delta = next.DueTicks - Now;
            if (delta <= 0)
            {
                return 0;
            }

            double ms = Math.Ceiling(delta * _msPerTick);
            return ms > 3_600_000 ? 3_600_000 : (int)ms; // a far timer: wake hourly and recompute
        }

        [MethodImpl(Hot.Path)]
        private void Invoke(Action<object?> callback, object? state)
        {
            try
            {
                callback(state);
            }
            catch (Exception e)
            {
                Report(e);
            }
        }

        private void Report(Exception e)
        {
            try
            {
                CallbackFailed?.Invoke(e);
            }
            catch
            {
                // A failing diagnostics handler must not take the loop down.
            }
        }

        private void CheckThread()
        {
            if (!IsLoopThread)
            {
                throw new InvalidOperationException("This EventLoop member may only be called on the loop thread; use Post.");
            }
        }

        private readonly struct WorkItem
        {
            public WorkItem(Action<object?> callback, object? state)
            {
                Callback = callback;
                State = state;
            }

            public Action<object?> Callback { get; }

            public object? State { get; }
        }
    }
}
