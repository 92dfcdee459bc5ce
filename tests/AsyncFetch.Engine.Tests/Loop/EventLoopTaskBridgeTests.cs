using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Tests.Loop
{
    /// <summary><see cref="EventLoop.PostWhenDone"/>: a finished Task's callback on the loop thread, or its fallback once the loop has stopped.</summary>
    public sealed class EventLoopTaskBridgeTests
    {
        private static readonly Action<Task, object?> Record = (t, s) => ((Recorder)s!).Add(t);

        [Fact]
        public async Task The_callback_runs_on_the_loop_thread_with_the_finished_task_and_the_state()
        {
            using var loop = new EventLoop("bridge-basic");
            var recorder = new Recorder(loop);
            var source = new TaskCompletionSource<int>();

            loop.PostWhenDone(source.Task, Record, recorder);
            await Task.Delay(20);
            Assert.Empty(recorder.Seen); // not before the task finishes

            source.SetResult(42);
            (Task task, bool onLoop) = await recorder.Next();
            Assert.Same(source.Task, task);
            Assert.Equal(TaskStatus.RanToCompletion, task.Status);
            Assert.True(onLoop);
        }

        [Fact]
        public async Task A_finished_task_is_posted_at_once_and_on_the_loop_runs_in_a_later_pass_not_inside_the_call()
        {
            using var loop = new EventLoop("bridge-finished");
            var recorder = new Recorder(loop);

            loop.PostWhenDone(Task.CompletedTask, Record, recorder); // from another thread
            (Task task, bool onLoop) = await recorder.Next();
            Assert.Same(Task.CompletedTask, task);
            Assert.True(onLoop);

            int seenInsideCall = await LoopWait.OnLoop(loop, () =>
            {
                int before = recorder.Seen.Count;
                loop.PostWhenDone(Task.FromResult(1), Record, recorder);
                return recorder.Seen.Count - before;
            });
            Assert.Equal(0, seenInsideCall);
            Assert.True((await recorder.Next()).OnLoop);
        }

        [Fact]
        public async Task Faulted_and_cancelled_tasks_reach_the_callback_as_they_are()
        {
            using var loop = new EventLoop("bridge-faults");
            var recorder = new Recorder(loop);
            var failure = new InvalidOperationException("broken");
            var faulted = new TaskCompletionSource<int>();
            var cancelled = new TaskCompletionSource<int>();

            loop.PostWhenDone(faulted.Task, Record, recorder);
            faulted.SetException(failure);
            Task first = (await recorder.Next()).Task;
            Assert.True(first.IsFaulted);
            Assert.Same(failure, first.Exception!.InnerException);

            loop.PostWhenDone(cancelled.Task, Record, recorder);
            cancelled.SetCanceled();
            Task second = (await recorder.Next()).Task;
            Assert.True(second.IsCanceled);

            using var cts = new CancellationTokenSource();
            cts.Cancel();
            loop.PostWhenDone(Task.FromCanceled(cts.Token), Record, recorder);
            Assert.True((await recorder.Next()).Task.IsCanceled);
        }

        [Fact]
        public async Task A_faulted_task_is_observed_even_when_the_callback_ignores_it()
        {
            using var loop = new EventLoop("bridge-observed");
            var unobserved = new ConcurrentQueue<Exception>();
            EventHandler<UnobservedTaskExceptionEventArgs> handler = (sender, e) =>
            {
                foreach (Exception inner in e.Exception.InnerExceptions)
                {
                    unobserved.Enqueue(inner);
                }
            };

            var marker = new MarkerException();
            TaskScheduler.UnobservedTaskException += handler;
            try
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                FaultOutOfSight(loop, marker, done);
                await done.Task.WaitAsync(LoopWait.Timeout);
                for (int i = 0; i < 3; i++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
            }
            finally
            {
                TaskScheduler.UnobservedTaskException -= handler;
            }

            Assert.DoesNotContain(unobserved, e => ReferenceEquals(e, marker));
        }

        [Fact]
        public async Task A_callback_that_throws_raises_CallbackFailed_and_later_tasks_still_come_back()
        {
            using var loop = new EventLoop("bridge-throws");
            var failures = new ConcurrentQueue<(Exception Error, bool OnLoop)>();
            loop.CallbackFailed += e => failures.Enqueue((e, loop.IsLoopThread));
            var boom = new InvalidOperationException("callback");

            await LoopWait.OnLoop(loop, () => loop.PostWhenDone(Task.CompletedTask, (t, s) => throw (Exception)s!, boom));
            await LoopWait.Until(() => !failures.IsEmpty, "CallbackFailed");
            Assert.True(failures.TryDequeue(out var failure));
            Assert.Same(boom, failure.Error);
            Assert.True(failure.OnLoop);

            var recorder = new Recorder(loop);
            await LoopWait.OnLoop(loop, () => loop.PostWhenDone(Task.CompletedTask, Record, recorder)); // reuses the carrier
            Assert.True((await recorder.Next()).OnLoop);
        }

        [Fact]
        public async Task Once_the_loop_has_stopped_onStopped_runs_on_the_completing_thread_instead()
        {
            var loop = new EventLoop("bridge-stopped");
            var recorder = new Recorder(loop);
            var pending = new TaskCompletionSource<int>();
            var stopped = new ConcurrentQueue<(Task Task, object? State, int Thread)>();
            Action<Task, object?> onStopped = (t, s) => stopped.Enqueue((t, s, Environment.CurrentManagedThreadId));
            var state = new object();

            loop.PostWhenDone(pending.Task, (t, s) => recorder.Add(t), state, onStopped);
            await LoopWait.DisposeBounded(loop);
            Assert.True(loop.IsClosed);

            int completing = await Task.Run(() =>
            {
                pending.SetResult(1); // the continuation runs inline here
                return Environment.CurrentManagedThreadId;
            });
            Assert.True(stopped.TryDequeue(out var first));
            Assert.Same(pending.Task, first.Task);
            Assert.Same(state, first.State);
            Assert.Equal(completing, first.Thread);

            // A task that has finished already: onStopped runs inside the call.
            Task done = Task.FromException(new InvalidOperationException("late"));
            loop.PostWhenDone(done, (t, s) => recorder.Add(t), state, onStopped);
            Assert.True(stopped.TryDequeue(out var second));
            Assert.Same(done, second.Task);
            Assert.Equal(Environment.CurrentManagedThreadId, second.Thread);

            loop.PostWhenDone(Task.CompletedTask, (t, s) => recorder.Add(t), state); // no fallback: nothing runs, nothing throws
            Assert.Empty(recorder.Seen);
        }

        [Fact]
        public async Task An_onStopped_that_throws_raises_CallbackFailed()
        {
            var loop = new EventLoop("bridge-stopped-throws");
            var failures = new ConcurrentQueue<Exception>();
            loop.CallbackFailed += failures.Enqueue;
            await LoopWait.DisposeBounded(loop);

            var boom = new InvalidOperationException("fallback");
            loop.PostWhenDone(Task.CompletedTask, (t, s) => { }, boom, (t, s) => throw (Exception)s!);
            Assert.True(failures.TryDequeue(out Exception? reported));
            Assert.Same(boom, reported);
        }

        [Fact]
        public async Task Tasks_completed_from_four_threads_each_come_back_once_with_their_own_state()
        {
            const int Count = 20_000;
            using var loop = new EventLoop("bridge-many");
            var sources = Enumerable.Range(0, Count).Select(_ => new TaskCompletionSource<int>()).ToArray();
            var hits = new int[Count];
            int wrongTask = 0, offLoop = 0, total = 0;
            var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Action<Task, object?> onLoop = (t, s) =>
            {
                int i = (int)s!;
                hits[i]++;
                wrongTask += ReferenceEquals(t, sources[i].Task) ? 0 : 1;
                offLoop += loop.IsLoopThread ? 0 : 1;
                if (++total == Count)
                {
                    all.SetResult();
                }
            };

            // Registered in slices from the loop while other threads complete them: some finish before they are registered,
            // most after, and carriers are reused while others are in flight.
            Task completers = Task.WhenAll(Enumerable.Range(0, 4).Select(k => Task.Run(async () =>
            {
                for (int i = k; i < Count; i += 4)
                {
                    if (i % 500 < 4)
                    {
                        await Task.Yield();
                    }

                    sources[i].SetResult(i);
                }
            })));
            for (int start = 0; start < Count; start += 1000)
            {
                int from = start;
                await LoopWait.OnLoop(loop, () =>
                {
                    for (int i = from; i < from + 1000; i++)
                    {
                        loop.PostWhenDone(sources[i].Task, onLoop, i);
                    }
                });
            }

            await completers.WaitAsync(LoopWait.Timeout);
            await all.Task.WaitAsync(LoopWait.Timeout);
            await LoopWait.OnLoop(loop, () => { });
            Assert.All(hits, h => Assert.Equal(1, h));
            Assert.Equal(0, wrongTask);
            Assert.Equal(0, offLoop);
        }

        [Fact]
        public async Task On_the_loop_thread_a_call_allocates_nothing_once_its_carriers_are_reused()
        {
            const int PerRound = 200;
            using var loop = new EventLoop("bridge-alloc");
            var recorder = new Recorder(loop);
            long measured = -1;
            for (int round = 0; round < 4; round++)
            {
                var sources = Enumerable.Range(0, PerRound).Select(_ => new TaskCompletionSource<int>()).ToArray();
                Task[] tasks = sources.Select(s => (Task)s.Task).ToArray();
                long allocated = await LoopWait.OnLoop(loop, () =>
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < tasks.Length; i++)
                    {
                        loop.PostWhenDone(tasks[i], Record, recorder);
                    }

                    return GC.GetAllocatedBytesForCurrentThread() - before;
                });

                foreach (TaskCompletionSource<int> source in sources)
                {
                    source.SetResult(round);
                }

                await LoopWait.Until(() => recorder.Seen.Count == (round + 1) * PerRound, "every callback of the round");
                measured = allocated; // the first round makes the carriers; later ones reuse them
            }

            Assert.Equal(0, measured);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void FaultOutOfSight(EventLoop loop, Exception marker, TaskCompletionSource done)
        {
            var source = new TaskCompletionSource<int>();
            loop.PostWhenDone(source.Task, (t, s) => ((TaskCompletionSource)s!).SetResult(), done); // never looks at t
            source.SetException(marker);
        }

        private sealed class MarkerException : Exception
        {
        }

        /// <summary>What the callbacks were given, and on which thread.</summary>
        private sealed class Recorder
        {
            private readonly EventLoop _loop;
            private readonly SemaphoreSlim _arrived = new SemaphoreSlim(0);

            public Recorder(EventLoop loop)
            {
                _loop = loop;
            }

            public ConcurrentQueue<(Task Task, bool OnLoop)> Seen { get; } = new ConcurrentQueue<(Task Task, bool OnLoop)>();

            private ConcurrentQueue<(Task Task, bool OnLoop)> Unread { get; } = new ConcurrentQueue<(Task Task, bool OnLoop)>();

            public void Add(Task task)
            {
                Seen.Enqueue((task, _loop.IsLoopThread));
                Unread.Enqueue((task, _loop.IsLoopThread));
                _arrived.Release();
            }

            public async Task<(Task Task, bool OnLoop)> Next()
            {
                Assert.True(await _arrived.WaitAsync(LoopWait.Timeout), "no callback came back");
                Assert.True(Unread.TryDequeue(out var next));
                return next;
            }
        }
    }
}
