using System;
using System.IO;
using System.IO.Compression;
using System.Text;
using AsyncFetch.Engine.Http;
using Xunit.Abstractions;

namespace AsyncFetch.Engine.Tests.Requests
{
    /// <summary>
    /// The memory one compressed response costs: at most the limit plus a small constant, for a body that decodes to
    /// far more than the limit (a bomb) and for one that decodes to just under it. Growing the decoded body by
    /// doubling, then copying it out, took 2-4 times the limit. Measured in a process of its own
    /// (<see cref="DecodeMemoryProbe"/>: peak working set and allocations), and on the decoder itself (the bytes
    /// its thread allocates, which other tests running meanwhile do not blur).
    /// </summary>
    [Collection(MemoryMeasurementCollection.Name)]
    public sealed class DecodeMemoryTests
    {
        private const long Limit = 256L << 20; // the default MaxResponseBytes
        private const long Slack = 64L << 20;

        private readonly ITestOutputHelper _output;

        public DecodeMemoryTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void A_gzip_bomb_fails_as_TooLarge_within_the_limit_plus_a_constant()
        {
            DecodeMemoryProbe.Report report = DecodeMemoryProbe.Measure(1L << 30, Limit);
            _output.WriteLine(report.ToString());
            Assert.Equal(FetchErrorKind.TooLarge, report.Kind);
            Assert.True(report.PeakGrowth <= Limit + Slack, $"the working set grew by {report.PeakGrowth >> 20} MiB for a limit of {Limit >> 20} MiB: {report}");
            Assert.True(report.Allocated <= Limit + Slack, $"{report.Allocated >> 20} MiB were allocated for a limit of {Limit >> 20} MiB: {report}");
        }

        [Fact]
        public void A_body_that_decodes_to_just_under_the_limit_succeeds_within_the_same_bound()
        {
            long size = Limit - (1L << 20);
            DecodeMemoryProbe.Report report = DecodeMemoryProbe.Measure(size, Limit);
            _output.WriteLine(report.ToString());
            Assert.Equal(FetchErrorKind.None, report.Kind);
            Assert.Equal(size, report.ContentLength);
            Assert.Equal(size, report.BodyLength);
            Assert.True(report.PeakGrowth <= Limit + Slack, $"the working set grew by {report.PeakGrowth >> 20} MiB for a limit of {Limit >> 20} MiB: {report}");
            Assert.True(report.Allocated <= Limit + Slack, $"{report.Allocated >> 20} MiB were allocated for a limit of {Limit >> 20} MiB: {report}");
        }

        /// <summary>40 MiB of text and noise, so that every codec has real work and the result can be compared.</summary>
        private static byte[] Content()
        {
            var content = new byte[40 << 20];
            byte[] line = Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog. ");
            var random = new Random(11);
            for (int at = 0; at < content.Length; at += 64 * 1024)
            {
                Span<byte> block = content.AsSpan(at, Math.Min(64 * 1024, content.Length - at));
                if (random.Next(4) == 0)
                {
                    random.NextBytes(block);
                }
                else
                {
                    for (int i = 0; i < block.Length; i++)
                    {
                        block[i] = line[(at + i) % line.Length];
                    }
                }
            }

            return content;
        }

        private static byte[] Compress(byte[] data, string encoding)
        {
            var output = new MemoryStream();
            using (Stream s = encoding switch
            {
                "gzip" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
                "deflate" => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
                _ => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            })
            {
                s.Write(data);
            }

            return output.ToArray();
        }

        [Theory]
        [InlineData("gzip")]
        [InlineData("deflate")]
        [InlineData("br")]
        public void A_large_body_is_decoded_into_one_array_of_its_size(string encoding)
        {
            byte[] content = Content();
            byte[] encoded = Compress(content, encoding);
            long before = GC.GetAllocatedBytesForCurrentThread();
            ContentDecoder.Outcome outcome = ContentDecoder.Decode(encoded, encoded.Length, encoding, Limit, keep: true, out byte[]? decoded, out long length, out string? error);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            _output.WriteLine($"{encoding}: {encoded.Length} bytes decoded to {length}; allocated {allocated >> 20} MiB");

            Assert.True(outcome == ContentDecoder.Outcome.Decoded, $"{outcome}: {error}");
            Assert.True(content.AsSpan().SequenceEqual(decoded), "the decoded body differs");
            Assert.True(allocated <= content.Length + ContentDecoder.SmallOutput + (4 << 20), $"decoding {content.Length >> 20} MiB allocated {allocated >> 20} MiB");
        }

        [Fact]
        public void A_bomb_allocates_little_before_it_fails()
        {
            byte[] bomb = DecodeMemoryProbe.GzipOfZeros(512L << 20);
            long before = GC.GetAllocatedBytesForCurrentThread();
            ContentDecoder.Outcome outcome = ContentDecoder.Decode(bomb, bomb.Length, "gzip", Limit, keep: true, out byte[]? decoded, out long length, out _);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            _output.WriteLine($"{bomb.Length} bytes of gzip: {outcome} after {length} bytes; allocated {allocated >> 20} MiB");

            Assert.Equal(ContentDecoder.Outcome.TooLarge, outcome);
            Assert.Null(decoded);
            Assert.True(allocated <= ContentDecoder.SmallOutput + (4 << 20), $"a bomb stopped at {Limit >> 20} MiB allocated {allocated >> 20} MiB");
        }
    }
}
