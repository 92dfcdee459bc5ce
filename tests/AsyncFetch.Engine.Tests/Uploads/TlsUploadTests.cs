using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using AsyncFetch.Engine.Tests.Support;

namespace AsyncFetch.Engine.Tests.Uploads
{
    /// <summary>Streamed bodies over TLS: each block goes through SslStream from the upload's own buffer.</summary>
    public sealed class TlsUploadTests : IClassFixture<TlsFixture>
    {
        private readonly TlsFixture _tls;

        public TlsUploadTests(TlsFixture tls) => _tls = tls;

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task A_file_and_a_chunked_stream_arrive_whole_over_https(bool chunked)
        {
            byte[] data = UploadTests.Pattern(500_000);
            string path = Path.Combine(Path.GetTempPath(), "af-tls-upload-" + Guid.NewGuid().ToString("N"));
            File.WriteAllBytes(path, data);
            try
            {
                using var engine = new FetchEngine(TlsFixture.Options());
                using var stream = new NonSeekable(File.OpenRead(path));
                FetchRequestBody body = chunked ? FetchRequestBody.FromStream(stream) : FetchRequestBody.FromFile(path);

                FetchResult result = await engine.FetchAsync(new FetchRequest(_tls.Url("/echo")) { Method = "POST", Content = body });
                Assert.Equal(200, result.StatusCode);
                JsonElement echo = JsonDocument.Parse(result.Body!).RootElement;
                Assert.Equal(data.Length, echo.GetProperty("bodyLength").GetInt64());
                Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(data)).ToLowerInvariant(), echo.GetProperty("bodySha256").GetString());
            }
            finally
            {
                File.Delete(path);
            }
        }

        private sealed class NonSeekable : Stream
        {
            private readonly Stream _inner;

            public NonSeekable(Stream inner) => _inner = inner;

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => throw new NotSupportedException();

            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

            public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                _inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
