using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Loop
{
    /// <summary>
    /// The Task bridge into the loop: Task-based .NET work the loop starts (a DNS look-up, a TLS handshake, read or
    /// write, a decoding on the thread pool) comes back to the loop thread when it is done, as a future of asyncio's
    /// run_in_executor comes back through call_soon_threadsafe, or libuv work through uv_async_send.
    /// </summary>
    internal sealed partial class EventLoop
    {
        /// <summary>Carriers kept for reuse (loop thread); beyond this many, a returned one is left to the GC.</summary>
        private const int MaxSpareBridges = 256;

        private readonly Stack<TaskBridge> _spareBridges = new Stack<TaskBridge>();

        /// <summary>
        /// Runs <paramref name="onLoop"/>(task, state) on the loop thread once <paramref name="task"/> has finished,
        /// whether it ran to completion, faulted or was cancelled (the callback looks at its status). Safe from any thread.
        /// <list type="bullet">
        /// <item>The continuation runs synchronously on the thread that completes the task and only posts the callback:
        /// no extra thread hop. A task that has finished already is posted at once.</item>
        /// <item>The task is observed there, so its exception never goes unobserved, whatever the loop does with it.</item>
        /// <item>The callback is a posted one: it runs in a later pass, never inside this call, and if it throws,
        /// <see cref="CallbackFailed"/> is raised and the loop goes on.</item>
        /// <item>When the loop has stopped by the time the task finishes (<see cref="Post(Action{object}, object)"/>
        /// refuses), <paramref name="onStopped"/>(task, state) runs instead, on the thread that completed the task (or
        /// the caller's, for a finished task); if it throws, CallbackFailed is raised on that thread. Without it nothing
        /// runs: the owner of the work fails it when the loop stops.</item>
        /// <item>No allocation per call on the loop thread: the carrier is reused once its callback has run. Pass static
        /// delegates and put what the callback needs in <paramref name="state"/>.</item>
        /// </list>
        /// </summary>
        [MethodImpl(Hot.Path)]
        public void PostWhenDone(Task task, Action<Task, object?> onLoop, object? state, Action<Task, object?>? onStopped = null)
        {
            if (task == null)
            {
                throw new ArgumentNullException(nameof(task));
            }

            if (onLoop == null)
            {
                throw new ArgumentNullException(nameof(onLoop));
            }

            TaskBridge bridge = IsLoopThread && _spareBridges.Count > 0 ? _spareBridges.Pop() : new TaskBridge(this);
            bridge.Start(task, onLoop, state, onStopped);
        }

        /// <summary>Loop thread: a carrier whose callback is about to run is free again.</summary>
        private void Recycle(TaskBridge bridge)
        {
            if (_spareBridges.Count < MaxSpareBridges)
            {
                _spareBridges.Push(bridge);
            }
        }

        /// <summary>
        /// One task on its way back to the loop. Its continuation is registered through the task's awaiter with a
        /// delegate bound once per carrier, which the task stores as is: unlike ContinueWith, no continuation Task.
        /// </summary>
        private sealed class TaskBridge
        {
            private static readonly Action<object?> RunOnLoopCallback = s => ((TaskBridge)s!).RunOnLoop();

            private readonly EventLoop _loop;
            private readonly Action _onCompleted;
            private Task? _task;
            private Action<Task, object?>? _onLoop;
            private Action<Task, object?>? _onStopped;
            private object? _state;

            public TaskBridge(EventLoop loop)
            {
                _loop = loop;
                _onCompleted = OnCompleted;
            }

            [MethodImpl(Hot.Path)]
            public void Start(Task task, Action<Task, object?> onLoop, object? state, Action<Task, object?>? onStopped)
            {
                _task = task;
                _onLoop = onLoop;
                _state = state;
                _onStopped = onStopped;
                if (task.IsCompleted)
                {
                    OnCompleted(); // the awaiter would queue it to the thread pool instead
                }
                else
                {
                    // Runs inline where the task completes, unless its creator asked for asynchronous continuations.
                    task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onCompleted);
                }
            }

            /// <summary>The thread that completed the task.</summary>
            [MethodImpl(Hot.Path)]
            private void OnCompleted()
            {
                Task task = _task!;
                try
                {
                    _ = task.Exception; // observed here, whatever the loop does (or cannot do) with it
                    if (_loop.Post(RunOnLoopCallback, this))
                    {
                        return; // from here the loop owns this carrier and may reuse it at once: no more field access
                    }

                    Action<Task, object?>? onStopped = _onStopped;
                    object? state = _state;
                    Clear();
                    onStopped?.Invoke(task, state);
                }
                catch (Exception e)
                {
                    // Thrown on a pool thread, it would end the process (an awaiter continuation) or be lost.
                    _loop.Report(e);
                }
            }

            /// <summary>Loop thread: hands the task to its callback; the carrier is free before the callback runs.</summary>
            [MethodImpl(Hot.Path)]
            private void RunOnLoop()
            {
                Task task = _task!;
                Action<Task, object?> onLoop = _onLoop!;
                object? state = _state;
                Clear();
                _loop.Recycle(this);
                onLoop(task, state); // a throw is reported by the loop, as for any posted callback
            }

            private void Clear()
            {
                _task = null;
                _onLoop = null;
                _onStopped = null;
                _state = null;
            }
        }
    }
}
