
namespace AsyncFetch.Engine.Internal
{
    /// <summary>
    /// CRC-32 (gzip) and Adler-32 (zlib) over data as it streams. .NET's DeflateStream does not notice a truncated
    /// stream (it returns what it could decode), so the decoders check the trailers.
    /// </summary>
    internal static class Checksums
    {
        /// <summary>Slicing-by-8: table k (at k * 256) is the CRC of a byte followed by k zero bytes, so 8 bytes take 8 look-ups.</summary>
        private static readonly uint[] CrcTable = BuildCrcTable();

        public static uint Crc32(uint crc, byte[] data, int count) => Crc32(crc, data, 0, count);

        /// <summary>CRC-32 continued over <paramref name="data"/>[offset..offset+count), starting from 0 for new data.</summary>
        public static uint Crc32(uint crc, byte[] data, int offset, int count)
        {
            uint[] t = CrcTable;
            crc = ~crc;
            int i = offset;
            int end = offset + count;
            for (; end - i >= 8; i += 8)
            {
                uint low = crc ^ (data[i] | ((uint)data[i + 1] << 8) | ((uint)data[i + 2] << 16) | ((uint)data[i + 3] << 24));
                uint high = data[i + 4] | ((uint)data[i + 5] << 8) | ((uint)data[i + 6] << 16) | ((uint)data[i + 7] << 24);
                crc = t[(7 * 256) + (low & 0xFF)] ^ t[(6 * 256) + ((low >> 8) & 0xFF)] ^ t[(5 * 256) + ((low >> 16) & 0xFF)] ^ t[(4 * 256) + (low >> 24)]
                    ^ t[(3 * 256) + (high & 0xFF)] ^ t[(2 * 256) + ((high >> 8) & 0xFF)] ^ t[256 + ((high >> 16) & 0xFF)] ^ t[high >> 24];
            }

            for (; i < end; i++)
            {
                crc = t[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
            }

            return ~crc;
        }

        /// <summary>CRC-32 continued over one byte.</summary>
        public static uint Crc32(uint crc, byte value) => ~(CrcTable[(~crc ^ value) & 0xFF] ^ (~crc >> 8));

        /// <summary>Adler-32, starting from 1 for a new stream.</summary>
        public static uint Adler32(uint adler, byte[] data, int count)
        {
            const uint Mod = 65521;
            uint a = adler & 0xFFFF, b = adler >> 16;
            int i = 0;
            while (i < count)
            {
                int block = System.Math.Min(count - i, 5552); // the largest run before the sums can overflow
                for (int end = i + block; i < end; i++)
                {
                    a += data[i];
                    b += a;
                }

                a %= Mod;
                b %= Mod;
            }

            return (b << 16) | a;
        }

        private static uint[] BuildCrcTable()
        {
            var table = new uint[8 * 256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                }

                table[n] = c;
            }

            for (int n = 0; n < 256; n++)
            {
                for (int k = 1; k < 8; k++)
                {
                    uint previous = table[((k - 1) * 256) + n];
                    table[(k * 256) + n] = (previous >> 8) ^ table[previous & 0xFF];
                }
            }

            return table;
        }
    }
}
