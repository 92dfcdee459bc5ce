using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Tests.Http
{
    /// <summary>
    /// gzip framing (RFC 1952), the same in memory and from a file: every member of a multi-member body is decoded
    /// and checked (CRC-32 and ISIZE of each), corruption is named for what it is (a CRC or length mismatch, a
    /// truncation, a bad header), and bytes after the last member that are not a member make the body corrupt.
    /// </summary>
    public sealed class GzipMemberTests : IDisposable
    {
        private readonly string _path = Path.Combine(Path.GetTempPath(), "asyncfetch-gzip-" + Guid.NewGuid().ToString("N"));

        public void Dispose() => File.Delete(_path);

        public static IEnumerable<object[]> Sources() => new[] { new object[] { "memory" }, new object[] { "file" } };

        private static readonly byte[] A = Text("The quick brown fox jumps over the lazy dog. ", 4000, seed: 1); // ~250 KB
        private static readonly byte[] B = Text("Pack my box with five dozen liquor jugs! ", 3000, seed: 2);
        private static readonly byte[] C = Text("Sphinx of black quartz, judge my vow. ", 10, seed: 3);

        /// <summary>Text with noise in it, so that a member's compressed data is long and its end falls anywhere.</summary>
        private static byte[] Text(string line, int repeat, int seed)
        {
            var noise = new byte[repeat * 4];
            new Random(seed).NextBytes(noise);
            return Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(line, repeat))).Concat(noise).ToArray();
        }

        private static byte[] Member(byte[] data)
        {
            var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(data);
            }

            return output.ToArray();
        }

        private static byte[] RawDeflate(byte[] data)
        {
            var output = new MemoryStream();
            using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                deflate.Write(data);
            }

            return output.ToArray();
        }

        /// <summary>A member with the optional header fields (FEXTRA, FNAME, FCOMMENT, FHCRC), built by hand.</summary>
        private static byte[] MemberWithHeaderFields(byte[] data, bool goodHeaderCrc = true)
        {
            var header = new List<byte> { 0x1F, 0x8B, 8, 0x02 | 0x04 | 0x08 | 0x10, 1, 2, 3, 4, 0, 3 };
            header.AddRange(new byte[] { 5, 0, (byte)'A', (byte)'b', 1, 0, 9 }); // XLEN 5: one subfield "Ab" of 1 byte
            header.AddRange(Encoding.ASCII.GetBytes("name.txt\0"));
            header.AddRange(Encoding.ASCII.GetBytes("a comment\0"));
            byte[] soFar = header.ToArray();
            uint headerCrc = Checksums.Crc32(0, soFar, soFar.Length) ^ (goodHeaderCrc ? 0u : 1u);
            header.Add((byte)headerCrc);
            header.Add((byte)(headerCrc >> 8));
            header.AddRange(RawDeflate(data));
            header.AddRange(Trailer(Checksums.Crc32(0, data, data.Length), (uint)data.Length));
            return header.ToArray();
        }

        /// <summary>A member of no content: header, an empty final fixed-Huffman block, a zero trailer (GZipStream writes nothing at all for no input).</summary>
        private static byte[] EmptyMember() => new byte[] { 0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0 };

        private static byte[] Trailer(uint crc, uint size) => BitConverter.GetBytes(crc).Concat(BitConverter.GetBytes(size)).ToArray();

        private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

        private ContentDecoder.Outcome Decode(string source, byte[] encoded, long max, out byte[]? decoded, out string? error)
        {
            ContentDecoder.Outcome outcome;
            if (source == "memory")
            {
                outcome = ContentDecoder.Decode(encoded, encoded.Length, "gzip", max, keep: true, out decoded, out long length, out error);
                Assert.True(decoded == null || decoded.Length == length);
            }
            else
            {
                File.WriteAllBytes(_path, encoded);
                var output = new MemoryStream();
                outcome = ContentDecoder.DecodeFile(_path, "gzip", max, output, out long length, out error);
                decoded = outcome == ContentDecoder.Outcome.Decoded ? output.ToArray() : null;
                Assert.True(decoded == null || decoded.Length == length);
            }

            Assert.Equal(outcome is ContentDecoder.Outcome.Broken or ContentDecoder.Outcome.TooLarge, error != null);
            return outcome;
        }

        private void AssertCorrupt(string source, byte[] encoded, params string[] expected)
        {
            ContentDecoder.Outcome outcome = Decode(source, encoded, -1, out byte[]? decoded, out string? error);
            Assert.True(outcome == ContentDecoder.Outcome.Broken, $"{outcome}: {error}");
            Assert.Null(decoded);
            Assert.StartsWith("The gzip response body is corrupt: ", error);
            Assert.DoesNotContain("unsupported compression method", error, StringComparison.OrdinalIgnoreCase);
            foreach (string part in expected)
            {
                Assert.Contains(part, error, StringComparison.Ordinal);
            }
        }

        [Theory]
        [MemberData(nameof(Sources))]
        public void A_bad_crc_is_named_as_a_crc_mismatch(string source)
        {
            byte[] encoded = Member(A);
            encoded[^6] ^= 0x55; // inside the CRC-32 of the trailer
            AssertCorrupt(source, encoded, "CRC-32 mismatch");
        }

        [Theory]
        [MemberData(nameof(Sources))]
        public void A_bad_isize_is_named_as_a_length_mismatch(string source)
        {
            byte[] encoded = Member(A);
            encoded[^2] ^= 0x01; // inside ISIZE
            AssertCorrupt(source, encoded, "length mismatch", $"{A.Length}");
        }

        [Theory]
        [InlineData("memory", 5, "header")] // inside the 10-byte header
        [InlineData("memory", -100, "compressed data")] // halfway
        [InlineData("memory", -3, "trailer")] // 3 bytes short of the end
        [InlineData("file", 5, "header")]
        [InlineData("file", -100, "compressed data")]
        [InlineData("file", -3, "trailer")]
        public void A_truncated_body_is_named_as_truncated(string source, int cut, string where)
        {
            byte[] encoded = Member(A);
            int length = cut == -100 ? encoded.Length / 2 : cut < 0 ? encoded.Length + cut : cut;
            AssertCorrupt(source, encoded.AsSpan(0, length).ToArray(), "truncated", where);
        }

        [Theory]
        [MemberData(nameof(Sources))]
        public void Bad_headers_are_named(string source)
        {
            AssertCorrupt(source, Encoding.ASCII.GetBytes("<html>not gzip at all</html>"), "not gzip");
            byte[] method = Member(C);
            method[2] = 7;
            AssertCorrupt(source, method, "compression method 7");
            byte[] flags = Member(C);
            flags[3] = 0x20;
            AssertCorrupt(source, flags, "reserved");
            AssertCorrupt(source, MemberWithHeaderFields(C, goodHeaderCrc: false), "header CRC");
        }

        [Theory]
        [MemberData(nameof(Sources))]
        public void Corrupt_compressed_data_is_named_without_the_frameworks_misleading_message(string source)
        {
            byte[] encoded = Member(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("abc", 1000))));
            encoded[10] = 0xFF; // the first deflate block header: BTYPE 11 is reserved
            AssertCorrupt(source, encoded, "compressed data is invalid");
        }

        [Theory]
        [MemberData(nameof(Sources))]
        public void Optional_header_fields_are_skipped(string source)
        {
            Assert.Equal(ContentDecoder.Outcome.Decoded, Decode(source, MemberWithHeaderFields(B), -1, out byte[]? decoded, out _));
            Assert.Equal(B, decoded);
        }

        [Theory]
        [MemberData(nameof(Sources))]
        public void Two_members_decode_to_both_contents(string source)
        {
            Assert.Equal(ContentDecoder.Outcome.Decoded, Decode(source, Concat(Member(A), Member(B)), -1, out byte[]? decoded, out string? error));
            Assert.Null(error);
            Assert.Equal(Concat(A, B), decoded);
        }

        [Theory]
        [MemberData(nameof(Sources))]
        public void Three_members_decode_to_all_contents(string source)
        {
            Assert.Equal(ContentDecoder.Outcome.Decoded, Decode(source, Concat(Member(C), MemberWithHeaderFields(A), Member(B)), -1, out byte[]? decoded, out _));
            Assert.Equal(Concat(C, A, B), decoded);
        }

        [Theory]
        [MemberData(nameof(Sources))]
        public void Many_small_members_decode(string source)
        {
            byte[][] parts = Enumerable.Range(0, 300).Select(i => Encoding.ASCII.GetBytes($"line {i}\n")).ToArray();
            Assert.Equal(ContentDecoder.Outcome.Decoded, Decode(source, Concat(parts.Select(Member).ToArray()), -1, out byte[]? decoded, out _));
            Assert.Equal(Concat(parts), decoded);
        }

        [Theory]
        [MemberData(nameof(Sources))]
        public void Empty_members_add_nothing(string source)
        {
            byte[] empty = EmptyMember();
            Assert.Equal(ContentDecoder.Outcome.Decoded, Decode(source, empty, -1, out byte[]? decoded, out _));
            Assert.Empty(decoded!);
            Assert.Equal(ContentDecoder.Outcome.Decoded, Decode(source, Concat(empty, empty), -1, out decoded, out _));
            Assert.Empty(decoded!);
            Assert.Equal(ContentDecoder.Outcome.Decoded, Decode(source, Concat(empty, Member(C), empty, empty, Member(B), empty), -1, out decoded, out _));
            Assert.Equal(Concat(C, B), decoded);
        }

        [Theory]
        [MemberData(nameof(Sources))]
        public void A_bad_crc_in_a_middle_member_is_named_with_the_member(string source)
        {
            byte[] second = Member(B);
            second[^6] ^= 0x55;
            AssertCorrupt(source, Concat(Member(A), second, Member(C)), "CRC-32 mismatch", "member 2");
        }

        /// <summary>
        /// Bytes after a complete member that are not another member: curl fails such a body (it stops at the end of
        /// the first member and reports any byte after it as an error) and so did this decoder; gzip(1) warns
        /// "trailing garbage ignored". They stay an error: they are corrupt data, not content.
        /// </summary>
        [Theory]
        [InlineData("memory", "garbage")]
        [InlineData("memory", "zeros")]
        [InlineData("memory", "magic")]
        [InlineData("memory", "member-then-garbage")]
        [InlineData("file", "garbage")]
        [InlineData("file", "zeros")]
        [InlineData("file", "magic")]
        [InlineData("file", "member-then-garbage")]
        public void Bytes_after_the_last_member_make_the_body_corrupt(string source, string tail)
        {
            byte[] encoded = tail switch
            {
                "garbage" => Concat(Member(A), Encoding.ASCII.GetBytes("\r\n<!-- trailing junk -->\r\n")),
                "zeros" => Concat(Member(A), new byte[16]),
                "magic" => Concat(Member(A), new byte[] { 0x1F, 0x8B }), // the start of a member, cut short
                _ => Concat(Member(A), Member(C), new byte[] { 0x00, 0x42 }),
            };
            AssertCorrupt(source, encoded, tail == "magic" ? "truncated" : "after the end of the gzip data");
        }

        /// <summary>Every prefix of a three-member body is corrupt, unless it ends where a member ends.</summary>
        [Fact]
        public void Every_cut_fails_unless_it_falls_between_members()
        {
            byte[][] members = { Member(C), MemberWithHeaderFields(C), Member(Encoding.ASCII.GetBytes("x")) };
            byte[] encoded = Concat(members);
            int[] boundaries = { 0, members[0].Length, members[0].Length + members[1].Length, encoded.Length };
            for (int cut = 0; cut <= encoded.Length; cut++)
            {
                ContentDecoder.Outcome outcome = ContentDecoder.Decode(encoded, cut, "gzip", -1, keep: true, out byte[]? decoded, out _, out string? error);
                int whole = Array.IndexOf(boundaries, cut);
                if (whole >= 0)
                {
                    Assert.True(outcome == ContentDecoder.Outcome.Decoded, $"cut at {cut}: {outcome} {error}");
                    Assert.Equal(Concat(new[] { C, C, Encoding.ASCII.GetBytes("x") }.Take(whole).ToArray()), decoded);
                }
                else
                {
                    Assert.True(outcome == ContentDecoder.Outcome.Broken, $"cut at {cut} of {encoded.Length}: {outcome}");
                }
            }
        }

        /// <summary>Any flipped bit of a two-member body makes it corrupt, or (in a field nothing reads) changes nothing.</summary>
        [Fact]
        public void Every_flipped_bit_fails_or_changes_nothing()
        {
            byte[] x = Encoding.ASCII.GetBytes("x");
            byte[] encoded = Concat(Member(C), Member(x));
            byte[] expected = Concat(C, x);
            for (int bit = 0; bit < encoded.Length * 8; bit++)
            {
                byte[] flipped = (byte[])encoded.Clone();
                flipped[bit / 8] ^= (byte)(1 << (bit % 8));
                ContentDecoder.Outcome outcome = ContentDecoder.Decode(flipped, flipped.Length, "gzip", -1, keep: true, out byte[]? decoded, out _, out string? error);
                Assert.True(outcome == ContentDecoder.Outcome.Broken || (outcome == ContentDecoder.Outcome.Decoded && decoded!.AsSpan().SequenceEqual(expected)), $"bit {bit}: {outcome} {error}");
            }
        }

        [Theory]
        [MemberData(nameof(Sources))]
        public void The_size_limit_counts_every_member(string source)
        {
            byte[] encoded = Concat(Member(A), Member(B));
            Assert.Equal(ContentDecoder.Outcome.TooLarge, Decode(source, encoded, A.Length + B.Length - 1, out byte[]? decoded, out _));
            Assert.Null(decoded);
            Assert.Equal(ContentDecoder.Outcome.Decoded, Decode(source, encoded, A.Length + B.Length, out decoded, out _));
            Assert.Equal(Concat(A, B), decoded);
        }

        /// <summary>A small body can hold thousands of members, each with a fixed cost: decoding on the loop stops after a few.</summary>
        [Fact]
        public void Decoding_with_a_yield_stops_after_a_few_members()
        {
            byte[] member = Member(Encoding.ASCII.GetBytes("x"));
            byte[] encoded = Concat(Enumerable.Repeat(member, 3000).ToArray());
            Assert.True(encoded.Length <= 64 * 1024);
            Assert.Equal(ContentDecoder.Outcome.Unfinished, ContentDecoder.Decode(encoded, encoded.Length, "gzip", -1, keep: true, out byte[]? decoded, out _, out _, yieldAfter: 1 << 20));
            Assert.Null(decoded);

            byte[] few = Concat(Enumerable.Repeat(member, ContentDecoder.InlineMembers).ToArray());
            Assert.Equal(ContentDecoder.Outcome.Decoded, ContentDecoder.Decode(few, few.Length, "gzip", -1, keep: true, out decoded, out _, out _, yieldAfter: 1 << 20));
            Assert.Equal(ContentDecoder.InlineMembers, decoded!.Length);

            Assert.Equal(ContentDecoder.Outcome.Decoded, ContentDecoder.Decode(encoded, encoded.Length, "gzip", -1, keep: true, out decoded, out _, out _));
            Assert.Equal(3000, decoded!.Length);
        }

        [Fact]
        public void Counting_only_checks_every_member_too()
        {
            byte[] second = Member(B);
            second[^2] ^= 0x01;
            byte[] encoded = Concat(Member(A), second);
            Assert.Equal(ContentDecoder.Outcome.Broken, ContentDecoder.Decode(encoded, encoded.Length, "gzip", -1, keep: false, out _, out _, out string? error));
            Assert.Contains("length mismatch", error);
            byte[] good = Concat(Member(A), Member(B));
            Assert.Equal(ContentDecoder.Outcome.Decoded, ContentDecoder.Decode(good, good.Length, "gzip", -1, keep: false, out byte[]? decoded, out long length, out _));
            Assert.Null(decoded);
            Assert.Equal(A.Length + B.Length, length);
        }
    }
}
