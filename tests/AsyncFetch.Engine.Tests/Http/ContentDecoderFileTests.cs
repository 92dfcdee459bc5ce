using System;
using System.IO;
using System.IO.Compression;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Tests.Http
{
    /// <summary>ContentDecoder.DecodeFile (compressed downloads): the same checks as in memory, file to stream.</summary>
    public sealed class ContentDecoderFileTests : IDisposable
    {
        private readonly string _path = Path.Combine(Path.GetTempPath(), "asyncfetch-decode-" + Guid.NewGuid().ToString("N"));

        public void Dispose() => File.Delete(_path);

        private static byte[] Sample()
        {
            var data = new byte[300_000];
            new Random(5).NextBytes(data.AsSpan(0, 100_000));
            return data; // noise, then zeros
        }

        private static byte[] Compress(byte[] data, string format)
        {
            var output = new MemoryStream();
            using (Stream s = format switch
            {
                "gzip" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
                "zlib" => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
                _ => new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true),
            })
            {
                s.Write(data);
            }

            return output.ToArray();
        }

        private ContentDecoder.Outcome DecodeFile(byte[] encoded, string encoding, long max, out byte[] decoded, out string? error)
        {
            File.WriteAllBytes(_path, encoded);
            var output = new MemoryStream();
            ContentDecoder.Outcome outcome = ContentDecoder.DecodeFile(_path, encoding, max, output, out long length, out error);
            decoded = output.ToArray();
            Assert.True(length >= decoded.Length, "counted fewer bytes than were written");
            return outcome;
        }

        [Theory]
        [InlineData("gzip", "gzip")]
        [InlineData("zlib", "deflate")]
        [InlineData("raw", "deflate")]
        public void Round_trips(string format, string encoding)
        {
            byte[] sample = Sample();
            Assert.Equal(ContentDecoder.Outcome.Decoded, DecodeFile(Compress(sample, format), encoding, -1, out byte[] decoded, out _));
            Assert.Equal(sample, decoded);
        }

        [Theory]
        [InlineData("gzip", "gzip")]
        [InlineData("zlib", "deflate")]
        public void A_truncated_or_altered_body_is_broken(string format, string encoding)
        {
            byte[] encoded = Compress(Sample(), format);
            Assert.Equal(ContentDecoder.Outcome.Broken, DecodeFile(encoded.AsSpan(0, encoded.Length - 3).ToArray(), encoding, -1, out _, out string? error));
            Assert.NotNull(error);

            encoded[^2] ^= 0x55; // the trailer no longer matches
            Assert.Equal(ContentDecoder.Outcome.Broken, DecodeFile(encoded, encoding, -1, out _, out _));
        }

        [Fact]
        public void The_limit_stops_decoding()
        {
            Assert.Equal(ContentDecoder.Outcome.TooLarge, DecodeFile(Compress(Sample(), "gzip"), "gzip", 100_000, out byte[] decoded, out string? error));
            Assert.NotNull(error);
            Assert.True(decoded.Length <= 100_000 + (16 * 1024));
        }

        [Fact]
        public void An_empty_file_decodes_to_nothing()
        {
            Assert.Equal(ContentDecoder.Outcome.Decoded, DecodeFile(Array.Empty<byte>(), "gzip", -1, out byte[] decoded, out _));
            Assert.Empty(decoded);
        }
    }
}
