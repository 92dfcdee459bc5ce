using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Tests.Loop
{
    /// <summary>
    /// The <see cref="ISelector"/> contract, run against every implementation. Sockets are always unregistered
    /// before they are closed (the harness does it on dispose).
    /// </summary>
    public abstract class SelectorContractTests
    {
        private static readonly TimeSpan SelectHangLimit = TimeSpan.FromSeconds(5);

        private protected abstract ISelector CreateSelector();

        /// <summary>False when the implementation cannot run here: every test then returns at once.</summary>
        protected virtual bool IsSupported => true;

        /// <summary>What registering an already registered socket does in this implementation.</summary>
        protected abstract void AssertRegisterTwiceFails(Action registerAgain);

        private Harness? Start() => IsSupported ? new Harness(CreateSelector()) : null;

        [Fact]
        public void Fresh_pair_is_writable_but_not_readable()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            SocketPair p = h.Pair();
            SelectorKey key = h.Register(p.Client, SelectorEvents.ReadWrite);
            List<SelectorReady> ready = h.PollUntil(r => r.Count > 0);
            Assert.Equal(SelectorEvents.Write, EventsFor(ready, key));
            Assert.Single(ready);

            // Level-triggered: still writable on the next select, still not readable.
            Assert.Equal(SelectorEvents.Write, EventsFor(h.SelectNow(), key));
        }

        [Fact]
        public void Data_from_the_peer_makes_read_ready_until_it_is_consumed()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            SocketPair p = h.Pair();
            SelectorKey key = h.Register(p.Client, SelectorEvents.Read);
            Assert.Empty(h.SelectNow());

            p.Server.Send(new byte[] { 42, 43 });
            List<SelectorReady> ready = h.PollUntil(r => r.Count > 0);
            Assert.Equal(SelectorEvents.Read, EventsFor(ready, key));

            // Level-triggered: reported again until read.
            Assert.Equal(SelectorEvents.Read, EventsFor(h.SelectNow(), key));

            var buf = new byte[16];
            Assert.Equal(2, p.Client.Receive(buf));
            Assert.Equal(42, buf[0]);
            Assert.Empty(h.SelectNow());
        }

        [Fact]
        public void Modify_changes_what_is_reported()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            SocketPair p = h.Pair();
            SelectorKey key = h.Register(p.Client, SelectorEvents.ReadWrite);
            p.Server.Send(new byte[] { 1 });
            Assert.Equal(SelectorEvents.ReadWrite, EventsFor(h.PollUntil(r => EventsFor(r, key) == SelectorEvents.ReadWrite), key));

            h.Selector.Modify(key, SelectorEvents.None);
            Assert.Equal(SelectorEvents.None, key.Events);
            Assert.Empty(h.SelectNow());

            h.Selector.Modify(key, SelectorEvents.Write);
            Assert.Equal(SelectorEvents.Write, key.Events);
            Assert.Equal(SelectorEvents.Write, EventsFor(h.SelectNow(), key));

            h.Selector.Modify(key, SelectorEvents.Read);
            Assert.Equal(SelectorEvents.Read, EventsFor(h.SelectNow(), key));

            h.Selector.Modify(key, SelectorEvents.Read); // same events again: harmless
            Assert.Equal(SelectorEvents.Read, EventsFor(h.SelectNow(), key));

            h.Selector.Modify(key, SelectorEvents.ReadWrite);
            Assert.Equal(SelectorEvents.ReadWrite, EventsFor(h.SelectNow(), key));
            Assert.Equal(1, h.Selector.Count);
        }

        [Fact]
        public void Registered_for_None_a_reset_socket_does_not_cut_Select_short()
        {
            // Errors and hang-ups are reported as the *registered* events being ready; with no events registered
            // nothing is ready, so Select must wait for its timeout instead of returning at once (a busy loop).
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            SocketPair p = h.Pair();
            SelectorKey key = h.Register(p.Client, SelectorEvents.Read);
            p.Server.LingerState = new LingerOption(true, 0);
            p.Server.Close(); // RST
            Assert.Equal(SelectorEvents.Read, EventsFor(h.PollUntil(r => r.Count > 0), key));

            h.Selector.Modify(key, SelectorEvents.None);
            var sw = Stopwatch.StartNew();
            int n = h.Selector.Select(200, h.Ready);
            sw.Stop();
            Assert.Equal(0, n);
            Assert.True(sw.ElapsedMilliseconds >= 150, $"Select(200) returned after {sw.ElapsedMilliseconds} ms with nothing ready");
        }

        [Fact]
        public void Unregister_stops_events_and_drops_Count()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            SocketPair a = h.Pair();
            SocketPair b = h.Pair();
            SelectorKey ka = h.Register(a.Client, SelectorEvents.Read, "a");
            SelectorKey kb = h.Register(b.Client, SelectorEvents.Read, "b");
            Assert.Equal(2, h.Selector.Count);
            a.Server.Send(new byte[] { 1 });
            b.Server.Send(new byte[] { 1 });
            h.PollUntil(r => r.Count == 2);

            h.Selector.Unregister(ka);
            Assert.False(ka.IsRegistered);
            Assert.True(kb.IsRegistered);
            Assert.Equal(1, h.Selector.Count);
            List<SelectorReady> ready = h.SelectNow();
            Assert.Same(kb, Assert.Single(ready).Key);

            h.Selector.Unregister(ka); // a second unregister is a no-op
            Assert.Equal(1, h.Selector.Count);
            Assert.Throws<InvalidOperationException>(() => h.Selector.Modify(ka, SelectorEvents.Write));

            h.Selector.Unregister(kb);
            Assert.Equal(0, h.Selector.Count);
            Assert.Empty(h.SelectNow());
        }

        [Fact]
        public void A_socket_can_be_registered_again_after_Unregister_with_a_new_key()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            SocketPair p = h.Pair();
            SocketPair other = h.Pair();
            SelectorKey first = h.Register(p.Client, SelectorEvents.Read, "first");
            h.Selector.Unregister(first);

            // Another socket takes the freed place first (epoll reuses the slot).
            SelectorKey otherKey = h.Register(other.Client, SelectorEvents.Read, "other");
            SelectorKey second = h.Register(p.Client, SelectorEvents.Read, "second");
            Assert.NotSame(first, second);
            Assert.False(first.IsRegistered);
            Assert.True(second.IsRegistered);
            Assert.Equal(2, h.Selector.Count);

            p.Server.Send(new byte[] { 1 });
            List<SelectorReady> ready = h.PollUntil(r => r.Count > 0);
            SelectorReady only = Assert.Single(ready);
            Assert.Same(second, only.Key);
            Assert.Equal("second", only.Key.Data);
            Assert.Throws<InvalidOperationException>(() => h.Selector.Modify(first, SelectorEvents.Write));
            Assert.True(second.IsRegistered);

            other.Server.Send(new byte[] { 1 });
            ready = h.PollUntil(r => r.Count == 2);
            Assert.Equal(SelectorEvents.Read, EventsFor(ready, otherKey));
            Assert.Equal(SelectorEvents.Read, EventsFor(ready, second));
        }

        [Fact]
        public void Key_carries_socket_events_and_data()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            var data = new object();
            SocketPair a = h.Pair();
            SocketPair b = h.Pair();
            SelectorKey ka = h.Register(a.Client, SelectorEvents.Write, data);
            SelectorKey kb = h.Register(b.Client, SelectorEvents.Write, null);
            Assert.Same(a.Client, ka.Socket);
            Assert.Same(data, ka.Data);
            Assert.Equal(SelectorEvents.Write, ka.Events);
            Assert.True(ka.IsRegistered);
            Assert.Null(kb.Data);

            List<SelectorReady> ready = h.PollUntil(r => r.Count == 2);
            Assert.Same(data, ready.Single(r => ReferenceEquals(r.Key, ka)).Key.Data);
            Assert.Null(ready.Single(r => ReferenceEquals(r.Key, kb)).Key.Data);
        }

        [Fact]
        public void Select_zero_returns_at_once_and_clears_the_list()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            SocketPair p = h.Pair();
            SelectorKey key = h.Register(p.Client, SelectorEvents.Read);
            var ready = new List<SelectorReady> { new SelectorReady(key, SelectorEvents.ReadWrite) };
            var sw = Stopwatch.StartNew();
            int n = h.Selector.Select(0, ready);
            sw.Stop();
            Assert.Equal(0, n);
            Assert.Empty(ready);
            Assert.True(sw.ElapsedMilliseconds < 500, $"Select(0) took {sw.ElapsedMilliseconds} ms");
        }

        [Fact]
        public void Select_with_a_timeout_and_nothing_ready_waits_about_that_long()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            SocketPair p = h.Pair();
            h.Register(p.Client, SelectorEvents.Read);
            var sw = Stopwatch.StartNew();
            int n = h.Selector.Select(100, h.Ready);
            sw.Stop();
            Assert.Equal(0, n);
            Assert.InRange(sw.ElapsedMilliseconds, 80, 1999);
        }

        [Fact]
        public async Task Wakeup_from_another_thread_ends_a_blocking_Select()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            SocketPair p = h.Pair();
            h.Register(p.Client, SelectorEvents.Read);
            var ready = new List<SelectorReady>();
            Task<int> select = SelectOnThread(h.Selector, -1, ready);
            await Task.Delay(150);
            Assert.False(select.IsCompleted, "Select(-1) returned with nothing ready");

            h.Selector.Wakeup();
            int n = await Bounded(h, select);
            Assert.Equal(0, n);
            Assert.Empty(ready);
        }

        [Fact]
        public async Task Several_Wakeups_before_Select_cause_one_early_return()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            SocketPair p = h.Pair();
            h.Register(p.Client, SelectorEvents.Read);
            for (int i = 0; i < 5; i++)
            {
                h.Selector.Wakeup();
            }

            Thread.Sleep(50); // let every wakeup land (the portable selector's are loopback bytes)
            var ready = new List<SelectorReady>();
            Assert.Equal(0, await Bounded(h, SelectOnThread(h.Selector, -1, ready)));
            Assert.Equal(0, h.Selector.Select(0, ready));

            // The pending wakeups were all consumed: the next wait is a full one.
            var sw = Stopwatch.StartNew();
            Assert.Equal(0, h.Selector.Select(150, ready));
            Assert.True(sw.ElapsedMilliseconds >= 100, $"Select(150) returned after {sw.ElapsedMilliseconds} ms: a wakeup was left over");
        }

        [Fact]
        public void Wakeup_from_the_selecting_thread_makes_the_next_Select_return()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            h.Selector.Wakeup();
            var sw = Stopwatch.StartNew();
            Assert.Equal(0, h.Selector.Select(3000, h.Ready));
            Assert.True(sw.ElapsedMilliseconds < 2000, $"Select returned after {sw.ElapsedMilliseconds} ms despite a pending wakeup");
        }

        [Fact]
        public void Peer_close_shows_as_Read_ready_and_Receive_returns_zero()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            SocketPair p = h.Pair();
            SelectorKey key = h.Register(p.Client, SelectorEvents.Read);
            Assert.Empty(h.SelectNow());
            p.Server.Close();
            Assert.Equal(SelectorEvents.Read, EventsFor(h.PollUntil(r => r.Count > 0), key));
            Assert.Equal(0, p.Client.Receive(new byte[8]));
        }

        [Fact]
        public void Peer_reset_shows_as_the_registered_events_ready()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            SocketPair p = h.Pair();
            SelectorKey key = h.Register(p.Client, SelectorEvents.Read);
            p.Server.LingerState = new LingerOption(true, 0);
            p.Server.Close();
            Assert.Equal(SelectorEvents.Read, EventsFor(h.PollUntil(r => r.Count > 0), key));
            SocketException e = Assert.Throws<SocketException>(() => p.Client.Receive(new byte[8]));
            Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        }

        [Theory]
        [InlineData((int)SelectorEvents.Write)]
        [InlineData((int)SelectorEvents.Read)]
        [InlineData((int)SelectorEvents.ReadWrite)]
        public void Connect_to_a_closed_port_is_reported_ready_with_SO_ERROR_set(int interestBits)
        {
            var interest = (SelectorEvents)interestBits; // an int in the signature: SelectorEvents is internal
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            IPEndPoint closed = TestSockets.ClosedLoopbackEndPoint();
            Socket s = h.Own(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            SocketError started = TestSockets.StartConnect(s, closed);
            Assert.True(started == SocketError.WouldBlock || started == SocketError.InProgress, "connect started with " + started);

            SelectorKey key = h.Register(s, interest);
            List<SelectorReady> ready = h.PollUntil(r => r.Count > 0);
            SelectorEvents got = EventsFor(ready, key);
            Assert.NotEqual(SelectorEvents.None, got);
            Assert.Equal(SelectorEvents.None, got & ~interest);
            if (interest == SelectorEvents.Write)
            {
                Assert.Equal(SelectorEvents.Write, got);
            }

            Assert.NotEqual(0, TestSockets.SoError(s));
        }

        [Fact]
        public void Connect_to_a_listening_port_is_reported_Write_ready_with_SO_ERROR_zero()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            Socket listener = h.Own(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(4);
            Socket s = h.Own(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            SocketError started = TestSockets.StartConnect(s, listener.LocalEndPoint!);
            Assert.True(started == SocketError.WouldBlock || started == SocketError.InProgress || started == SocketError.Success, "connect started with " + started);

            SelectorKey key = h.Register(s, SelectorEvents.Write);
            Assert.Equal(SelectorEvents.Write, EventsFor(h.PollUntil(r => r.Count > 0), key));
            Assert.Equal(0, TestSockets.SoError(s));
            h.Own(listener.Accept());
        }

        [Fact]
        public void Of_500_registered_sockets_exactly_the_readable_subset_is_reported()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            const int N = 500;
            List<SocketPair> pairs = h.Pairs(N);
            var keys = new SelectorKey[N];
            for (int i = 0; i < N; i++)
            {
                keys[i] = h.Register(pairs[i].Server, SelectorEvents.Read, i);
            }

            Assert.Equal(N, h.Selector.Count);
            Assert.Empty(h.SelectNow());

            var rng = new Random(20240607);
            var expected = new SortedSet<int>(Enumerable.Range(0, N).Where(_ => rng.Next(3) == 0));
            foreach (int i in expected)
            {
                pairs[i].Client.Send(new byte[] { (byte)i });
            }

            var seen = new SortedSet<int>();
            List<SelectorReady> last = h.PollUntil(r =>
            {
                AssertNoDuplicateKeys(r);
                foreach (SelectorReady x in r)
                {
                    Assert.Equal(SelectorEvents.Read, x.Events);
                    int index = (int)x.Key.Data!;
                    Assert.True(expected.Contains(index), $"socket {index} reported readable but nothing was sent to it");
                    seen.Add(index);
                }

                return r.Count == expected.Count;
            });
            Assert.Equal(expected, seen);
            Assert.Equal(expected, new SortedSet<int>(last.Select(r => (int)r.Key.Data!)));

            // Unregister half of the readable ones: the rest is still reported, exactly.
            var dropped = new SortedSet<int>(expected.Where((_, k) => k % 2 == 0));
            foreach (int i in dropped)
            {
                h.Selector.Unregister(keys[i]);
            }

            Assert.Equal(N - dropped.Count, h.Selector.Count);
            List<SelectorReady> after = h.SelectNow();
            AssertNoDuplicateKeys(after);
            Assert.Equal(new SortedSet<int>(expected.Except(dropped)), new SortedSet<int>(after.Select(r => (int)r.Key.Data!)));
        }

        [Fact]
        public void Registering_a_registered_socket_again_fails_and_keeps_the_first_key()
        {
            using Harness? h = Start();
            if (h == null)
            {
                return;
            }

            SocketPair p = h.Pair();
            SelectorKey first = h.Register(p.Client, SelectorEvents.Read, "first");
            AssertRegisterTwiceFails(() => h.Register(p.Client, SelectorEvents.Write, "second"));
            Assert.Equal(1, h.Selector.Count);
            Assert.True(first.IsRegistered);

            p.Server.Send(new byte[] { 1 });
            SelectorReady only = Assert.Single(h.PollUntil(r => r.Count > 0));
            Assert.Same(first, only.Key);
            Assert.Equal(SelectorEvents.Read, only.Events);
        }

        [Fact]
        public void A_key_of_another_selector_is_refused_by_Unregister_and_Modify()
        {
            using Harness? a = Start();
            using Harness? b = Start();
            if (a == null || b == null)
            {
                return;
            }

            SocketPair p = a.Pair();
            SelectorKey key = a.Register(p.Client, SelectorEvents.Read);
            Assert.Throws<InvalidOperationException>(() => b.Selector.Modify(key, SelectorEvents.Write));
            Assert.Throws<InvalidOperationException>(() => b.Selector.Unregister(key));

            // The key is untouched: still registered with its own selector, which still reports it.
            Assert.True(key.IsRegistered);
            Assert.Equal(SelectorEvents.Read, key.Events);
            Assert.Equal(1, a.Selector.Count);
            p.Server.Send(new byte[] { 1 });
            Assert.Same(key, Assert.Single(a.PollUntil(r => r.Count > 0)).Key);
        }

        [Fact]
        public void After_Dispose_operations_throw_ObjectDisposedException_and_Wakeup_does_not()
        {
            if (!IsSupported)
            {
                return;
            }

            using SocketPair p = SocketPair.Create();
            using SocketPair q = SocketPair.Create();
            ISelector sel = CreateSelector();
            SelectorKey key = sel.Register(p.Client, SelectorEvents.Read, null);
            sel.Dispose();

            Assert.False(key.IsRegistered);
            Assert.Throws<ObjectDisposedException>(() => sel.Register(q.Client, SelectorEvents.Read, null));
            Assert.Throws<ObjectDisposedException>(() => sel.Modify(key, SelectorEvents.Write));
            Assert.Throws<ObjectDisposedException>(() => sel.Select(0, new List<SelectorReady>()));
            sel.Wakeup();
            sel.Unregister(key); // documented behaviour: the key is already unregistered, so this is a no-op
            sel.Dispose();
        }

        [Fact]
        public async Task Wakeup_racing_Dispose_from_other_threads_does_not_throw()
        {
            if (!IsSupported)
            {
                return;
            }

            for (int round = 0; round < 20; round++)
            {
                ISelector sel = CreateSelector();
                using var go = new ManualResetEventSlim();
                Task waker = Task.Run(() =>
                {
                    go.Wait();
                    for (int i = 0; i < 200; i++)
                    {
                        sel.Wakeup();
                    }
                });
                go.Set();
                sel.Dispose();
                await waker.WaitAsync(LoopWait.Timeout);
            }
        }

        // ---- helpers ----

        private protected static SelectorEvents EventsFor(List<SelectorReady> ready, SelectorKey key)
        {
            AssertNoDuplicateKeys(ready);
            foreach (SelectorReady r in ready)
            {
                if (ReferenceEquals(r.Key, key))
                {
                    Assert.NotEqual(SelectorEvents.None, r.Events);
                    return r.Events;
                }
            }

            return SelectorEvents.None;
        }

        private static void AssertNoDuplicateKeys(List<SelectorReady> ready)
        {
            var keys = new HashSet<SelectorKey>();
            foreach (SelectorReady r in ready)
            {
                Assert.True(keys.Add(r.Key), "a key was reported twice in one Select");
            }
        }

        private static Task<int> SelectOnThread(ISelector selector, int timeoutMs, List<SelectorReady> ready)
        {
            TaskCompletionSource<int> tcs = LoopWait.NewTcs<int>();
            var t = new Thread(() =>
            {
                try
                {
                    tcs.SetResult(selector.Select(timeoutMs, ready));
                }
                catch (Exception e)
                {
                    tcs.SetException(e);
                }
            })
            { IsBackground = true, Name = "selector-test-select" };
            t.Start();
            return tcs.Task;
        }

        /// <summary>Awaits a Select running on another thread; if it hangs, fails and leaks the selector (never disposes it under a running Select).</summary>
        private static async Task<int> Bounded(Harness h, Task<int> select)
        {
            try
            {
                return await select.WaitAsync(SelectHangLimit);
            }
            catch (TimeoutException)
            {
                h.Leak();
                Assert.Fail($"Select did not return within {SelectHangLimit.TotalSeconds} s");
                throw;
            }
        }

        /// <summary>Owns a selector, the sockets of a test and their keys; on dispose unregisters, then closes, then disposes.</summary>
        private sealed class Harness : IDisposable
        {
            private readonly List<SelectorKey> _keys = new List<SelectorKey>();
            private readonly List<IDisposable> _owned = new List<IDisposable>();
            private bool _leak;

            public Harness(ISelector selector) => Selector = selector;

            public ISelector Selector { get; }

            public List<SelectorReady> Ready { get; } = new List<SelectorReady>();

            public SocketPair Pair() => Own(SocketPair.Create());

            public List<SocketPair> Pairs(int count)
            {
                List<SocketPair> pairs = SocketPair.CreateMany(count);
                _owned.AddRange(pairs);
                return pairs;
            }

            public T Own<T>(T disposable)
                where T : IDisposable
            {
                _owned.Add(disposable);
                return disposable;
            }

            public SelectorKey Register(Socket socket, SelectorEvents events, object? data = null)
            {
                SelectorKey key = Selector.Register(socket, events, data);
                _keys.Add(key);
                return key;
            }

            public List<SelectorReady> SelectNow()
            {
                Selector.Select(0, Ready);
                return new List<SelectorReady>(Ready);
            }

            /// <summary>Selects until <paramref name="done"/> holds (the network may need a moment); fails after 5 s.</summary>
            public List<SelectorReady> PollUntil(Func<List<SelectorReady>, bool> done)
            {
                var sw = Stopwatch.StartNew();
                while (true)
                {
                    Selector.Select(50, Ready);
                    var copy = new List<SelectorReady>(Ready);
                    if (done(copy))
                    {
                        return copy;
                    }

                    if (sw.ElapsedMilliseconds > 5000)
                    {
                        Assert.Fail($"condition not reached in 5 s; last select reported {copy.Count}: " +
                            string.Join(", ", copy.Select(r => r.Key.Data + ":" + r.Events)));
                    }
                }
            }

            public void Leak() => _leak = true;

            public void Dispose()
            {
                if (_leak)
                {
                    return; // a Select may still run on another thread: leave everything alone
                }

                foreach (SelectorKey key in _keys)
                {
                    if (key.IsRegistered)
                    {
                        Selector.Unregister(key);
                    }
                }

                foreach (IDisposable d in _owned)
                {
                    d.Dispose();
                }

                Selector.Dispose();
            }
        }
    }
}
