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
    /// gzip bodies end to end, kept in memory and downloaded: a multi-member body (concatenated gzip files) is the
    /// concatenation of its members, and a corrupt one fails as Protocol with a message that says what is wrong.
    /// </summary>
    public sealed class GzipResponseTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "asyncfetch-gzipresp-" + Guid.NewGuid().ToString("N"));

        public GzipResponseTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private static byte[] Member(byte[] data)
        {
            var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(data);
            }

            return output.ToArray();
        }

        private static RawServer Serving(byte[] body) => new RawServer(async (c, token) =>
        {
            await c.SendAsync($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n", token);
            await c.SendAsync(body, token);
            await c.ReadAfterHeadAsync(token);
        });

        private FetchRequest Request(RawServer server, bool download) =>
            download ? new FetchRequest(server.Url("/data.txt")) { OutDirectory = _dir } : new FetchRequest(server.Url("/data.txt"));

        [Theory]
        [InlineData(false, 100)] // small: decoded on the loop
        [InlineData(true, 100)]
        [InlineData(false, 300_000)] // large: decoded on the thread pool
        [InlineData(true, 300_000)]
        public async Task A_multi_member_body_is_every_member_decoded(bool download, int size)
        {
            byte[] first = Pattern(size);
            byte[] second = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("second member\n", size / 10)));
            using RawServer server = Serving(Member(first).Concat(Member(second)).ToArray());
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, Request(server, download));

            Assert.True(r.Succeeded, r.ToString());
            byte[] expected = first.Concat(second).ToArray();
            Assert.Equal(expected.Length, r.ContentLength);
            Assert.Equal(expected, download ? File.ReadAllBytes(r.OutFile!) : r.GetBody());
        }

        /// <summary>Thousands of tiny members in a small body: more than the loop decodes itself, so they are decoded on the thread pool.</summary>
        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task Thousands_of_members_are_decoded(bool download)
        {
            byte[] member = Member(new[] { (byte)'x' });
            using RawServer server = Serving(Enumerable.Repeat(member, 3000).SelectMany(m => m).ToArray());
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, Request(server, download));

            Assert.True(r.Succeeded, r.ToString());
            Assert.Equal(3000, r.ContentLength);
            Assert.Equal(Enumerable.Repeat((byte)'x', 3000).ToArray(), download ? File.ReadAllBytes(r.OutFile!) : r.GetBody());
        }

        [Theory]
        [InlineData(false, 100)]
        [InlineData(true, 100)]
        [InlineData(false, 300_000)]
        [InlineData(true, 300_000)]
        public async Task A_bad_crc_is_a_protocol_error_that_says_so(bool download, int size)
        {
            byte[] body = Member(Pattern(size));
            body[^6] ^= 0x55;
            using RawServer server = Serving(body);
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, Request(server, download));

            Assert.Equal(FetchErrorKind.Protocol, r.ErrorKind);
            Assert.Contains("gzip response body is corrupt", r.ErrorMessage);
            Assert.Contains("CRC-32 mismatch", r.ErrorMessage);
            Assert.Empty(Directory.GetFileSystemEntries(_dir));
        }
    }
}
