using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Requests
{
    /// <summary>
    /// Transfer codings end to end, from a server that sends exactly these bytes: gzip, x-gzip and deflate are removed
    /// (under chunked, or read until the server closes), before any Content-Encoding; a coding we cannot remove, chunked
    /// twice or chunked before another coding fails as Protocol; framing never reaches the body; a transfer-coded bomb
    /// meets the same limits as a content-coded one.
    /// </summary>
    public sealed class TransferCodingTests : IDisposable
    {
        private const string Text = "hello from a transfer-coded body";
        private readonly string _root = Path.Combine(Path.GetTempPath(), "asyncfetch-te-" + Guid.NewGuid().ToString("N"));

        public TransferCodingTests() => Directory.CreateDirectory(_root);

        public void Dispose() => Directory.Delete(_root, recursive: true);

        private static byte[] Gzip(byte[] data)
        {
            var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                gzip.Write(data);
            }

            return output.ToArray();
        }

        private static byte[] Zlib(byte[] data)
        {
            var output = new MemoryStream();
            using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                zlib.Write(data);
            }

            return output.ToArray();
        }

        private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

        /// <summary>A status line and header fields, then the body in chunks of at most 7 bytes and the last chunk.</summary>
        private static byte[] Chunked(string head, byte[] body)
        {
            var output = new MemoryStream();
            output.Write(Ascii("HTTP/1.1 200 OK\r\n" + head + "\r\n\r\n"));
            for (int i = 0; i < body.Length; i += 7)
            {
                int n = Math.Min(7, body.Length - i);
                output.Write(Ascii(n.ToString("x") + "\r\n"));
                output.Write(body, i, n);
                output.Write(Ascii("\r\n"));
            }

            output.Write(Ascii("0\r\n\r\n"));
            return output.ToArray();
        }

        /// <summary>A response whose body ends when the server closes the connection.</summary>
        private static byte[] UntilClose(string head, byte[] body) => Ascii("HTTP/1.1 200 OK\r\n" + head + "\r\n\r\n").Concat(body).ToArray();

        private static async Task<FetchResult> FetchFrom(byte[] response, Action<FetchEngineOptions>? configure = null, Action<FetchRequest>? request = null)
        {
            using RawServer server = RawServer.Answering(response);
            using FetchEngine engine = NewEngine(configure: o =>
            {
                o.Timeout = TimeSpan.FromSeconds(20);
                configure?.Invoke(o);
            });
            var r = new FetchRequest(server.Url("/"));
            request?.Invoke(r);
            return await Fetch(engine, r);
        }

        private static void AssertBody(FetchResult r, string expected)
        {
            Assert.True(r.ErrorKind == FetchErrorKind.None, $"{r.ErrorKind}: {r.ErrorMessage}");
            Assert.Equal(200, r.StatusCode);
            Assert.Equal(expected, Encoding.ASCII.GetString(r.GetBody()!));
            Assert.Equal(expected.Length, r.ContentLength);
        }

        [Fact]
        public async Task Gzip_under_chunked_is_removed()
        {
            AssertBody(await FetchFrom(Chunked("Transfer-Encoding: gzip, chunked", Gzip(Ascii(Text)))), Text);
        }

        [Fact]
        public async Task Gzip_alone_is_removed_from_a_body_read_until_close()
        {
            AssertBody(await FetchFrom(UntilClose("Transfer-Encoding: gzip", Gzip(Ascii(Text)))), Text);
        }

        [Fact]
        public async Task Gzip_alone_with_a_Content_Length_is_read_until_close_and_removed()
        {
            AssertBody(await FetchFrom(UntilClose("Transfer-Encoding: gzip\r\nContent-Length: 3", Gzip(Ascii(Text)))), Text);
        }

        [Fact]
        public async Task X_gzip_and_deflate_are_removed()
        {
            AssertBody(await FetchFrom(UntilClose("Transfer-Encoding: x-gzip", Gzip(Ascii(Text)))), Text);
            AssertBody(await FetchFrom(Chunked("Transfer-Encoding: deflate, chunked", Zlib(Ascii(Text)))), Text);
        }

        [Fact]
        public async Task Identity_is_no_coding()
        {
            AssertBody(await FetchFrom(Chunked("Transfer-Encoding: identity, chunked", Ascii(Text))), Text);
        }

        [Fact]
        public async Task Stacked_codings_are_removed_last_applied_first()
        {
            // deflate applied first, then gzip: gzip comes off first.
            AssertBody(await FetchFrom(Chunked("Transfer-Encoding: deflate, gzip, chunked", Gzip(Zlib(Ascii(Text))))), Text);
        }

        [Fact]
        public async Task Transfer_codings_come_off_before_the_content_coding()
        {
            // The representation is deflate-coded (Content-Encoding); gzip was applied on top for the transfer.
            byte[] wire = Gzip(Zlib(Ascii(Text)));
            AssertBody(await FetchFrom(Chunked("Content-Encoding: deflate\r\nTransfer-Encoding: gzip, chunked", wire)), Text);
        }

        [Fact]
        public async Task Without_automatic_decompression_only_the_transfer_coding_comes_off()
        {
            byte[] representation = Gzip(Ascii(Text));
            FetchResult r = await FetchFrom(Chunked("Content-Encoding: gzip\r\nTransfer-Encoding: gzip, chunked", Gzip(representation)), o => o.AutomaticDecompression = false);
            Assert.True(r.ErrorKind == FetchErrorKind.None, r.ErrorMessage);
            Assert.Equal(representation, r.GetBody());
            Assert.Equal("gzip", r.Headers["Content-Encoding"]);
        }

        [Theory]
        [InlineData("chunked, chunked")]
        [InlineData("chunked\r\nTransfer-Encoding: chunked")]
        [InlineData("chunked, x")]
        [InlineData("chunked, gzip")]
        [InlineData("x")]
        [InlineData("x, chunked")]
        [InlineData("compress, chunked")]
        [InlineData("gzip, gzip, gzip, gzip, chunked")]
        public async Task A_transfer_coding_that_cannot_be_removed_is_a_protocol_error(string codings)
        {
            // The body is chunked once over plain text: read as chunked it would "succeed", framing and all.
            FetchResult r = await FetchFrom(Chunked("Transfer-Encoding: " + codings, Ascii("3\r\nabc\r\n0\r\n\r\n")));
            Assert.Equal(FetchErrorKind.Protocol, r.ErrorKind);
            Assert.Contains("transfer", r.ErrorMessage, StringComparison.OrdinalIgnoreCase);
            Assert.Null(r.GetBody());
        }

        [Fact]
        public async Task A_corrupt_transfer_gzip_body_is_a_protocol_error()
        {
            byte[] gz = Gzip(Ascii(Text));
            gz[gz.Length - 5] ^= 0xFF; // the CRC-32
            FetchResult r = await FetchFrom(Chunked("Transfer-Encoding: gzip, chunked", gz));
            Assert.Equal(FetchErrorKind.Protocol, r.ErrorKind);
            Assert.Null(r.GetBody());
        }

        [Fact]
        public async Task A_transfer_gzip_bomb_is_TooLarge_at_MaxResponseBytes()
        {
            byte[] bomb = Gzip(new byte[8 << 20]);
            Assert.True(bomb.Length < 64 * 1024, "bomb of " + bomb.Length + " bytes");
            FetchResult r = await FetchFrom(Chunked("Transfer-Encoding: gzip, chunked", bomb), o => o.MaxResponseBytes = 1 << 20);
            Assert.Equal(FetchErrorKind.TooLarge, r.ErrorKind);
            Assert.Contains((1 << 20).ToString(), r.ErrorMessage);
            Assert.Null(r.GetBody());
        }

        [Fact]
        public async Task A_transfer_gzip_body_of_many_megabytes_is_decoded_whole_and_counted_when_discarded()
        {
            byte[] bomb = Gzip(new byte[24 << 20]);
            FetchResult r = await FetchFrom(UntilClose("Transfer-Encoding: gzip", bomb), request: q => q.DiscardBody = true);
            Assert.True(r.ErrorKind == FetchErrorKind.None, r.ErrorMessage);
            Assert.Equal(24L << 20, r.ContentLength);
        }

        [Fact]
        public async Task A_download_has_its_transfer_and_content_codings_removed()
        {
            byte[] wire = Gzip(Gzip(Ascii(Text)));
            string file = Path.Combine(_root, "out.txt");
            FetchResult r = await FetchFrom(Chunked("Content-Encoding: gzip\r\nTransfer-Encoding: gzip, chunked", wire), request: q => q.OutFile = file);
            Assert.True(r.ErrorKind == FetchErrorKind.None, r.ErrorMessage);
            Assert.Equal(file, r.OutFile);
            Assert.Equal(Text, File.ReadAllText(file));
            Assert.Equal(new[] { "out.txt" }, Directory.GetFiles(_root).Select(Path.GetFileName));
        }

        [Fact]
        public async Task A_transfer_gzip_bomb_download_is_TooLarge_and_leaves_no_file()
        {
            byte[] bomb = Gzip(new byte[8 << 20]);
            FetchResult r = await FetchFrom(Chunked("Transfer-Encoding: gzip, chunked", bomb), request: q =>
            {
                q.OutDirectory = _root;
                q.MaxDownloadBytes = 1 << 20;
            });
            Assert.Equal(FetchErrorKind.TooLarge, r.ErrorKind);
            Assert.Empty(Directory.GetFileSystemEntries(_root));
        }
    }
}
