using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Downloads
{
    /// <summary>
    /// The download sink on its own, driven from a loop as the request drives it: buffers written off the loop in order,
    /// the bounded queue and its drained notification, abort with a write in flight, concurrent renames, file errors.
    /// The writer is held back through the sink's test hooks, never by timing.
    /// </summary>
    public sealed class DownloadSinkTests : IDisposable
    {
        private const int Block = DownloadSink.BufferSize;

        private readonly EventLoop _loop = new EventLoop("download-sink-tests");
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "asyncfetch-dlsink-" + Guid.NewGuid().ToString("N"));

        public DownloadSinkTests() => Directory.CreateDirectory(_dir);

        public void Dispose()
        {
            _loop.Dispose();
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }

        private string[] Entries(string? dir = null) => Directory.GetFileSystemEntries(dir ?? _dir).Select(p => Path.GetFileName(p)!).OrderBy(n => n, StringComparer.Ordinal).ToArray();

        private static byte[] Random(int length, int seed)
        {
            var data = new byte[length];
            new Random(seed).NextBytes(data);
            return data;
        }

        private Task<DownloadSink> Open(Owner owner, FetchRequest request, string name = "body.bin", long limit = -1, long declared = -1) =>
            LoopWait.OnLoop(_loop, () => DownloadSink.Open(_loop, owner, request, new Uri("http://127.0.0.1/" + name), null, null, limit, declared));

        private Task<bool> Write(DownloadSink sink, byte[] data) => LoopWait.OnLoop(_loop, () => sink.Write(data));

        [Fact]
        public async Task Writes_arrive_in_order_and_the_file_gets_its_name()
        {
            byte[] body = Random(1_000_003, 1);
            int[] sizes = { 1, 100, 4096, Block, Block - 1, 70_000, 13, 3 * Block };
            var owner = new Owner(_loop);
            string target = Path.Combine(_dir, "out.bin");
            DownloadSink sink = await Open(owner, new FetchRequest("http://127.0.0.1/") { OutFile = target });

            int offset = 0;
            for (int i = 0; offset < body.Length; i++)
            {
                int n = Math.Min(sizes[i % sizes.Length], body.Length - offset);
                byte[] chunk = body.AsSpan(offset, n).ToArray();
                await Write(sink, chunk); // room or not: the bytes are taken
                offset += n;
            }

            await LoopWait.OnLoop(_loop, sink.Finish);
            Outcome end = await owner.Ended.Task.WaitAsync(Patience);

            Assert.Equal(FetchErrorKind.None, end.Kind);
            Assert.Equal(target, end.Path);
            Assert.Equal(body.Length, end.Length);
            Assert.Equal(body, File.ReadAllBytes(target));
            Assert.Equal(new[] { "out.bin" }, Entries());
            Assert.False(owner.CalledOffLoop, "an owner callback ran off the loop thread");
        }

        [Fact]
        public async Task A_full_queue_returns_false_and_the_drained_notification_follows_on_the_loop()
        {
            using var gate = new ManualResetEventSlim(false);
            var owner = new Owner(_loop);
            DownloadSink sink = await Open(owner, new FetchRequest("http://127.0.0.1/") { OutDirectory = _dir });
            sink.BeforeWrite = () => gate.Wait(Patience);

            var blocks = Enumerable.Range(0, DownloadSink.MaxQueued).Select(i => Random(Block, 10 + i)).ToArray();
            var rooms = new List<bool>();
            foreach (byte[] block in blocks)
            {
                rooms.Add(await Write(sink, block));
            }

            // The writer is held at the first buffer: every buffer stays queued, and the last one fills the queue.
            Assert.Equal(Enumerable.Repeat(true, DownloadSink.MaxQueued - 1).Append(false), rooms);
            Assert.Equal(DownloadSink.MaxQueued, sink.Queued);
            Assert.Equal(0, owner.Drained);

            gate.Set();
            Assert.True(await owner.DrainedSignal.WaitAsync(Patience), "no drained notification");
            Assert.True(sink.Queued <= DownloadSink.MaxQueued / 2, $"drained with {sink.Queued} buffers still queued");

            await LoopWait.OnLoop(_loop, sink.Finish);
            Outcome end = await owner.Ended.Task.WaitAsync(Patience);
            Assert.Equal(FetchErrorKind.None, end.Kind);
            Assert.Equal(blocks.SelectMany(b => b).ToArray(), File.ReadAllBytes(end.Path!));
            Assert.Equal(1, owner.Drained);
            Assert.False(owner.CalledOffLoop, "an owner callback ran off the loop thread");
        }

        [Fact]
        public async Task Abort_while_a_write_is_in_flight_deletes_the_temporary_file_once_the_write_returns()
        {
            using var entered = new ManualResetEventSlim(false);
            using var gate = new ManualResetEventSlim(false);
            var owner = new Owner(_loop);
            DownloadSink sink = await Open(owner, new FetchRequest("http://127.0.0.1/") { OutDirectory = _dir });
            sink.BeforeWrite = () =>
            {
                entered.Set();
                gate.Wait(Patience);
            };

            for (int i = 0; i < DownloadSink.WakeAt; i++)
            {
                await Write(sink, Random(Block, 2 + i)); // enough to wake the writer
            }

            Assert.True(entered.Wait(Patience), "the write never started");
            string[] partial = Entries();
            Assert.Single(partial);
            Assert.StartsWith("body.bin.partial-", partial[0], StringComparison.Ordinal);

            await LoopWait.OnLoop(_loop, sink.Abort);
            Assert.Equal(partial, Entries()); // the writer still holds it: it is deleted when its write returns
            Assert.False(DownloadSink.WaitForCleanups(TimeSpan.FromMilliseconds(50)), "the owed cleanup was not counted");

            gate.Set();
            Assert.True(DownloadSink.WaitForCleanups(Patience), "the engine's Dispose would not have waited for the cleanup");
            Assert.Empty(Entries()); // gone by the time the wait returns
            await LoopWait.OnLoop(_loop, sink.Finish); // too late: nothing happens
            await Task.Delay(200); // room for a callback, were there one
            Assert.Equal(0, owner.Callbacks);
        }

        [Fact]
        public async Task Concurrent_renames_to_one_name_pick_distinct_names_and_lose_no_body()
        {
            const int N = 4;
            File.WriteAllText(Path.Combine(_dir, "same.bin"), "mine");
            int arrived = 0;
            using var lineUp = new ManualResetEventSlim(false);
            var owners = new Owner[N];
            var sinks = new DownloadSink[N];
            for (int i = 0; i < N; i++)
            {
                owners[i] = new Owner(_loop);
                sinks[i] = await Open(owners[i], new FetchRequest("http://127.0.0.1/") { OutDirectory = _dir }, "same.bin");
                sinks[i].BeforePlace = () =>
                {
                    // Line the renames up (bounded: the thread pool may not run all of them at once).
                    if (Interlocked.Increment(ref arrived) == N)
                    {
                        lineUp.Set();
                    }

                    lineUp.Wait(TimeSpan.FromSeconds(2));
                };
            }

            byte[][] bodies = Enumerable.Range(0, N).Select(i => Random(100_000 + i, 20 + i)).ToArray();
            await LoopWait.OnLoop(_loop, () =>
            {
                for (int i = 0; i < N; i++)
                {
                    sinks[i].Write(bodies[i]);
                    sinks[i].Finish();
                }
            });
            Outcome[] ends = await Task.WhenAll(owners.Select(o => o.Ended.Task)).WaitAsync(Patience);

            Assert.All(ends, e => Assert.Equal(FetchErrorKind.None, e.Kind));
            Assert.Equal(N, ends.Select(e => e.Path).Distinct().Count());
            for (int i = 0; i < N; i++)
            {
                Assert.Equal(bodies[i], File.ReadAllBytes(ends[i].Path!));
            }

            string[] expected = new[] { "same.bin" }.Concat(Enumerable.Range(1, N).Select(i => $"same ({i}).bin")).OrderBy(n => n, StringComparer.Ordinal).ToArray();
            Assert.Equal(expected, Entries());
            Assert.Equal("mine", File.ReadAllText(Path.Combine(_dir, "same.bin")));
        }

        [TmpfsFact]
        public async Task A_full_disk_is_a_file_failure_with_the_usual_message_and_leaves_nothing()
        {
            string mount = Path.Combine(_dir, "small");
            Directory.CreateDirectory(mount);
            FileSystemTraps.MountTmpfs(mount, "size=256k");
            try
            {
                long free = new DriveInfo(mount).AvailableFreeSpace;
                var owner = new Owner(_loop);
                DownloadSink sink = await Open(owner, new FetchRequest("http://127.0.0.1/") { OutFile = Path.Combine(mount, "out.bin") });
                for (int i = 0; i < 32 && !owner.Ended.Task.IsCompleted; i++)
                {
                    if (!await Write(sink, Random(Block, 30 + i)))
                    {
                        await Task.WhenAny(owner.DrainedSignal.WaitAsync(Patience), owner.Ended.Task);
                    }
                }

                Outcome end = await owner.Ended.Task.WaitAsync(Patience); // before Finish: the request stops reading at once
                Assert.Equal(FetchErrorKind.File, end.Kind);
                Assert.Contains("Cannot write to '" + mount, end.Message!, StringComparison.Ordinal);
                Assert.Contains("No space left on device", end.Message!, StringComparison.Ordinal);
                Assert.Empty(Entries(mount)); // deleted before the owner heard of it
                Assert.Equal(free, new DriveInfo(mount).AvailableFreeSpace); // and closed: an open file would keep its blocks

                await LoopWait.OnLoop(_loop, () =>
                {
                    Assert.True(sink.Write(new byte[Block])); // late bytes are dropped
                    sink.Finish();
                    sink.Abort();
                });
                await Task.Delay(200);
                Assert.Equal(1, owner.Callbacks);
            }
            finally
            {
                FileSystemTraps.Unmount(mount);
            }
        }

        [Fact]
        public async Task A_target_that_cannot_be_used_fails_before_the_body_is_complete()
        {
            var owner = new Owner(_loop);
            string missing = Path.Combine(_dir, "no", "such", "out.bin");
            DownloadSink sink = await Open(owner, new FetchRequest("http://127.0.0.1/") { OutFile = missing });

            Outcome end = await owner.Ended.Task.WaitAsync(Patience);
            Assert.Equal(FetchErrorKind.File, end.Kind);
            Assert.Equal($"The directory of the output file '{missing}' does not exist.", end.Message);
            Assert.True(await Write(sink, Random(3 * Block, 3)));
            await LoopWait.OnLoop(_loop, sink.Finish);
            await Task.Delay(200);
            Assert.Equal(1, owner.Callbacks);
            Assert.Empty(Entries());
        }

        [Fact]
        public async Task The_download_limit_is_enforced_on_the_loop_before_anything_is_queued()
        {
            var owner = new Owner(_loop);
            var request = new FetchRequest("http://127.0.0.1/") { OutDirectory = _dir };
            FetchFailure declared = await Assert.ThrowsAsync<FetchFailure>(() => Open(owner, request, limit: 1000, declared: 1001));
            Assert.Equal(FetchErrorKind.TooLarge, declared.Kind);
            Assert.Equal("The response body (1001 bytes) is larger than the download limit of 1000 bytes.", declared.Message);

            DownloadSink sink = await Open(owner, request, limit: 1000);
            Assert.True(await Write(sink, new byte[1000]));
            FetchFailure written = await Assert.ThrowsAsync<FetchFailure>(() => Write(sink, new byte[1]));
            Assert.Equal(FetchErrorKind.TooLarge, written.Kind);
            Assert.Equal("The response body is larger than the download limit of 1000 bytes.", written.Message);

            await LoopWait.OnLoop(_loop, sink.Abort);
            Assert.True(await Eventually(() => Entries().Length == 0, Patience), "the temporary file stayed");
        }

        internal sealed record Outcome(string? Path, long Length, FetchErrorKind Kind, string? Message);

        /// <summary>Records what the sink tells its request, and whether it ever did so off the loop thread.</summary>
        internal sealed class Owner : IDownloadOwner
        {
            private readonly EventLoop _loop;
            private int _drained;
            private int _callbacks;

            public Owner(EventLoop loop) => _loop = loop;

            public TaskCompletionSource<Outcome> Ended { get; } = LoopWait.NewTcs<Outcome>();

            public SemaphoreSlim DrainedSignal { get; } = new SemaphoreSlim(0);

            public int Drained => Volatile.Read(ref _drained);

            public int Callbacks => Volatile.Read(ref _callbacks);

            public bool CalledOffLoop { get; private set; }

            public void OnDownloadDrained()
            {
                Seen();
                Interlocked.Increment(ref _drained);
                DrainedSignal.Release();
            }

            public void OnDownloadPlaced(string path, long length)
            {
                Seen();
                Interlocked.Increment(ref _callbacks);
                Ended.TrySetResult(new Outcome(path, length, FetchErrorKind.None, null));
            }

            public void OnDownloadFailed(FetchErrorKind kind, string message, Exception? exception)
            {
                Seen();
                Interlocked.Increment(ref _callbacks);
                Ended.TrySetResult(new Outcome(null, 0, kind, message));
            }

            private void Seen() => CalledOffLoop |= !_loop.IsLoopThread;
        }
    }
}
