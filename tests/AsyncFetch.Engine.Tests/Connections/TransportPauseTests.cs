using System;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Tests.Support;
using Xunit;
using static AsyncFetch.Engine.Tests.Support.LoopWait;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Connections
{
    /// <summary>
    /// <see cref="Engine.Connections.Transport.PauseReading"/> and ResumeReading, plain and TLS: while paused nothing is
    /// delivered and nothing is read (the far end, with small socket buffers, stalls with its bytes unread); on resume
    /// what the owner left in the middle of a delivery comes first, then the rest, every byte once and in order.
    /// </summary>
    public sealed class TransportPauseTests
    {
        private const int Size = 4 << 20;

        [Theory]
        [InlineData(false, true)]
        [InlineData(false, false)]
        [InlineData(true, true)]
        [InlineData(true, false)]
        public async Task Pausing_stops_reading_and_resuming_delivers_every_byte_in_order(bool tls, bool pauseInsideDelivery)
        {
            using var loop = new EventLoop();
            using TransportHarness harness = await TransportHarness.CreateAsync(loop, tls);
            var owner = new RecordingOwner(harness.Transport) { PauseAfter = pauseInsideDelivery ? 256 * 1024 : -1 };
            await harness.ReceiveInto(loop, owner);
            byte[] data = Pattern(Size);
            var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            StreamFeeder feeder = pauseInsideDelivery
                ? StreamFeeder.Start(harness.Far, data, harness.EndSending)
                : StreamFeeder.StartHolding(harness.Far, data, 256 * 1024, release.Task, harness.EndSending);

            if (pauseInsideDelivery)
            {
                await Until(() => owner.KeptAtPause > 0, "the owner to pause in the middle of a delivery");
            }
            else
            {
                // Between deliveries, from a loop callback (as a disk writer that fell behind would), twice: idempotent.
                // The far end holds after 256 KiB until the pause is in place: pausing while it streams would race a
                // fast reader.
                await feeder.Held.Task.WaitAsync(Patience);
                await Until(() => owner.Received >= 256 * 1024, "the first 256 KiB");
                await OnLoop(loop, () =>
                {
                    harness.Transport.PauseReading();
                    harness.Transport.PauseReading();
                });
                release.SetResult(true);
            }

            long atPause = await OnLoop(loop, () => owner.Received);
            int deliveries = owner.Deliveries;
            await feeder.WaitStalledAsync();

            Assert.False(feeder.Done.IsCompleted, "the far end sent everything although nobody was reading");
            Assert.Equal(atPause, await OnLoop(loop, () => owner.Received));
            Assert.Equal(deliveries, owner.Deliveries);

            await OnLoop(loop, () =>
            {
                harness.Transport.ResumeReading();
                harness.Transport.ResumeReading();
            });
            await owner.Ended.Task.WaitAsync(Patience);
            await feeder.Done.WaitAsync(Patience);

            byte[] received = await OnLoop(loop, owner.ReceivedBytes);
            Assert.Equal(data.Length, received.Length);
            Assert.True(data.AsSpan().SequenceEqual(received), "the bytes delivered differ from the bytes sent");
            await OnLoop(loop, harness.Transport.Close);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task Resuming_hands_over_the_kept_rest_at_once_without_waiting_for_new_bytes(bool tls)
        {
            using var loop = new EventLoop();
            using TransportHarness harness = await TransportHarness.CreateAsync(loop, tls);
            var owner = new RecordingOwner(harness.Transport) { PauseAfter = 0 };
            await harness.ReceiveInto(loop, owner);
            byte[] data = Pattern(1000);
            await StreamFeeder.Start(harness.Far, data).Done.WaitAsync(Patience); // and nothing after it: the connection stays open
            await Until(() => owner.KeptAtPause > 0, "the owner to pause");
            Assert.Equal(data.Length - owner.KeptAtPause, await OnLoop(loop, () => owner.Received));

            await OnLoop(loop, harness.Transport.ResumeReading);

            Assert.Equal(data.Length, await OnLoop(loop, () => owner.Received)); // delivered by ResumeReading itself
            byte[] received = await OnLoop(loop, owner.ReceivedBytes);
            Assert.True(data.AsSpan().SequenceEqual(received), "the bytes delivered differ from the bytes sent");
            Assert.False(owner.Ended.Task.IsCompleted);
            await OnLoop(loop, harness.Transport.Close);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task A_transport_closed_while_paused_delivers_nothing_more(bool tls)
        {
            using var loop = new EventLoop();
            using TransportHarness harness = await TransportHarness.CreateAsync(loop, tls);
            var owner = new RecordingOwner(harness.Transport) { PauseAfter = 64 * 1024 };
            await harness.ReceiveInto(loop, owner);
            StreamFeeder feeder = StreamFeeder.Start(harness.Far, Pattern(Size));
            await Until(() => owner.KeptAtPause > 0, "the owner to pause");
            long atPause = await OnLoop(loop, () => owner.Received);

            await OnLoop(loop, () =>
            {
                harness.Transport.Close();
                harness.Transport.ResumeReading(); // too late: nothing is delivered from a closed transport
            });

            Assert.Equal(atPause, await OnLoop(loop, () => owner.Received));
            Assert.Equal(0, await OnLoop(loop, () => loop.RegisteredCount));
            Assert.False(owner.Ended.Task.IsCompleted);
            await Assert.ThrowsAnyAsync<Exception>(() => feeder.Done.WaitAsync(Patience)); // the far end sees the close
        }
    }
}
