using System;
using System.Text;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Tests.Http
{
    /// <summary>CRC-32 (eight bytes at a time) against known values and a bit-by-bit reference, at any offset, length and split.</summary>
    public sealed class ChecksumsTests
    {
        private static uint Reference(byte[] data, int offset, int count)
        {
            uint crc = 0xFFFFFFFF;
            for (int i = offset; i < offset + count; i++)
            {
                crc ^= data[i];
                for (int k = 0; k < 8; k++)
                {
                    crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
                }
            }

            return ~crc;
        }

        [Theory]
        [InlineData("", 0x00000000u)]
        [InlineData("a", 0xE8B7BE43u)]
        [InlineData("123456789", 0xCBF43926u)]
        [InlineData("The quick brown fox jumps over the lazy dog", 0x414FA339u)]
        public void Known_values(string text, uint expected)
        {
            byte[] data = Encoding.ASCII.GetBytes(text);
            Assert.Equal(expected, Checksums.Crc32(0, data, data.Length));
        }

        [Fact]
        public void Any_offset_length_and_split_gives_the_reference_value()
        {
            var data = new byte[300];
            new Random(9).NextBytes(data);
            for (int offset = 0; offset < 17; offset++)
            {
                for (int count = 0; offset + count <= 120; count++)
                {
                    uint expected = Reference(data, offset, count);
                    Assert.Equal(expected, Checksums.Crc32(0, data, offset, count));
                    int split = count / 3;
                    Assert.Equal(expected, Checksums.Crc32(Checksums.Crc32(0, data, offset, split), data, offset + split, count - split));
                }
            }

            uint byByte = 0;
            foreach (byte b in data)
            {
                byByte = Checksums.Crc32(byByte, b);
            }

            Assert.Equal(Reference(data, 0, data.Length), byByte);
        }
    }
}
