using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using AsyncFetch.Engine.Tests.Support;

namespace AsyncFetch.Engine.Tests.Uploads
{
    /// <summary>Streamed request bodies (<see cref="FetchRequest.Content"/>) against the test server's echo endpoints.</summary>
    public sealed class UploadTests : IClassFixture<ServerFixture>, IDisposable
    {
        private readonly ServerFixture _server;
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "af-upload-" + Guid.NewGuid().ToString("N"));

        public UploadTests(ServerFixture server)
        {
            _server = server;
            Directory.CreateDirectory(_dir);
        }

        public void Dispose() => Directory.Delete(_dir, true);

        [Fact]
        public async Task A_file_goes_with_its_length_and_its_bytes()
        {
            byte[] data = Pattern(300_000);
            string path = Write("data.bin", data);
            JsonElement echo = await PostAsync("/echo", FetchRequestBody.FromFile(path));
            Assert.Equal(data.Length, echo.GetProperty("bodyLength").GetInt64());
            Assert.Equal(Sha(data), echo.GetProperty("bodySha256").GetString());
            Assert.Equal(data.Length.ToString(), echo.GetProperty("headers").GetProperty("Content-Length").GetString());
        }

        [Theory]
        [InlineData(0)]
        [InlineData(1)]
        [InlineData(65_536)]
        [InlineData(200_001)]
        public async Task A_stream_that_cannot_seek_goes_chunked(int size)
        {
            byte[] data = Pattern(size);
            JsonElement echo = await PostAsync("/echo", FetchRequestBody.FromStream(new ForwardOnlyStream(data)));
            Assert.Equal(size, echo.GetProperty("bodyLength").GetInt64());
            Assert.Equal(Sha(data), echo.GetProperty("bodySha256").GetString());
            Assert.Equal("chunked", echo.GetProperty("headers").GetProperty("Transfer-Encoding").GetString());
        }

        [Fact]
        public async Task A_seekable_stream_goes_from_its_position_with_a_length()
        {
            byte[] data = Pattern(100_000);
            var stream = new MemoryStream(data) { Position = 1000 };
            JsonElement echo = await PostAsync("/echo", FetchRequestBody.FromStream(stream));
            Assert.Equal(99_000, echo.GetProperty("bodyLength").GetInt64());
            Assert.Equal(Sha(data.Skip(1000).ToArray()), echo.GetProperty("bodySha256").GetString());
        }

        [Fact]
        public async Task A_307_resends_a_file_but_not_a_stream_that_cannot_seek()
        {
            byte[] data = Pattern(50_000);
            string path = Write("r.bin", data);
            string target = "/redirect-to?status=307&url=" + Uri.EscapeDataString(_server.Url("/echo").ToString());
            JsonElement echo = await PostAsync(target, FetchRequestBody.FromFile(path));
            Assert.Equal(Sha(data), echo.GetProperty("bodySha256").GetString());

            using var engine = new FetchEngine();
            FetchResult once = await engine.FetchAsync(new FetchRequest(_server.Url(target)) { Method = "POST", Content = FetchRequestBody.FromStream(new ForwardOnlyStream(data)) });
            Assert.Equal(FetchErrorKind.InvalidRequest, once.ErrorKind);
            Assert.Contains("cannot be sent again", once.ErrorMessage);
        }

        [Fact]
        public async Task A_form_sends_fields_and_files_as_parts_with_their_headers()
        {
            byte[] data = Pattern(150_000);
            string path = Write("report 1.bin", data);
            var form = new MultipartFormBody().AddField("title", "héllo").AddFile("upload", path).AddField("tag", "a").AddField("tag", "b");
            JsonElement echo = await PostAsync("/multipart", form);
            Assert.Equal(form.ContentType, echo.GetProperty("contentType").GetString());
            Assert.Equal(form.Length, echo.GetProperty("contentLength").GetInt64());
            JsonElement[] parts = echo.GetProperty("parts").EnumerateArray().ToArray();
            Assert.Equal(new[] { "title", "upload", "tag", "tag" }, parts.Select(p => p.GetProperty("name").GetString()));
            Assert.Equal("héllo", parts[0].GetProperty("value").GetString());
            Assert.Equal("text/plain; charset=utf-8", parts[0].GetProperty("contentType").GetString());
            Assert.Equal("report 1.bin", parts[1].GetProperty("fileName").GetString());
            Assert.Equal("application/octet-stream", parts[1].GetProperty("contentType").GetString());
            Assert.Equal(data.Length, parts[1].GetProperty("length").GetInt64());
            Assert.Equal(Sha(data), parts[1].GetProperty("sha256").GetString());
            Assert.Equal("b", parts[3].GetProperty("value").GetString());
        }

        [Fact]
        public async Task A_file_that_is_gone_fails_the_request_as_a_file_error()
        {
            string path = Write("gone.bin", Pattern(10));
            FetchRequestBody body = FetchRequestBody.FromFile(path);
            File.Delete(path);
            using var engine = new FetchEngine();
            FetchResult result = await engine.FetchAsync(new FetchRequest(_server.Url("/echo")) { Method = "POST", Content = body });
            Assert.Equal(FetchErrorKind.File, result.ErrorKind);
            Assert.Contains("request body", result.ErrorMessage);
        }

        [Fact]
        public void Body_and_Content_together_are_invalid()
        {
            using var engine = new FetchEngine();
            FetchResult result = engine.FetchAsync(new FetchRequest(_server.Url("/echo")) { Method = "POST", Body = new byte[1], Content = FetchRequestBody.FromBytes(new byte[1]) }).Result;
            Assert.Equal(FetchErrorKind.InvalidRequest, result.ErrorKind);
        }

        internal static byte[] Pattern(int size)
        {
            var data = new byte[size];
            new Random(size).NextBytes(data);
            return data;
        }

        private static string Sha(byte[] data) => Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

        private string Write(string name, byte[] data)
        {
            string path = Path.Combine(_dir, name);
            File.WriteAllBytes(path, data);
            return path;
        }

        private async Task<JsonElement> PostAsync(string path, FetchRequestBody body)
        {
            using var engine = new FetchEngine();
            FetchResult result = await engine.FetchAsync(new FetchRequest(_server.Url(path)) { Method = "POST", Content = body });
            Assert.True(result.ErrorKind == FetchErrorKind.None && result.StatusCode == 200, result.ToString() + " " + result.ErrorMessage + " " + Encoding.UTF8.GetString(result.Body ?? Array.Empty<byte>()));
            return JsonDocument.Parse(result.Body!).RootElement;
        }

        /// <summary>A read-only stream that cannot seek and returns small reads.</summary>
        private sealed class ForwardOnlyStream : Stream
        {
            private readonly MemoryStream _inner;

            public ForwardOnlyStream(byte[] data) => _inner = new MemoryStream(data);

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => throw new NotSupportedException();

            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

            public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7000));

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }
}
