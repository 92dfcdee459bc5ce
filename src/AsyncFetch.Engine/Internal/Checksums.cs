
namespace AsyncFetch.Engine.Internal
{
    /// <summary>
    /// CRC-32 (gzip) and Adler-32 (zlib) over data as it streams. .NET's DeflateStream does not notice a truncated
    /// stream (it returns what it could decode), so the decoders check the trailers.
    /// </summary>
    internal static class Checksums
    {
        private static readonly uint[] CrcTable = BuildCrcTable();

        public static uint Crc32(uint crc, byte[] data, int count) => Crc32(crc, data, 0, count);

        /// <summary>CRC-32 continued over <paramref name="data"/>[offset..offset+count), starting from 0 for new data.</summary>
        public static uint Crc32(uint crc, byte[] data, int offset, int count)
        {
            crc = ~crc;
            for (int i = offset, end = offset + count; i < end; i++)
            {
                crc = CrcTable[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
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
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                }

                table[n] = c;
            }

            return table;
        }
    }
}
