using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Tests.Loop
{
    public sealed class EventLoopTests
    {
        public static TheoryData<SelectorKind> Kinds()
        {
            var kinds = new TheoryData<SelectorKind> { SelectorKind.Select };
            if (Selectors.IsEpollAvailable)
            {
                kinds.Add(SelectorKind.Epoll);
            }

            return kinds;
        }

        [Fact]
        public async Task Posts_from_four_threads_run_once_each_on_the_loop_thread_in_per_thread_order()
        {
            const string Name = "loop-post-test";
            const int Threads = 4;
            const int PerThread = 10_000;
            using var loop = new EventLoop(Name);

            var counts = new int[Threads * PerThread];
            var next = new int[Threads];
            int outOfOrder = 0, offThread = 0, run = 0, refused = 0;
            TaskCompletionSource all = LoopWait.NewTcs();

            Action<object?> callback = state =>
            {
                var (t, i) = ((int, int))state!;
                counts[(t * PerThread) + i]++;
                if (next[t] != i)
                {
                    outOfOrder++;
                }

                next[t] = i + 1;
                if (!loop.IsLoopThread || Thread.CurrentThread.Name != Name)
                {
                    offThread++;
                }

                if (++run == Threads * PerThread)
                {
                    all.SetResult();
                }
            };

            using var start = new Barrier(Threads);
            Task[] posters = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
                () =>
                {
                    start.SignalAndWait();
                    for (int i = 0; i < PerThread; i++)
                    {
                        if (!loop.Post(callback, (t, i)))
                        {
                            Interlocked.Increment(ref refused);
                        }
                    }
                },
                TaskCreationOptions.LongRunning)).ToArray();

            await Task.WhenAll(posters).WaitAsync(TimeSpan.FromSeconds(30));
            await all.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await LoopWait.OnLoop(loop, () => { }); // everything posted before this has run; nothing ran twice meanwhile

            Assert.Equal(0, refused);
            Assert.Equal(0, outOfOrder);
            Assert.Equal(0, offThread);
            Assert.All(counts, c => Assert.Equal(1, c));
        }

        [Fact]
        public async Task Post_Action_runs_in_posting_order_and_the_loop_thread_is_a_background_thread()
        {
            using var loop = new EventLoop("loop-bg");
            var order = new List<int>();
            for (int i = 0; i < 100; i++)
            {
                int k = i;
                Assert.True(loop.Post(() => order.Add(k)));
            }

            (bool background, string? name, bool isLoop) = await LoopWait.OnLoop(loop, () =>
                (Thread.CurrentThread.IsBackground, Thread.CurrentThread.Name, loop.IsLoopThread));
            Assert.True(background);
            Assert.Equal("loop-bg", name);
            Assert.True(isLoop);
            Assert.False(loop.IsLoopThread);
            Assert.Equal(Enumerable.Range(0, 100), order);
        }

        [Fact]
        public async Task Timers_fire_in_due_order_and_never_early()
        {
            using var loop = new EventLoop("loop-timers");
            var rng = new Random(5);
            var fired = new List<(LoopTimer Timer, long At, bool OnLoop)>();
            var timers = new List<LoopTimer>();
            TaskCompletionSource done = LoopWait.NewTcs();
            const int Count = 40;

            await LoopWait.OnLoop(loop, () =>
            {
                Action<object?> record = s =>
                {
                    fired.Add((((TimerBox)s!).Value!, EventLoop.Now, loop.IsLoopThread));
                    if (fired.Count == Count)
                    {
                        done.SetResult();
                    }
                };

                long sharedDue = EventLoop.Now + (long)(0.06 * Stopwatch.Frequency);
                for (int i = 0; i < Count; i++)
                {
                    var box = new TimerBox();
                    box.Value = i % 5 == 0
                        ? loop.SetTimerAt(sharedDue, record, box) // ties: fire in scheduling order
                        : loop.SetTimer(TimeSpan.FromMilliseconds(rng.Next(0, 150)), record, box);
                    timers.Add(box.Value);
                }

                Assert.Equal(Count, loop.TimerCount);
            });

            await done.Task.WaitAsync(LoopWait.Timeout);
            List<LoopTimer> expected = timers.OrderBy(t => t.DueTicks).ThenBy(t => t.Sequence).ToList();
            Assert.Equal(expected, fired.Select(f => f.Timer).ToList());
            Assert.All(fired, f => Assert.True(f.At >= f.Timer.DueTicks, $"fired {loop.TicksToMilliseconds(f.Timer.DueTicks - f.At):F3} ms early"));
            Assert.All(fired, f => Assert.True(f.OnLoop));
            Assert.All(timers, t => Assert.False(t.IsActive));
            Assert.Equal(0, await LoopWait.OnLoop(loop, () => loop.TimerCount));
        }

        [Fact]
        public async Task CancelTimer_prevents_firing_even_when_already_due_in_the_same_pass()
        {
            using var loop = new EventLoop("loop-cancel");
            var fired = new ConcurrentQueue<string>();
            TaskCompletionSource done = LoopWait.NewTcs();

            await LoopWait.OnLoop(loop, () =>
            {
                LoopTimer cancelled = loop.SetTimer(TimeSpan.FromMilliseconds(20), _ => fired.Enqueue("cancelled"), null);
                loop.CancelTimer(cancelled);
                Assert.False(cancelled.IsActive);
                loop.CancelTimer(cancelled); // twice: no-op
                loop.CancelTimer(null);

                // Two timers due at the same instant: the first cancels the second before it fires.
                long due = EventLoop.Now + (long)(0.03 * Stopwatch.Frequency);
                LoopTimer? victim = null;
                loop.SetTimerAt(due, _ =>
                {
                    fired.Enqueue("first");
                    loop.CancelTimer(victim);
                }, null);
                victim = loop.SetTimerAt(due, _ => fired.Enqueue("victim"), null);

                loop.SetTimer(TimeSpan.FromMilliseconds(120), _ => done.SetResult(), null);
            });

            await done.Task.WaitAsync(LoopWait.Timeout);
            Assert.Equal(new[] { "first" }, fired.ToArray());
            Assert.Equal(0, await LoopWait.OnLoop(loop, () => loop.TimerCount));
        }

        [Fact]
        public async Task A_timer_set_from_a_timer_callback_fires()
        {
            using var loop = new EventLoop("loop-timer-chain");
            var log = new ConcurrentQueue<(int Step, long At, long Due)>();
            TaskCompletionSource done = LoopWait.NewTcs();

            void Schedule(int step, TimeSpan delay)
            {
                LoopTimer? t = null;
                t = loop.SetTimer(delay, _ =>
                {
                    log.Enqueue((step, EventLoop.Now, t!.DueTicks));
                    if (step == 5)
                    {
                        done.SetResult();
                    }
                    else
                    {
                        // zero delays too: due now, but fired on a later pass, not recursively
                        Schedule(step + 1, step % 2 == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(15));
                    }
                }, null);
            }

            await LoopWait.OnLoop(loop, () => Schedule(1, TimeSpan.FromMilliseconds(10)));
            await done.Task.WaitAsync(LoopWait.Timeout);
            Assert.Equal(new[] { 1, 2, 3, 4, 5 }, log.Select(x => x.Step));
            Assert.All(log, x => Assert.True(x.At >= x.Due));
        }

        [Fact]
        public async Task A_throwing_callback_raises_CallbackFailed_and_later_work_still_runs()
        {
            using var loop = new EventLoop("loop-callback-failed");
            var failures = new ConcurrentQueue<(Exception E, bool OnLoop)>();
            loop.CallbackFailed += e => failures.Enqueue((e, loop.IsLoopThread));
            var posted = new InvalidOperationException("posted");
            var timer = new InvalidOperationException("timer");
            var ran = new ConcurrentQueue<int>();

            Assert.True(loop.Post(() => throw posted));
            Assert.True(loop.Post(() => ran.Enqueue(1)));
            Assert.True(loop.Post(_ => throw new ArgumentException("with state"), "s"));
            await LoopWait.OnLoop(loop, () => { loop.SetTimer(TimeSpan.FromMilliseconds(5), _ => throw timer, null); });
            await LoopWait.Until(() => failures.Count >= 3, "three CallbackFailed events");
            await LoopWait.OnLoop(loop, () => ran.Enqueue(2));
            TaskCompletionSource timerRan = LoopWait.NewTcs();
            await LoopWait.OnLoop(loop, () => { loop.SetTimer(TimeSpan.FromMilliseconds(5), _ => timerRan.SetResult(), null); });
            await timerRan.Task.WaitAsync(LoopWait.Timeout);

            Assert.Equal(new[] { 1, 2 }, ran);
            Exception[] seen = failures.Select(f => f.E).ToArray();
            Assert.Equal(3, seen.Length);
            Assert.Same(posted, seen[0]);
            Assert.IsType<ArgumentException>(seen[1]);
            Assert.Same(timer, seen[2]);
            Assert.All(failures, f => Assert.True(f.OnLoop));
            Assert.False(loop.IsClosed);
        }

        [Fact]
        public async Task A_self_reposting_callback_does_not_starve_a_due_timer()
        {
            const int Cap = 5_000_000; // a loop that ran reposts in the same pass would spin to here first
            using var loop = new EventLoop("loop-starve");
            int chain = 0;
            int chainAtTimer = -1;
            bool timerFired = false;
            TaskCompletionSource done = LoopWait.NewTcs();

            Action? step = null;
            step = () =>
            {
                chain++;
                if (!timerFired && chain < Cap)
                {
                    loop.Post(step!);
                }
                else
                {
                    done.TrySetResult();
                }
            };

            await LoopWait.OnLoop(loop, () =>
            {
                loop.SetTimer(TimeSpan.FromMilliseconds(10), _ =>
                {
                    timerFired = true;
                    chainAtTimer = chain;
                }, null);
                loop.Post(step);
            });

            await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(timerFired);
            Assert.InRange(chainAtTimer, 1, Cap - 1);
            Assert.Equal(chainAtTimer + 1, chain); // the chain saw the timer on its very next run
        }

        [Fact]
        public async Task A_callback_posted_by_a_callback_runs_after_this_pass_timers()
        {
            using var loop = new EventLoop("loop-pass-order");
            var log = new ConcurrentQueue<string>();
            TaskCompletionSource done = LoopWait.NewTcs();
            Assert.True(loop.Post(() =>
            {
                log.Enqueue("A");
                loop.SetTimerAt(EventLoop.Now, _ => log.Enqueue("timer"), null); // due in this pass
                loop.Post(() =>
                {
                    log.Enqueue("B");
                    done.SetResult();
                });
            }));
            await done.Task.WaitAsync(LoopWait.Timeout);
            Assert.Equal(new[] { "A", "timer", "B" }, log);
        }

        [Theory]
        [MemberData(nameof(Kinds))]
        public async Task A_callback_posted_by_a_callback_runs_after_the_next_readiness_dispatch(SelectorKind kind)
        {
            using var loop = new EventLoop("loop-io-order", kind);
            using SocketPair p = SocketPair.Create();
            var log = new ConcurrentQueue<string>();
            TaskCompletionSource done = LoopWait.NewTcs();
            var handler = new RecordingHandler
            {
                Loop = loop,
                OnReadyAction = (h, _) =>
                {
                    log.Enqueue("io");
                    p.Server.Receive(new byte[16]);
                },
            };

            Assert.True(loop.Post(() =>
            {
                log.Enqueue("A");
                handler.Key = loop.Register(p.Server, SelectorEvents.Read, handler);
                p.Client.Send(new byte[] { 1 });
                Assert.True(TestSockets.WaitReadable(p.Server), "loopback byte did not arrive");
                loop.Post(() =>
                {
                    log.Enqueue("B");
                    loop.Unregister(handler.Key);
                    done.SetResult();
                });
            }));

            await done.Task.WaitAsync(LoopWait.Timeout);
            Assert.Equal(new[] { "A", "io", "B" }, log);
        }

        [Fact]
        public async Task Loop_thread_members_throw_InvalidOperationException_on_other_threads()
        {
            using var loop = new EventLoop("loop-thread-check");
            using SocketPair p = SocketPair.Create();
            using SocketPair q = SocketPair.Create();
            var handler = new RecordingHandler { Loop = loop };
            (LoopTimer timer, SelectorKey key) = await LoopWait.OnLoop(loop, () =>
                (loop.SetTimer(TimeSpan.FromHours(1), _ => { }, null), loop.Register(p.Client, SelectorEvents.Read, handler)));

            Assert.False(loop.IsLoopThread);
            Assert.Throws<InvalidOperationException>(() => loop.SetTimer(TimeSpan.FromMilliseconds(1), _ => { }, null));
            Assert.Throws<InvalidOperationException>(() => loop.SetTimerAt(EventLoop.Now, _ => { }, null));
            Assert.Throws<InvalidOperationException>(() => loop.CancelTimer(timer));
            Assert.Throws<InvalidOperationException>(() => loop.Register(q.Client, SelectorEvents.Read, handler));
            Assert.Throws<InvalidOperationException>(() => loop.Modify(key, SelectorEvents.Write));
            Assert.Throws<InvalidOperationException>(() => loop.Unregister(key));
            loop.CancelTimer(null); // documented no-op: nothing to cancel, so no thread check

            // Nothing changed.
            (int timers, int registered, SelectorEvents events) = await LoopWait.OnLoop(loop, () => (loop.TimerCount, loop.RegisteredCount, key.Events));
            Assert.Equal(1, timers);
            Assert.Equal(1, registered);
            Assert.Equal(SelectorEvents.Read, events);
            Assert.True(timer.IsActive);
            Assert.True(key.IsRegistered);

            await LoopWait.OnLoop(loop, () =>
            {
                loop.CancelTimer(timer);
                loop.Unregister(key);
            });
        }

        [Theory]
        [MemberData(nameof(Kinds))]
        public async Task A_handler_whose_OnReady_throws_gets_OnFault_and_other_sockets_keep_being_dispatched(SelectorKind kind)
        {
            using var loop = new EventLoop("loop-handler-fault", kind);
            using SocketPair bad = SocketPair.Create();
            using SocketPair good = SocketPair.Create();
            var boom = new InvalidOperationException("boom");
            var callbackFailed = new ConcurrentQueue<Exception>();
            loop.CallbackFailed += callbackFailed.Enqueue;
            int goodBytes = 0; // counted after the read: a second byte sent before the first read would be read with it

            var badHandler = new RecordingHandler
            {
                Loop = loop,
                OnReadyAction = (_, _) => throw boom,
                OnFaultAction = (h, _) => loop.Unregister(h.Key!), // "fails its request and closes"
            };
            var goodHandler = new RecordingHandler
            {
                Loop = loop,
                OnReadyAction = (_, _) => Interlocked.Add(ref goodBytes, good.Server.Receive(new byte[64])),
            };

            await LoopWait.OnLoop(loop, () =>
            {
                badHandler.Key = loop.Register(bad.Server, SelectorEvents.Read, badHandler);
                goodHandler.Key = loop.Register(good.Server, SelectorEvents.Read, goodHandler);
            });

            bad.Client.Send(new byte[] { 1 });
            good.Client.Send(new byte[] { 1 });
            await LoopWait.Until(() => badHandler.FaultCount == 1 && Volatile.Read(ref goodBytes) >= 1, "the fault and the good dispatch");

            good.Client.Send(new byte[] { 2 });
            await LoopWait.Until(() => goodHandler.ReadyCount >= 2, "a dispatch after the fault");
            await LoopWait.OnLoop(loop, () => loop.Unregister(goodHandler.Key!));

            Assert.Same(boom, Assert.Single(badHandler.Faults));
            Assert.Equal(new[] { SelectorEvents.Read }, badHandler.Ready);
            Assert.All(goodHandler.Ready, e => Assert.Equal(SelectorEvents.Read, e));
            Assert.All(badHandler.CalledOnLoopThread.Concat(goodHandler.CalledOnLoopThread), Assert.True);
            Assert.Empty(callbackFailed); // OnFault handled it
            Assert.False(loop.IsClosed);
        }

        [Fact]
        public async Task A_throwing_OnFault_is_reported_through_CallbackFailed_and_the_loop_goes_on()
        {
            using var loop = new EventLoop("loop-onfault-throws");
            using SocketPair p = SocketPair.Create();
            var inner = new InvalidOperationException("from OnFault");
            var callbackFailed = new ConcurrentQueue<Exception>();
            loop.CallbackFailed += callbackFailed.Enqueue;
            var handler = new RecordingHandler
            {
                Loop = loop,
                OnReadyAction = (_, _) => throw new InvalidOperationException("from OnReady"),
                OnFaultAction = (h, _) =>
                {
                    loop.Unregister(h.Key!);
                    throw inner;
                },
            };
            await LoopWait.OnLoop(loop, () => { handler.Key = loop.Register(p.Server, SelectorEvents.Read, handler); });
            p.Client.Send(new byte[] { 1 });
            await LoopWait.Until(() => !callbackFailed.IsEmpty, "CallbackFailed");
            Assert.Same(inner, Assert.Single(callbackFailed));
            Assert.True(await LoopWait.OnLoop(loop, () => true));
        }

        [Fact]
        public async Task A_failing_selector_stops_the_loop_raises_Faulted_and_refuses_posts()
        {
            var failure = new InvalidOperationException("selector broke");
            var selector = new FaultingSelector(failure, throwOnArmedCall: 3);
            using var loop = new EventLoop(selector, "loop-faulty");
            TaskCompletionSource<(Exception E, string? Thread, bool Closed, bool PostAccepted)> faulted =
                LoopWait.NewTcs<(Exception, string?, bool, bool)>();
            loop.Faulted += e => faulted.TrySetResult((e, Thread.CurrentThread.Name, loop.IsClosed, loop.Post(() => { })));

            Assert.True(await LoopWait.OnLoop(loop, () => true)); // the loop works before the fault
            selector.Arm();
            loop.Post(() => { });

            (Exception e, string? thread, bool closedInHandler, bool postInHandler) = await faulted.Task.WaitAsync(LoopWait.Timeout);
            Assert.Same(failure, e);
            Assert.Equal("loop-faulty", thread);
            Assert.True(closedInHandler);
            Assert.False(postInHandler);

            await LoopWait.Until(() => selector.IsDisposed, "the loop to dispose its selector");
            Assert.True(loop.IsClosed);
            Assert.Same(failure, loop.Fault);
            Assert.False(loop.Post(() => { }));
            Assert.False(loop.Post(_ => { }, null));
            Assert.True(await LoopWait.DisposeBounded(loop) < TimeSpan.FromSeconds(2));
        }

        [Fact]
        public async Task A_throwing_Faulted_handler_is_reported_through_CallbackFailed()
        {
            var failure = new InvalidOperationException("selector broke");
            var selector = new FaultingSelector(failure, throwOnArmedCall: 1);
            using var loop = new EventLoop(selector, "loop-faulted-throws");
            var fromHandler = new ArgumentException("handler");
            var reported = new ConcurrentQueue<Exception>();
            loop.Faulted += _ => throw fromHandler;
            loop.CallbackFailed += reported.Enqueue;
            selector.Arm();
            loop.Post(() => { });
            await LoopWait.Until(() => loop.IsClosed && selector.IsDisposed, "the loop to stop");
            Assert.Same(fromHandler, Assert.Single(reported));
            Assert.Same(failure, loop.Fault);
        }

        [Theory]
        [MemberData(nameof(Kinds))]
        public async Task Dispose_from_another_thread_returns_promptly_while_the_loop_blocks_in_Select(SelectorKind kind)
        {
            var loop = new EventLoop("loop-dispose", kind);
            Assert.True(await LoopWait.OnLoop(loop, () => true));
            await Task.Delay(200); // no timers, no posts: the loop now waits in Select(-1)

            TimeSpan took = await LoopWait.DisposeBounded(loop);
            Assert.True(took < TimeSpan.FromSeconds(2), $"Dispose took {took.TotalMilliseconds} ms");
            Assert.True(loop.IsClosed);
            Assert.Null(loop.Fault);
            Assert.False(loop.Post(() => { }));

            took = await LoopWait.DisposeBounded(loop); // twice
            Assert.True(took < TimeSpan.FromSeconds(2));
        }

        [Fact]
        public async Task Dispose_on_the_loop_thread_stops_the_loop_without_deadlock()
        {
            using var loop = new EventLoop("loop-self-dispose");
            Assert.True(loop.Post(() => loop.Dispose()));
            await LoopWait.Until(() => loop.IsClosed, "the loop to close");
            Assert.False(loop.Post(() => { }));
            Assert.True(await LoopWait.DisposeBounded(loop) < TimeSpan.FromSeconds(2));
        }

        [Fact]
        public async Task A_post_accepted_while_the_loop_is_stopping_is_run()
        {
            // Post's contract: it "returns false when the loop has stopped and will run nothing more", so a post it
            // accepts (returns true for) must run. Here Dispose was called on the loop thread, the loop is not closed
            // yet, the post is accepted... and then the loop exits without draining its queue.
            using var loop = new EventLoop("loop-stopping-post");
            bool accepted = false;
            bool ran = false;
            Assert.True(loop.Post(() =>
            {
                loop.Dispose();
                accepted = loop.Post(() => ran = true);
            }));
            await LoopWait.Until(() => loop.IsClosed, "the loop to close");
            await Task.Delay(50);
            Assert.True(!accepted || ran, $"Post returned {accepted} but the callback never ran");
        }

        [Theory]
        [InlineData(365_000.0)]
        [InlineData(double.PositiveInfinity)] // TimeSpan.MaxValue
        public async Task A_timer_with_a_huge_delay_does_not_fire_at_once(double days)
        {
            TimeSpan delay = double.IsInfinity(days) ? TimeSpan.MaxValue : TimeSpan.FromDays(days);
            using var loop = new EventLoop("loop-huge-delay");
            bool fired = false;
            TaskCompletionSource later = LoopWait.NewTcs();
            LoopTimer huge = await LoopWait.OnLoop(loop, () =>
            {
                LoopTimer t = loop.SetTimer(delay, _ => fired = true, null);
                loop.SetTimer(TimeSpan.FromMilliseconds(100), _ => later.SetResult(), null);
                return t;
            });
            await later.Task.WaitAsync(LoopWait.Timeout);
            (bool firedSoFar, bool active) = await LoopWait.OnLoop(loop, () => (fired, huge.IsActive));
            Assert.False(firedSoFar, $"a timer set {delay} ahead fired after ~100 ms (DueTicks {huge.DueTicks})");
            Assert.True(active);
        }

        [Fact]
        public async Task Dispose_with_pending_timers_returns_promptly()
        {
            var loop = new EventLoop("loop-dispose-timers");
            await LoopWait.OnLoop(loop, () => { loop.SetTimer(TimeSpan.FromHours(2), _ => { }, null); });
            Assert.True(await LoopWait.DisposeBounded(loop) < TimeSpan.FromSeconds(2));
            Assert.True(loop.IsClosed);
        }

        private sealed class TimerBox
        {
            public LoopTimer? Value { get; set; }
        }

        /// <summary>A selector with no sockets that throws from Select on the Nth call after <see cref="Arm"/>.</summary>
        private sealed class FaultingSelector : ISelector
        {
            private readonly Exception _failure;
            private readonly int _throwOn;
            private readonly AutoResetEvent _wake = new AutoResetEvent(false);
            private volatile bool _armed;
            private int _armedCalls;
            private volatile bool _disposed;

            public FaultingSelector(Exception failure, int throwOnArmedCall)
            {
                _failure = failure;
                _throwOn = throwOnArmedCall;
            }

            public string Name => "faulty";

            public int Count => 0;

            public bool IsDisposed => _disposed;

            public void Arm() => _armed = true;

            public SelectorKey Register(Socket socket, SelectorEvents events, object? data) => throw new NotSupportedException();

            public void Modify(SelectorKey key, SelectorEvents events) => throw new NotSupportedException();

            public void Unregister(SelectorKey key) => throw new NotSupportedException();

            public int Select(int timeoutMs, List<SelectorReady> ready)
            {
                ready.Clear();
                if (_armed && ++_armedCalls >= _throwOn)
                {
                    throw _failure;
                }

                _wake.WaitOne(_armed ? 1 : (timeoutMs < 0 ? System.Threading.Timeout.Infinite : timeoutMs));
                return 0;
            }

            public void Wakeup() => _wake.Set();

            public void Dispose() => _disposed = true;
        }
    }
}
