using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Downloads;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Responses;
using AsyncFetch.Engine.Tests.Support;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Responses
{
    /// <summary>
    /// The file sink on its own, driven from a loop as the request drives it: it refuses bytes by returning Failed with a
    /// reason (never by throwing), says Full when the download's queue is full and reports the drain, and reports the
    /// stored body (or why it could not be stored) to its owner exactly once, on the loop thread. Runs with the download
    /// hooks' collection: one test holds the writer back through them.
    /// </summary>
    [Collection(DownloadHooksCollection.Name)]
    public sealed class FileBodySinkTests : IDisposable
    {
        private readonly EventLoop _loop = new EventLoop("file-body-sink-tests");
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "asyncfetch-filesink-" + Guid.NewGuid().ToString("N"));

        public FileBodySinkTests() => Directory.CreateDirectory(_dir);

        public void Dispose()
        {
            DownloadSink.OpenedForTests = null;
            _loop.Dispose();
            Directory.Delete(_dir, recursive: true);
        }

        [Fact]
        public async Task File_sink_places_a_complete_body_under_its_name()
        {
            var request = new FetchRequest(new Uri("http://example.test/a.txt")) { OutDirectory = _dir };
            var owner = new Owner(_loop);
            FileBodySink sink = await LoopWait.OnLoop(_loop, () => Open(owner, request, limit: -1, declaredLength: 5, out SinkFailure? failure) ?? throw new InvalidOperationException(failure!.Message));
            Assert.Equal(SinkWrite.Accepted, await LoopWait.OnLoop(_loop, () => sink.Write("hello"u8)));
            await LoopWait.OnLoop(_loop, () => sink.Finish(owner));
            await owner.Ended.Task.WaitAsync(Patience);

            Assert.Equal(1, owner.Reports);
            Assert.Null(owner.Failure);
            Assert.Equal(Path.Combine(_dir, "a.txt"), owner.Path);
            Assert.Equal(5, owner.Length);
            Assert.Null(owner.Body);
            Assert.Equal("hello", File.ReadAllText(owner.Path!));
            Assert.False(owner.CalledOffLoop, "an owner callback ran off the loop thread");
            sink.Abort(); // placed: nothing left to delete
            Assert.True(File.Exists(owner.Path));
        }

        [Fact]
        public async Task File_sink_that_cannot_open_its_target_says_why()
        {
            // The target is checked off the loop: the failure comes to the owner, without a Finish.
            var request = new FetchRequest(new Uri("http://example.test/a.txt")) { OutFile = Path.Combine(_dir, "missing", "a.txt") };
            var owner = new Owner(_loop);
            await LoopWait.OnLoop(_loop, () => Open(owner, request, -1, -1, out _));
            await owner.Ended.Task.WaitAsync(Patience);
            Assert.Equal(1, owner.Reports);
            Assert.Equal(FetchErrorKind.File, owner.Failure!.Kind);
            Assert.Contains("does not exist", owner.Failure.Message);

            // A declared length over the limit is refused at once.
            var declared = new FetchRequest(new Uri("http://example.test/a.txt")) { OutDirectory = _dir };
            SinkFailure? failure = null;
            Assert.Null(await LoopWait.OnLoop(_loop, () => Open(new Owner(_loop), declared, limit: 4, declaredLength: 5, out failure)));
            Assert.Equal(FetchErrorKind.TooLarge, failure!.Kind);
            Assert.Empty(Directory.GetFileSystemEntries(_dir));
        }

        [Fact]
        public async Task File_sink_refuses_bytes_past_the_download_limit_and_its_abort_leaves_no_file()
        {
            var request = new FetchRequest(new Uri("http://example.test/a.txt")) { OutDirectory = _dir };
            var owner = new Owner(_loop);
            FileBodySink sink = (await LoopWait.OnLoop(_loop, () => Open(owner, request, limit: 4, declaredLength: -1, out _)))!;
            Assert.Equal(SinkWrite.Accepted, await LoopWait.OnLoop(_loop, () => sink.Write("abcd"u8)));
            Assert.Equal(SinkWrite.Failed, await LoopWait.OnLoop(_loop, () => sink.Write("e"u8)));
            Assert.Equal(FetchErrorKind.TooLarge, sink.Failure!.Kind);
            Assert.Equal("The response body is larger than the download limit of 4 bytes.", sink.Failure.Message);
            Assert.True(await Eventually(() => Directory.GetFiles(_dir).Length == 1), "the temporary file was not created"); // until the request lets go of it
            sink.Abort();
            sink.Abort();
            Assert.True(await Eventually(() => Directory.GetFileSystemEntries(_dir).Length == 0), "the temporary file was left behind");
            Assert.Equal(0, owner.Reports);
        }

        [Fact]
        public async Task File_sink_is_full_while_its_writer_is_behind_and_reports_the_drain()
        {
            using var gate = new SemaphoreSlim(0);
            DownloadSink.OpenedForTests = s => s.BeforeWrite = () => gate.Wait(Patience);
            var request = new FetchRequest(new Uri("http://example.test/a.bin")) { OutDirectory = _dir };
            var owner = new Owner(_loop);
            FileBodySink sink = (await LoopWait.OnLoop(_loop, () => Open(owner, request, -1, -1, out _)))!;

            var block = new byte[DownloadSink.BufferSize];
            int writes = 0;
            SinkWrite written;
            do
            {
                written = await LoopWait.OnLoop(_loop, () => sink.Write(block));
                writes++;
            }
            while (written == SinkWrite.Accepted && writes <= DownloadSink.MaxQueued);

            Assert.Equal(SinkWrite.Full, written);
            Assert.Equal(DownloadSink.MaxQueued, writes);
            Assert.Equal(0, owner.Drained);

            gate.Release(int.MaxValue / 2); // the writer catches up
            await owner.DrainedSignal.WaitAsync(Patience);
            Assert.Equal(SinkWrite.Accepted, await LoopWait.OnLoop(_loop, () => sink.Write(block))); // room again
            await LoopWait.OnLoop(_loop, () => sink.Finish(owner));
            await owner.Ended.Task.WaitAsync(Patience);
            Assert.Null(owner.Failure);
            Assert.Equal((DownloadSink.MaxQueued + 1L) * block.Length, new FileInfo(owner.Path!).Length);
            Assert.False(owner.CalledOffLoop, "an owner callback ran off the loop thread");
        }

        private static FileBodySink? Open(Owner owner, FetchRequest request, long limit, long declaredLength, out SinkFailure? failure) =>
            FileBodySink.Open(owner, request, request.Uri!, null, null, limit, declaredLength, out failure);

        private static async Task<bool> Eventually(Func<bool> condition)
        {
            DateTime deadline = DateTime.UtcNow + Patience;
            while (!condition())
            {
                if (DateTime.UtcNow > deadline)
                {
                    return false;
                }

                await Task.Delay(10);
            }

            return true;
        }

        /// <summary>Records what the sink reports, and on which thread.</summary>
        private sealed class Owner : IBodySinkOwner
        {
            private int _drained;

            public Owner(EventLoop loop) => Loop = loop;

            public EventLoop Loop { get; }

            public TaskCompletionSource<bool> Ended { get; } = LoopWait.NewTcs<bool>();

            public SemaphoreSlim DrainedSignal { get; } = new SemaphoreSlim(0);

            public int Drained => Volatile.Read(ref _drained);

            public int Reports { get; private set; }

            public byte[]? Body { get; private set; }

            public long Length { get; private set; } = -1;

            public string? Path { get; private set; }

            public SinkFailure? Failure { get; private set; }

            public bool CalledOffLoop { get; private set; }

            public bool Wants(IBodySink sink) => true;

            public void OnBodyStored(IBodySink sink, byte[]? body, long length, string? path)
            {
                Seen();
                Reports++;
                Body = body;
                Length = length;
                Path = path;
                Ended.TrySetResult(true);
            }

            public void OnBodyDrained(IBodySink sink)
            {
                Seen();
                Interlocked.Increment(ref _drained);
                DrainedSignal.Release();
            }

            public void OnBodyFailed(IBodySink sink, SinkFailure failure)
            {
                Seen();
                Reports++;
                Failure = failure;
                Ended.TrySetResult(false);
            }

            private void Seen() => CalledOffLoop |= !Loop.IsLoopThread;
        }
    }
}
