using System;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Connections;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Tests.Support;

namespace AsyncFetch.Engine.Tests.Connections
{
    /// <summary>
    /// <see cref="LoopSocketStream"/>'s completions: where they run (the loop-driven TLS path depends on it) and the read
    /// it does not try when the socket was just emptied.
    /// </summary>
    public sealed class LoopSocketStreamTests
    {
        [Theory]
        [MemberData(nameof(TestUtil.SelectorKinds), MemberType = typeof(TestUtil))]
        public async Task A_read_begun_on_the_loop_that_has_to_wait_completes_inline_on_the_loop_thread(SelectorKind kind)
        {
            using var h = await Harness.Start(kind);
            var ranOnLoop = new TaskCompletionSource<(bool, int)>(TaskCreationOptions.RunContinuationsAsynchronously);
            byte[] buffer = new byte[64];
            bool completedAtOnce = await LoopWait.OnLoop(h.Loop, () =>
            {
                Task<int> read = h.Stream.ReadAsync(buffer, 0, buffer.Length, CancellationToken.None);
                read.ContinueWith(t => ranOnLoop.TrySetResult((h.Loop.IsLoopThread, t.Result)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return read.IsCompleted;
            });
            Assert.False(completedAtOnce); // nothing sent yet

            h.Pair.Server.Send(new byte[] { 1, 2, 3 });
            (bool onLoop, int n) = await ranOnLoop.Task.WaitAsync(LoopWait.Timeout);
            Assert.True(onLoop, "the continuation of a loop-begun read ran on another thread (a thread hop)");
            Assert.Equal(3, n);
        }

        [Theory]
        [MemberData(nameof(TestUtil.SelectorKinds), MemberType = typeof(TestUtil))]
        public async Task A_read_begun_on_another_thread_completes_off_the_loop(SelectorKind kind)
        {
            using var h = await Harness.Start(kind);
            var where = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            byte[] buffer = new byte[64];
            Task<int> read = await Task.Factory.StartNew(() => h.Stream.ReadAsync(buffer, 0, buffer.Length, CancellationToken.None), CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default);
            _ = read.ContinueWith(t => where.TrySetResult(h.Loop.IsLoopThread), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            h.Pair.Server.Send(new byte[] { 7 });
            Assert.Equal(1, await read.WaitAsync(LoopWait.Timeout));
            Assert.False(await where.Task.WaitAsync(LoopWait.Timeout), "a pool-begun read (the handshake's) continued on the loop thread");
        }

        [Theory]
        [MemberData(nameof(TestUtil.SelectorKinds), MemberType = typeof(TestUtil))]
        public async Task After_a_short_read_the_next_read_waits_for_readiness_instead_of_trying(SelectorKind kind)
        {
            using var h = await Harness.Start(kind);
            byte[] buffer = new byte[64];
            h.Pair.Server.Send(new byte[] { 1, 2, 3, 4 });
            Assert.True(TestSockets.WaitReadable(h.Pair.Client));
            int first = await LoopWait.OnLoop(h.Loop, () =>
            {
                Task<int> read = h.Stream.ReadAsync(buffer, 0, buffer.Length, CancellationToken.None);
                Assert.True(read.IsCompleted); // the bytes were there: read at once
                return read.Result;
            });
            Assert.Equal(4, first); // short: the socket is empty now

            h.Pair.Server.Send(new byte[] { 5, 6 });
            Assert.True(TestSockets.WaitReadable(h.Pair.Client));
            Task<int> second = await LoopWait.OnLoop(h.Loop, () => h.Stream.ReadAsync(buffer, 0, buffer.Length, CancellationToken.None));
            Assert.Equal(2, await second.WaitAsync(LoopWait.Timeout)); // came through readiness, in a later pass
            Assert.True(h.Handler.ReadyCount > 0, "the second read was tried at once instead of waiting for readiness");
            Assert.Equal(new byte[] { 5, 6 }, buffer[..2]);
        }

        [Theory]
        [MemberData(nameof(TestUtil.SelectorKinds), MemberType = typeof(TestUtil))]
        public async Task A_full_read_leaves_the_next_read_to_try_at_once(SelectorKind kind)
        {
            using var h = await Harness.Start(kind);
            byte[] buffer = new byte[4];
            h.Pair.Server.Send(new byte[] { 1, 2, 3, 4, 5, 6 });
            Assert.True(TestSockets.WaitReadable(h.Pair.Client));
            (bool, int, bool, int) both = await LoopWait.OnLoop(h.Loop, () =>
            {
                Task<int> a = h.Stream.ReadAsync(buffer, 0, 4, CancellationToken.None);
                Task<int> b = h.Stream.ReadAsync(buffer, 0, 4, CancellationToken.None);
                return (a.IsCompleted, a.Result, b.IsCompleted, b.IsCompleted ? b.Result : -1);
            });
            Assert.Equal((true, 4, true, 2), both); // the socket may hold more after a full read: tried, and found
        }

        /// <summary>A loop, a socket pair, the client end registered with no interest and handed to a stream.</summary>
        private sealed class Harness : IDisposable
        {
            private Harness(EventLoop loop, SocketPair pair, RecordingHandler handler)
            {
                Loop = loop;
                Pair = pair;
                Handler = handler;
            }

            public EventLoop Loop { get; }

            public SocketPair Pair { get; }

            public RecordingHandler Handler { get; }

            public LoopSocketStream Stream { get; private set; } = null!;

            public static async Task<Harness> Start(SelectorKind kind)
            {
                var loop = new EventLoop("loop-socket-stream", kind);
                var handler = new RecordingHandler { Loop = loop };
                var h = new Harness(loop, SocketPair.Create(), handler);
                handler.OnReadyAction = (_, events) => h.Stream.OnReady(events);
                await LoopWait.OnLoop(loop, () =>
                {
                    SelectorKey key = loop.Register(h.Pair.Client, SelectorEvents.None, handler);
                    h.Stream = new LoopSocketStream(loop, h.Pair.Client, key);
                });
                return h;
            }

            public void Dispose()
            {
                Loop.Dispose();
                Pair.Dispose();
            }
        }
    }
}
