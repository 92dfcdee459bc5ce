using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Downloads
{
    /// <summary>Bodies written to files: names, collisions, Force, failures leaving nothing behind, decoding, limits.</summary>
    public sealed class DownloadTests : IClassFixture<ServerFixture>, IDisposable
    {
        private readonly ServerFixture _f;
        private readonly string _dir;

        public DownloadTests(ServerFixture fixture)
        {
            _f = fixture;
            _dir = Path.Combine(Path.GetTempPath(), "asyncfetch-dl-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_dir);
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }

        private static string Sha256(byte[] data) => Convert.ToHexString(SHA256.HashData(data));

        private static string FileSha256(string path)
        {
            using FileStream s = File.OpenRead(path);
            return Convert.ToHexString(SHA256.HashData(s));
        }

        private string[] FilesInDir() => Directory.GetFiles(_dir).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray()!;

        private FetchRequest ToDir(string path, Action<FetchRequest>? configure = null)
        {
            var r = new FetchRequest(_f.Url(path)) { OutDirectory = _dir };
            configure?.Invoke(r);
            return r;
        }

        [Theory]
        [InlineData("/bytes/0", 0)]
        [InlineData("/bytes/1000", 1000)]
        [InlineData("/bytes/3000000", 3000000)]
        [InlineData("/chunked/300000?chunk=7000", 300000)]
        public async Task The_body_lands_in_a_file_named_after_the_url(string path, int size)
        {
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, ToDir(path));

            Assert.Equal(FetchErrorKind.None, r.ErrorKind);
            Assert.Equal(200, r.StatusCode);
            string name = path.Split('/').Last().Split('?')[0];
            Assert.Equal(Path.Combine(_dir, name), r.OutFile);
            Assert.Equal(size, r.ContentLength);
            Assert.Null(r.GetBody());
            Assert.Null(r.Content);
            Assert.Equal(Sha256(Pattern(size)), FileSha256(r.OutFile!));
            Assert.Equal(new[] { name }, FilesInDir()); // no temporary file left
        }

        [Fact]
        public async Task Content_disposition_names_the_file()
        {
            using FetchEngine engine = NewEngine();
            string cd = Uri.EscapeDataString("attachment; filename=\"old.txt\"; filename*=UTF-8''%E2%82%AC%20report.txt");
            FetchResult r = await Fetch(engine, ToDir("/attachment?size=500&cd=" + cd));

            Assert.Equal(FetchErrorKind.None, r.ErrorKind);
            Assert.Equal(Path.Combine(_dir, "\u20ac report.txt"), r.OutFile);
            Assert.Equal(Sha256(Pattern(500)), FileSha256(r.OutFile!));
        }

        [Fact]
        public async Task A_traversing_content_disposition_stays_in_the_directory()
        {
            using FetchEngine engine = NewEngine();
            string cd = Uri.EscapeDataString("attachment; filename=\"../../escape.txt\"");
            FetchResult r = await Fetch(engine, ToDir("/attachment?size=10&cd=" + cd));

            Assert.Equal(FetchErrorKind.None, r.ErrorKind);
            Assert.Equal(Path.Combine(_dir, "escape.txt"), r.OutFile);
            Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_dir)!, "escape.txt")));
        }

        [Fact]
        public async Task An_existing_name_gets_a_suffix_and_is_not_touched()
        {
            File.WriteAllText(Path.Combine(_dir, "1000"), "mine");
            File.WriteAllText(Path.Combine(_dir, "1000 (1)"), "mine too");
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, ToDir("/bytes/1000"));

            Assert.Equal(FetchErrorKind.None, r.ErrorKind);
            Assert.Equal(Path.Combine(_dir, "1000 (2)"), r.OutFile);
            Assert.Equal("mine", File.ReadAllText(Path.Combine(_dir, "1000")));
            Assert.Equal("mine too", File.ReadAllText(Path.Combine(_dir, "1000 (1)")));
            Assert.Equal(Sha256(Pattern(1000)), FileSha256(r.OutFile!));
        }

        [Fact]
        public async Task Force_replaces_an_existing_file_in_the_directory()
        {
            File.WriteAllText(Path.Combine(_dir, "1000"), "old content");
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, ToDir("/bytes/1000", q => q.Force = true));

            Assert.Equal(FetchErrorKind.None, r.ErrorKind);
            Assert.Equal(Path.Combine(_dir, "1000"), r.OutFile);
            Assert.Equal(Sha256(Pattern(1000)), FileSha256(r.OutFile!));
            Assert.Equal(new[] { "1000" }, FilesInDir());
        }

        [Fact]
        public async Task An_explicit_out_file_is_written_and_wins_over_the_directory()
        {
            string target = Path.Combine(_dir, "chosen.bin");
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/bytes/4321")) { OutFile = target, OutDirectory = Path.Combine(_dir, "unused") });

            Assert.Equal(FetchErrorKind.None, r.ErrorKind);
            Assert.Equal(target, r.OutFile);
            Assert.Equal(4321, r.ContentLength);
            Assert.Equal(Sha256(Pattern(4321)), FileSha256(target));
            Assert.False(Directory.Exists(Path.Combine(_dir, "unused")));
        }

        [Fact]
        public async Task An_existing_explicit_out_file_is_an_error_without_force()
        {
            string target = Path.Combine(_dir, "chosen.bin");
            File.WriteAllText(target, "keep me");
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/bytes/1000")) { OutFile = target });

            Assert.Equal(FetchErrorKind.File, r.ErrorKind);
            Assert.Contains("already exists", r.ErrorMessage, StringComparison.Ordinal);
            Assert.Null(r.OutFile);
            Assert.Equal("keep me", File.ReadAllText(target));
            Assert.Equal(new[] { "chosen.bin" }, FilesInDir());
        }

        [Fact]
        public async Task Force_replaces_an_explicit_out_file()
        {
            string target = Path.Combine(_dir, "chosen.bin");
            File.WriteAllText(target, "old");
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/bytes/1000")) { OutFile = target, Force = true });

            Assert.Equal(FetchErrorKind.None, r.ErrorKind);
            Assert.Equal(Sha256(Pattern(1000)), FileSha256(target));
            Assert.Equal(new[] { "chosen.bin" }, FilesInDir());
        }

        [Fact]
        public async Task An_out_file_in_a_missing_directory_is_an_error_and_a_missing_out_directory_is_created()
        {
            using FetchEngine engine = NewEngine();
            FetchResult bad = await Fetch(engine, new FetchRequest(_f.Url("/bytes/10")) { OutFile = Path.Combine(_dir, "no", "such", "f.bin") });
            Assert.Equal(FetchErrorKind.File, bad.ErrorKind);
            Assert.False(Directory.Exists(Path.Combine(_dir, "no")));

            string nested = Path.Combine(_dir, "a", "b");
            FetchResult good = await Fetch(engine, new FetchRequest(_f.Url("/bytes/10")) { OutDirectory = nested });
            Assert.Equal(FetchErrorKind.None, good.ErrorKind);
            Assert.Equal(Path.Combine(nested, "10"), good.OutFile);
        }

        [Fact]
        public async Task An_unusable_out_directory_is_a_file_error()
        {
            string notADirectory = Path.Combine(_dir, "plain-file");
            File.WriteAllText(notADirectory, "x");
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/bytes/10")) { OutDirectory = notADirectory });

            Assert.Equal(FetchErrorKind.File, r.ErrorKind);
            Assert.Null(r.OutFile);
            Assert.Equal("x", File.ReadAllText(notADirectory));
        }

        [Theory]
        [InlineData("/status/404", 404)]
        [InlineData("/status/500", 500)]
        [InlineData("/status/204", 204)]
        [InlineData("/status/304", 304)]
        public async Task Responses_other_than_2xx_with_a_body_are_not_written(string path, int status)
        {
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, ToDir(path));

            Assert.Equal(FetchErrorKind.None, r.ErrorKind);
            Assert.Equal(status, r.StatusCode);
            Assert.Null(r.OutFile);
            Assert.Empty(FilesInDir());
            if (status >= 400)
            {
                Assert.Equal("status " + status, r.Content); // the error body is there to read
            }
        }

        [Fact]
        public async Task A_head_request_writes_no_file()
        {
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, ToDir("/bytes/100", q => q.Method = "HEAD"));

            Assert.Equal(200, r.StatusCode);
            Assert.Null(r.OutFile);
            Assert.Empty(FilesInDir());
        }

        [Theory]
        [InlineData("/reset-mid-body", FetchErrorKind.ConnectionLost)]
        [InlineData("/truncated-body", FetchErrorKind.ConnectionLost)]
        [InlineData("/slow?ms=1000", FetchErrorKind.Timeout)]
        [InlineData("/bad-chunk-size", FetchErrorKind.Protocol)]
        public async Task A_failed_download_leaves_no_file(string path, FetchErrorKind expected)
        {
            using FetchEngine engine = NewEngine(configure: o => o.Timeout = TimeSpan.FromSeconds(1));
            FetchResult r = await Fetch(engine, new FetchRequest(_f.HostileUrl(path)) { OutDirectory = _dir });

            Assert.Equal(expected, r.ErrorKind);
            Assert.Null(r.OutFile);
            Assert.Empty(FilesInDir());
        }

        [Fact]
        public async Task A_cancelled_download_leaves_no_file()
        {
            using FetchEngine engine = NewEngine();
            using var cts = new CancellationTokenSource();
            Task<FetchResult> task = engine.FetchAsync(ToDir("/drip?bytes=100&delayMs=50"), cts.Token);
            Assert.True(await Eventually(() => FilesInDir().Length == 1, Patience), "the partial file never appeared");
            Assert.Contains(".partial-", FilesInDir()[0], StringComparison.Ordinal); // never under its real name while incomplete
            cts.Cancel();
            FetchResult r = await task.WaitAsync(Patience);

            Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind);
            Assert.Empty(FilesInDir());
        }

        [Fact]
        public async Task Disposing_the_engine_mid_download_leaves_no_file()
        {
            FetchEngine engine = NewEngine();
            Task<FetchResult> task = engine.FetchAsync(ToDir("/drip?bytes=100&delayMs=50"));
            Assert.True(await Eventually(() => FilesInDir().Length == 1, Patience), "the partial file never appeared");
            engine.Dispose();
            FetchResult r = await task.WaitAsync(Patience);

            Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind);
            Assert.Empty(FilesInDir());
        }

        [Theory]
        [InlineData("/gzip/3000000")]
        [InlineData("/deflate/200000")]
        [InlineData("/gzip/10")]
        public async Task A_compressed_download_is_decoded_on_disk(string path)
        {
            int size = int.Parse(path.Split('/').Last());
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, ToDir(path));

            Assert.Equal(FetchErrorKind.None, r.ErrorKind);
            Assert.Equal(size, r.ContentLength);
            Assert.Equal(Sha256(Pattern(size)), FileSha256(r.OutFile!));
            Assert.Equal(new[] { size.ToString() }, FilesInDir());
        }

        [Fact]
        public async Task A_corrupt_compressed_download_fails_and_leaves_no_file()
        {
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, ToDir("/gzip-broken?mode=truncated"));

            Assert.Equal(FetchErrorKind.Protocol, r.ErrorKind);
            Assert.Empty(FilesInDir());
        }

        [Fact]
        public async Task Max_response_bytes_does_not_limit_a_download()
        {
            const int Size = 10 * 1024 * 1024;
            using FetchEngine engine = NewEngine(configure: o => o.MaxResponseBytes = 64 * 1024);
            FetchResult r = await Fetch(engine, ToDir("/bytes/" + Size));

            Assert.Equal(FetchErrorKind.None, r.ErrorKind);
            Assert.Equal(Size, new FileInfo(r.OutFile!).Length);
            Assert.Equal(Sha256(Pattern(Size)), FileSha256(r.OutFile!));

            // ...while the same engine still limits a body kept in memory.
            FetchResult inMemory = await Fetch(engine, new FetchRequest(_f.Url("/bytes/" + Size)));
            Assert.Equal(FetchErrorKind.TooLarge, inMemory.ErrorKind);
        }

        [Theory]
        [InlineData("/bytes/5000")] // declared length: refused before a file exists
        [InlineData("/chunked/5000?chunk=500")] // found while writing
        [InlineData("/gzip/5000")] // found while decoding
        public async Task Max_download_bytes_limits_a_download_and_leaves_no_file(string path)
        {
            using FetchEngine engine = NewEngine(configure: o => o.MaxDownloadBytes = 4000);
            FetchResult r = await Fetch(engine, ToDir(path));

            Assert.Equal(FetchErrorKind.TooLarge, r.ErrorKind);
            Assert.Empty(FilesInDir());

            FetchResult allowed = await Fetch(engine, ToDir(path, q => q.MaxDownloadBytes = 5000));
            Assert.Equal(FetchErrorKind.None, allowed.ErrorKind);
            Assert.Equal(5000, allowed.ContentLength);
        }

        [Fact]
        public async Task Concurrent_downloads_of_one_name_all_get_distinct_files()
        {
            const int N = 20;
            using FetchEngine engine = NewEngine(configure: o => o.PerHostLimit = N);
            FetchResult[] results = await FetchAll(engine, Enumerable.Range(0, N).Select(_ => ToDir("/bytes/70000")));

            Assert.All(results, r => Assert.Equal(FetchErrorKind.None, r.ErrorKind));
            string[] paths = results.Select(r => r.OutFile!).ToArray();
            Assert.Equal(N, paths.Distinct().Count());
            string expected = Sha256(Pattern(70000));
            Assert.All(paths, p => Assert.Equal(expected, FileSha256(p)));
            string[] names = new[] { "70000" }.Concat(Enumerable.Range(1, N - 1).Select(i => $"70000 ({i})")).OrderBy(n => n, StringComparer.Ordinal).ToArray();
            Assert.Equal(names, FilesInDir());
        }

        [Fact]
        public async Task A_request_without_an_output_target_is_unchanged()
        {
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/bytes/1000")));

            Assert.Null(r.OutFile);
            Assert.Equal(Pattern(1000), r.GetBody());
        }

        [Fact]
        public void Clone_copies_the_output_settings()
        {
            var r = new FetchRequest("http://127.0.0.1/") { OutDirectory = "/d", OutFile = "/d/f", Force = true, MaxDownloadBytes = 5 };
            FetchRequest c = r.Clone();
            Assert.Equal(("/d", "/d/f", true, (long?)5), (c.OutDirectory, c.OutFile, c.Force, c.MaxDownloadBytes));
        }
    }
}
