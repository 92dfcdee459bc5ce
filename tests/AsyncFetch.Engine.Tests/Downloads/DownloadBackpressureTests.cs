using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Downloads
{
    /// <summary>
    /// A disk slower than the network: the download's queue stays bounded because the connection stops reading
    /// (plain and TLS), and reads again when the queue drains. A request that ends while its writer is stuck (timeout,
    /// engine disposed) still leaves no file once the writer returns. The writers are held through the sink's hooks.
    /// </summary>
    [Collection(DownloadHooksCollection.Name)]
    public sealed class DownloadBackpressureTests : IClassFixture<ServerFixture>, IClassFixture<TlsFixture>, IDisposable
    {
        private const int Size = 8 * 1024 * 1024;

        /// <summary>Full buffers a paused connection may still add: the rest of one read (the 128 KiB receive buffer).</summary>
        private const int Overshoot = 2;

        private readonly ServerFixture _plain;
        private readonly TlsFixture _tls;
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "asyncfetch-dlpress-" + Guid.NewGuid().ToString("N"));

        public DownloadBackpressureTests(ServerFixture plain, TlsFixture tls)
        {
            _plain = plain;
            _tls = tls;
            Directory.CreateDirectory(_dir);
        }

        public void Dispose()
        {
            DownloadSink.OpenedForTests = null;
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }

        private string[] Entries() => Directory.GetFiles(_dir).Select(p => Path.GetFileName(p)!).ToArray();

        private static string Sha256(byte[] data) => Convert.ToHexString(SHA256.HashData(data));

        private static string FileSha256(string path)
        {
            using FileStream s = File.OpenRead(path);
            return Convert.ToHexString(SHA256.HashData(s));
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task A_slow_disk_pauses_the_connection_and_the_queue_stays_bounded(bool https)
        {
            DownloadSink? opened = null;
            DownloadSink.OpenedForTests = sink =>
            {
                opened = sink;
                bool held = false;
                sink.BeforeWrite = () =>
                {
                    if (!held)
                    {
                        // The first write waits until the queue is full: the connection must pause (nothing else stops it).
                        held = true;
                        SpinWait.SpinUntil(() => sink.Queued >= DownloadSink.MaxQueued, Patience);
                    }

                    Thread.Sleep(1); // then a disk that is slower than loopback
                };
            };
            using FetchEngine engine = https ? new FetchEngine(TlsFixture.Options()) : NewEngine();
            Uri url = https ? _tls.Url("/bytes/" + Size) : _plain.Url("/bytes/" + Size);

            FetchResult r = await engine.FetchAsync(new FetchRequest(url) { OutDirectory = _dir }).WaitAsync(Patience);

            Assert.True(r.ErrorKind == FetchErrorKind.None, r.ErrorMessage);
            Assert.Equal(Size, r.ContentLength);
            Assert.Equal(Sha256(Pattern(Size)), FileSha256(r.OutFile!));
            Assert.NotNull(opened);
            int peak = opened!.PeakQueued;
            Assert.True(peak >= DownloadSink.MaxQueued, $"the queue never filled (peak {peak})");
            Assert.True(peak <= DownloadSink.MaxQueued + Overshoot, $"{peak} buffers queued: the connection kept reading");
        }

        [Fact]
        public async Task A_request_that_times_out_while_its_writer_is_stuck_leaves_no_file()
        {
            using var gate = new ManualResetEventSlim(false);
            DownloadSink.OpenedForTests = sink => sink.BeforeWrite = () => gate.Wait(Patience);
            using FetchEngine engine = NewEngine(configure: o => o.Timeout = TimeSpan.FromSeconds(1));
            int results = 0;
            var first = LoopWait.NewTcs<FetchResult>();
            engine.Submit(new FetchRequest(_plain.Url("/bytes/" + Size)) { OutDirectory = _dir }, r =>
            {
                Interlocked.Increment(ref results);
                first.TrySetResult(r);
            });

            FetchResult result = await first.Task.WaitAsync(Patience);
            Assert.Equal(FetchErrorKind.Timeout, result.ErrorKind);
            Assert.Single(Entries()); // its writer still holds the partial file

            gate.Set();
            Assert.True(await Eventually(() => Entries().Length == 0, Patience), "the partial file stayed: " + string.Join(", ", Entries()));
            await Task.Delay(200);
            Assert.Equal(1, Volatile.Read(ref results));
        }

        [Fact]
        public async Task Disposing_the_engine_while_a_writer_is_stuck_leaves_no_file()
        {
            using var gate = new ManualResetEventSlim(false);
            using var writing = new ManualResetEventSlim(false);
            DownloadSink.OpenedForTests = sink => sink.BeforeWrite = () =>
            {
                writing.Set();
                gate.Wait(Patience);
            };
            FetchEngine engine = NewEngine();
            Task<FetchResult> task = engine.FetchAsync(new FetchRequest(_plain.Url("/bytes/" + Size)) { OutDirectory = _dir });
            Assert.True(writing.Wait(Patience), "the writer never started");

            engine.Dispose();
            FetchResult r = await task.WaitAsync(Patience);
            Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind);

            gate.Set(); // the writer returns to a stopped loop: it cleans up on its own
            Assert.True(await Eventually(() => Entries().Length == 0, Patience), "the partial file stayed: " + string.Join(", ", Entries()));
        }

        /// <summary>
        /// Other downloads have the process-wide number of buffers queued: a download's first full buffer already asks for
        /// a pause, and its writer, woken by that, drains it and says so.
        /// </summary>
        [Fact]
        public async Task Once_the_process_wide_bound_is_reached_a_single_buffer_pauses_and_drains()
        {
            using var loop = new EventLoop("download-process-bound");
            var owner = new DownloadSinkTests.Owner(loop);
            var request = new FetchRequest("http://127.0.0.1/") { OutFile = Path.Combine(_dir, "bound.bin") };
            DownloadSink sink = await LoopWait.OnLoop(loop, () => DownloadSink.Open(loop, owner, request, null, null, null, -1, -1));
            byte[] block = new byte[DownloadSink.BufferSize];
            new Random(9).NextBytes(block);
            DownloadSink.AddQueuedInProcessForTests(DownloadSink.MaxQueuedInProcess);
            try
            {
                Assert.False(await LoopWait.OnLoop(loop, () => sink.Write(block)), "a buffer beyond the process-wide bound left room");
                Assert.True(await owner.DrainedSignal.WaitAsync(Patience), "no drained notification: the writer was never woken");
            }
            finally
            {
                DownloadSink.AddQueuedInProcessForTests(-DownloadSink.MaxQueuedInProcess);
            }

            await LoopWait.OnLoop(loop, sink.Finish);
            DownloadSinkTests.Outcome end = await owner.Ended.Task.WaitAsync(Patience);
            Assert.Equal(FetchErrorKind.None, end.Kind);
            Assert.Equal(block, File.ReadAllBytes(end.Path!));
        }

        /// <summary>
        /// A connection as the request drives one, without the network: reads of 128 KiB in 16 KiB body chunks; after a
        /// Write returned false the rest of that read still goes in, then nothing until the drained notification.
        /// </summary>
        [Fact]
        public async Task Memory_stays_bounded_when_the_writer_is_slow_and_every_buffer_is_given_back()
        {
            const int ReadSize = 128 * 1024;
            const int ChunkSize = 16 * 1024;
            int queuedBefore = DownloadSink.QueuedInProcess;
            byte[] body = new byte[Size];
            new Random(7).NextBytes(body);
            using var loop = new EventLoop("download-memory");
            var owner = new DownloadSinkTests.Owner(loop);
            var request = new FetchRequest("http://127.0.0.1/") { OutFile = Path.Combine(_dir, "slow.bin") };
            DownloadSink sink = await LoopWait.OnLoop(loop, () => DownloadSink.Open(loop, owner, request, null, null, null, -1, -1));
            bool held = false;
            sink.BeforeWrite = () =>
            {
                if (!held)
                {
                    held = true;
                    SpinWait.SpinUntil(() => sink.Queued >= DownloadSink.MaxQueued, Patience);
                }

                Thread.Sleep(1);
            };

            int peak = 0;
            int pauses = 0;
            for (int read = 0; read < Size; read += ReadSize)
            {
                int start = read;
                bool paused = await LoopWait.OnLoop(loop, () =>
                {
                    bool room = true;
                    for (int offset = start; offset < start + ReadSize; offset += ChunkSize)
                    {
                        room &= sink.Write(body.AsSpan(offset, ChunkSize));
                        peak = Math.Max(peak, sink.Queued);
                    }

                    return !room;
                });
                if (paused)
                {
                    pauses++;
                    Assert.True(await owner.DrainedSignal.WaitAsync(Patience), "no drained notification after a pause");
                }
            }

            await LoopWait.OnLoop(loop, sink.Finish);
            DownloadSinkTests.Outcome end = await owner.Ended.Task.WaitAsync(Patience);

            Assert.Equal(FetchErrorKind.None, end.Kind);
            Assert.Equal(body, File.ReadAllBytes(end.Path!));
            Assert.True(pauses >= 1, "the writer was held: the queue must have filled");
            Assert.True(peak <= DownloadSink.MaxQueued + (ReadSize / DownloadSink.BufferSize), $"{peak} buffers queued (at most {DownloadSink.MaxQueued} + one read)");
            Assert.Equal(peak, sink.PeakQueued);
            Assert.Equal(queuedBefore, DownloadSink.QueuedInProcess); // every queued buffer was accounted for
        }
    }
}
