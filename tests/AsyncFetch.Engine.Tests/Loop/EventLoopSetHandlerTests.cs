using System;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Tests.Loop
{
    /// <summary><see cref="EventLoop.SetHandler"/>: a registered socket changes hands (a won connect race) without re-registering.</summary>
    public sealed class EventLoopSetHandlerTests
    {
        [Theory]
        [MemberData(nameof(Support.TestUtil.SelectorKinds), MemberType = typeof(Support.TestUtil))]
        public async Task Readiness_goes_to_the_new_handler_only(SelectorKind kind)
        {
            using var loop = new EventLoop("set-handler", kind);
            using SocketPair p = SocketPair.Create();
            var first = new RecordingHandler();
            var second = new RecordingHandler();
            SelectorKey key = await LoopWait.OnLoop(loop, () => loop.Register(p.Server, SelectorEvents.Read, first));
            await LoopWait.OnLoop(loop, () => loop.SetHandler(key, second));
            Assert.Same(second, key.Data);

            p.Client.Send(new byte[] { 1 });
            await LoopWait.Until(() => second.ReadyCount > 0, "the new handler to hear the read");
            await LoopWait.OnLoop(loop, () => loop.Unregister(key));
            Assert.Equal(0, first.ReadyCount);
            Assert.Equal(SelectorEvents.Read, second.Ready[0] & SelectorEvents.Read);
        }

        [Fact]
        public async Task An_unregistered_key_or_another_thread_is_refused()
        {
            using var loop = new EventLoop("set-handler");
            using SocketPair p = SocketPair.Create();
            var handler = new RecordingHandler();
            SelectorKey key = await LoopWait.OnLoop(loop, () => loop.Register(p.Server, SelectorEvents.Read, handler));
            Assert.Throws<InvalidOperationException>(() => loop.SetHandler(key, handler)); // not the loop thread
            await LoopWait.OnLoop(loop, () => loop.Unregister(key));
            await Assert.ThrowsAsync<InvalidOperationException>(() => LoopWait.OnLoop(loop, () => loop.SetHandler(key, handler)));
        }
    }
}
