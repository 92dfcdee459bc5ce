using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Downloads
{
    /// <summary>
    /// Downloads that fail because of the file system, provoked for real (FileSystemTraps): a full disk (a small
    /// tmpfs), a read-only file system, an immutable directory, a directory removed or replaced by a file while the
    /// body arrives. Each request ends as exactly one result of kind File, with a message naming what failed, and
    /// leaves no partial file behind (the one exception, an immutable directory, is spelled out in its test).
    /// </summary>
    public sealed class DownloadFailureTests : IClassFixture<ServerFixture>, IDisposable
    {
        private readonly ServerFixture _f;
        private readonly string _root;

        public DownloadFailureTests(ServerFixture fixture)
        {
            _f = fixture;
            _root = Path.Combine(Path.GetTempPath(), "asyncfetch-dlfail-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_root);
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // best effort
            }
        }

        private static string[] Entries(string dir) =>
            Directory.Exists(dir) ? Directory.GetFileSystemEntries(dir).Select(p => Path.GetFileName(p)!).OrderBy(n => n, StringComparer.Ordinal).ToArray() : Array.Empty<string>();

        /// <summary>Submits through the callback API and checks that exactly one result arrives.</summary>
        private static async Task<FetchResult> FetchOnce(FetchEngine engine, FetchRequest request, CancellationToken token = default)
        {
            int results = 0;
            var first = new TaskCompletionSource<FetchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            engine.Submit(
                request,
                r =>
                {
                    Interlocked.Increment(ref results);
                    first.TrySetResult(r);
                },
                cancellationToken: token);
            FetchResult result = await first.Task.WaitAsync(Patience);
            Assert.True(await Eventually(() => engine.PendingRequests == 0, Patience), "the request is still pending after its result");
            await Task.Delay(300); // room for a second result, were there one
            Assert.Equal(1, Volatile.Read(ref results));
            return result;
        }

        private static void AssertFileFailure(FetchResult r, params string[] messageParts)
        {
            Assert.Equal(FetchErrorKind.File, r.ErrorKind);
            Assert.Null(r.OutFile);
            Assert.NotNull(r.ErrorMessage);
            foreach (string part in messageParts)
            {
                Assert.Contains(part, r.ErrorMessage!, StringComparison.Ordinal);
            }
        }

        private static byte[] Gzip(byte[] data)
        {
            using var output = new MemoryStream();
            using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                gz.Write(data, 0, data.Length);
            }

            return output.ToArray();
        }

        /// <summary>
        /// A server that sends the head and the first half of <paramref name="body"/>, waits for <paramref name="gate"/>,
        /// then sends the rest.
        /// </summary>
        private static RawServer HalfThenRest(byte[] body, string extraHeaders, Task gate) =>
            new RawServer(async (c, token) =>
            {
                int half = body.Length / 2;
                await c.SendAsync($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n{extraHeaders}Connection: close\r\n\r\n", token);
                await c.SendAsync(body.AsSpan(0, half).ToArray(), token);
                await gate.WaitAsync(token);
                await c.SendAsync(body.AsSpan(half).ToArray(), token);
                await Task.Delay(Timeout.Infinite, token); // the client closes
            });

        private static Task<bool> PartialAppears(string dir) =>
            Eventually(() => Entries(dir).Any(n => n.Contains(".partial-", StringComparison.Ordinal)), Patience);

        // ---- A full disk ----

        [TmpfsTheory]
        [InlineData("/bytes/3000000", false, "Cannot write to")] // identity, Content-Length: fails in a write
        [InlineData("/chunked/3000000?chunk=7000", true, "Cannot write to")] // chunked, to an explicit OutFile
        [InlineData("/gzip/3000000", false, "Cannot decode the download")] // the encoded body fits; decoding it on the pool fills the disk
        public async Task A_full_disk_is_a_file_error_and_leaves_nothing(string path, bool explicitFile, string expected)
        {
            string mount = Path.Combine(_root, "small");
            Directory.CreateDirectory(mount);
            FileSystemTraps.MountTmpfs(mount, "size=256k");
            try
            {
                var drive = new DriveInfo(mount);
                long free = drive.AvailableFreeSpace;
                using FetchEngine engine = NewEngine(configure: o =>
                {
                    o.MaximumRetryCount = 2; // a File failure is not retried
                    o.RetryInterval = TimeSpan.FromMilliseconds(10);
                });
                var request = new FetchRequest(_f.Url(path));
                if (explicitFile)
                {
                    request.OutFile = Path.Combine(mount, "out.bin");
                }
                else
                {
                    request.OutDirectory = mount;
                }

                FetchResult r = await FetchOnce(engine, request);

                AssertFileFailure(r, expected, "No space left on device", mount);
                Assert.Equal(1, r.Attempts);
                Assert.Empty(Entries(mount));

                // Every file is closed, not only unlinked: an open one would still hold its blocks.
                Assert.True(await Eventually(() => new DriveInfo(mount).AvailableFreeSpace == free, Patience), "the space of the partial file was not released (still open?)");
            }
            finally
            {
                FileSystemTraps.Unmount(mount);
            }
        }

        // ---- A directory that cannot be written ----

        [TmpfsTheory]
        [InlineData("dir", "Cannot create a file in")]
        [InlineData("sub", "cannot be used")] // OutDirectory is created when missing: here it cannot be
        [InlineData("file", "Cannot create a file in")]
        public async Task A_read_only_file_system_is_a_file_error(string target, string expected)
        {
            string mount = Path.Combine(_root, "ro");
            Directory.CreateDirectory(mount);
            FileSystemTraps.MountTmpfs(mount, "ro,size=64k");
            try
            {
                using FetchEngine engine = NewEngine();
                var request = new FetchRequest(_f.Url("/bytes/1000"));
                switch (target)
                {
                    case "dir": request.OutDirectory = mount; break;
                    case "sub": request.OutDirectory = Path.Combine(mount, "sub"); break;
                    default: request.OutFile = Path.Combine(mount, "out.bin"); break;
                }

                FetchResult r = await FetchOnce(engine, request);

                AssertFileFailure(r, expected, "Read-only file system");
                Assert.Empty(Entries(mount));
            }
            finally
            {
                FileSystemTraps.Unmount(mount);
            }
        }

        [ImmutableDirectoryTheory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task An_immutable_directory_is_a_file_error(bool explicitFile)
        {
            string dir = Path.Combine(_root, "immutable");
            Directory.CreateDirectory(dir);
            FileSystemTraps.SetImmutable(dir, true);
            try
            {
                using FetchEngine engine = NewEngine();
                var request = new FetchRequest(_f.Url("/bytes/1000"));
                if (explicitFile)
                {
                    request.OutFile = Path.Combine(dir, "out.bin");
                }
                else
                {
                    request.OutDirectory = dir;
                }

                FetchResult r = await FetchOnce(engine, request);

                AssertFileFailure(r, "Cannot create a file in '" + dir + "'");
                Assert.Empty(Entries(dir));
            }
            finally
            {
                FileSystemTraps.SetImmutable(dir, false);
            }
        }

        /// <summary>
        /// A directory made immutable while the body arrives: the rename fails, and so does deleting the partial
        /// file, which nothing can remove from that directory until it is mutable again. The request still ends
        /// as one File result and the real name is never created; the partial file's name says what it is.
        /// </summary>
        [ImmutableDirectoryFact]
        public async Task A_directory_made_immutable_mid_download_is_a_file_error_and_the_real_name_is_never_taken()
        {
            string dir = Path.Combine(_root, "later-immutable");
            Directory.CreateDirectory(dir);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using RawServer server = HalfThenRest(Pattern(200_000), string.Empty, gate.Task);
            using FetchEngine engine = NewEngine();
            try
            {
                Task<FetchResult> task = FetchOnce(engine, new FetchRequest(server.Url("/data.bin")) { OutDirectory = dir });
                Assert.True(await PartialAppears(dir), "the partial file never appeared");
                FileSystemTraps.SetImmutable(dir, true);
                gate.SetResult();
                FetchResult r = await task;

                AssertFileFailure(r, "Cannot move the download to '" + Path.Combine(dir, "data.bin") + "'");
                string[] left = Entries(dir);
                Assert.DoesNotContain("data.bin", left);
                Assert.All(left, n => Assert.StartsWith("data.bin.partial-", n, StringComparison.Ordinal));
            }
            finally
            {
                FileSystemTraps.SetImmutable(dir, false);
            }
        }

        // ---- A directory that disappears ----

        [Theory]
        [InlineData(false, false)]
        [InlineData(true, false)]
        [InlineData(false, true)] // compressed: the decode job finds its input gone
        public async Task A_directory_removed_mid_download_is_a_file_error_and_nothing_is_recreated(bool explicitFile, bool gzip)
        {
            string dir = Path.Combine(_root, "vanishing");
            Directory.CreateDirectory(dir);
            byte[] body = gzip ? Gzip(Pattern(300_000)) : Pattern(300_000);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using RawServer server = HalfThenRest(body, gzip ? "Content-Encoding: gzip\r\n" : string.Empty, gate.Task);
            using FetchEngine engine = NewEngine();
            var request = new FetchRequest(server.Url("/data.bin"));
            if (explicitFile)
            {
                request.OutFile = Path.Combine(dir, "out.bin");
            }
            else
            {
                request.OutDirectory = dir;
            }

            Task<FetchResult> task = FetchOnce(engine, request);
            Assert.True(await PartialAppears(dir), "the partial file never appeared");
            Directory.Delete(dir, recursive: true); // the open partial file goes with it (Unix)
            gate.SetResult();
            FetchResult r = await task;

            AssertFileFailure(r, gzip ? "Cannot decode the download" : "Cannot move the download", dir);
            Assert.False(Directory.Exists(dir), "the removed directory was created again");
            Assert.Empty(Entries(_root));
        }

        [Fact]
        public async Task A_directory_replaced_by_a_file_mid_download_is_a_file_error_and_the_file_is_untouched()
        {
            string dir = Path.Combine(_root, "replaced");
            Directory.CreateDirectory(dir);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using RawServer server = HalfThenRest(Pattern(300_000), string.Empty, gate.Task);
            using FetchEngine engine = NewEngine();

            Task<FetchResult> task = FetchOnce(engine, new FetchRequest(server.Url("/data.bin")) { OutDirectory = dir });
            Assert.True(await PartialAppears(dir), "the partial file never appeared");
            Directory.Delete(dir, recursive: true);
            File.WriteAllText(dir, "mine");
            gate.SetResult();
            FetchResult r = await task;

            AssertFileFailure(r, "Cannot move the download", dir);
            Assert.Equal("mine", File.ReadAllText(dir));
            Assert.Equal(new[] { "replaced" }, Entries(_root));
        }

        [Fact]
        public async Task An_out_file_under_a_plain_file_is_a_file_error()
        {
            string file = Path.Combine(_root, "plain");
            File.WriteAllText(file, "mine");
            using FetchEngine engine = NewEngine();

            FetchResult r = await FetchOnce(engine, new FetchRequest(_f.Url("/bytes/10")) { OutFile = Path.Combine(file, "out.bin") });
            AssertFileFailure(r, "does not exist");

            FetchResult nested = await FetchOnce(engine, new FetchRequest(_f.Url("/bytes/10")) { OutDirectory = Path.Combine(file, "sub") });
            AssertFileFailure(nested, "cannot be used");
            Assert.Equal("mine", File.ReadAllText(file));
            Assert.Equal(new[] { "plain" }, Entries(_root));
        }
    }
}
