using System;
using System.Buffers.Binary;
using System.IO;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Crawl
{
    /// <summary>
    /// The URLs a crawl has seen, small enough for millions: each URL (its normal form, <see cref="FetchUrl"/>) is kept
    /// as its 64-bit XXH64 hash in an open-addressing table of ulong (linear probing, at most three quarters full,
    /// doubled when it would be fuller), so a URL costs 8 bytes divided by the load: 10.7 to 21.3 bytes, 16 on average
    /// over a crawl's growth, plus a transient second table while it doubles. The URL text is not kept.
    ///
    /// The price is that two different URLs may share a hash: the second is then taken for seen and its page is skipped
    /// (never fetched twice, never fetched wrongly: skipped). By the birthday bound the chance that any two of n URLs
    /// collide is about n² / 2^65 (<see cref="CollisionProbability"/>): 2.7e-8 for a million URLs, 2.7e-6 for ten
    /// million, 2.7e-4 for a hundred million. Hash 0 marks an empty slot, so a URL whose hash is 0 is stored as
    /// <see cref="ZeroStandIn"/> (one more pair in 2^64 that counts as equal).
    ///
    /// <see cref="Save"/> and <see cref="Load"/> write and read the hashes as a compact binary stream (16 bytes of
    /// header, then 8 bytes per URL, little-endian) for a crawl's journal, so an interrupted crawl resumes with it.
    ///
    /// Not thread-safe: one thread at a time (a crawl uses it from the one thread that decides what to fetch next).
    /// </summary>
    internal sealed class SeenSet
    {
        /// <summary>"AFSS" read as a little-endian uint: the first four bytes of a saved set.</summary>
        internal const uint Magic = 0x53534641;

        /// <summary>The format version written after the magic; <see cref="Load"/> refuses others.</summary>
        internal const ushort FormatVersion = 1;

        /// <summary>The hash the saved values are: 1, XXH64 with seed 0 of the UTF-8 bytes of the URL's normal form.</summary>
        internal const byte HashKind = 1;

        /// <summary>What a hash of 0 is stored as (0 marks an empty slot).</summary>
        internal const ulong ZeroStandIn = 0x9E3779B97F4A7C15UL;

        private const int MinCapacity = 16;
        private const int HeaderBytes = 16;
        private ulong[] _slots;
        private int _shift; // 64 - log2(capacity): the slot of a hash is its top bits
        private int _limit; // the count at which the table doubles (three quarters of it)
        private long _count;

        /// <summary>An empty set with room for <paramref name="expected"/> URLs before it first grows.</summary>
        public SeenSet(long expected = 0)
        {
            if (expected < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(expected));
            }

            int capacity = MinCapacity;
            while (capacity * 3L / 4 < expected)
            {
                capacity = checked(capacity * 2);
            }

            _slots = Allocate(capacity);
        }

        /// <summary>The URLs in the set.</summary>
        public long Count => _count;

        /// <summary>The slots of the table (a power of two).</summary>
        public int Capacity => _slots.Length;

        /// <summary>The bytes the table holds now (8 per slot).</summary>
        public long TableBytes => _slots.LongLength * sizeof(ulong);

        /// <summary>The chance that any two of <paramref name="count"/> different URLs share a hash: about n² / 2^65.</summary>
        public static double CollisionProbability(long count) => (double)count * count / Math.Pow(2, 65);

        /// <summary>The hash the set keeps for <paramref name="normalizedUrl"/>: XXH64 of its UTF-8 bytes (never 0).</summary>
        public static ulong Hash(string normalizedUrl)
        {
            if (normalizedUrl == null)
            {
                throw new ArgumentNullException(nameof(normalizedUrl));
            }

            return Stored(XxHash64.HashUtf8(normalizedUrl));
        }

        /// <summary>Adds the URL (its normal form: <see cref="FetchUrl.Normalize"/>); false when it was there already (or another with its hash).</summary>
        public bool Add(string normalizedUrl) => AddHash(Hash(normalizedUrl));

        /// <summary>True when the URL (its normal form), or another with its hash, is in the set.</summary>
        public bool Contains(string normalizedUrl) => ContainsHash(Hash(normalizedUrl));

        /// <summary>Adds a hash from <see cref="Hash"/>; false when it was there already.</summary>
        public bool AddHash(ulong hash)
        {
            hash = Stored(hash);
            if (Probe(hash, out int i))
            {
                return false;
            }

            if (_count >= _limit)
            {
                Grow();
                Insert(_slots, hash, _shift);
            }
            else
            {
                _slots[i] = hash;
            }

            _count++;
            return true;
        }

        /// <summary>True when a hash from <see cref="Hash"/> is in the set.</summary>
        public bool ContainsHash(ulong hash) => Probe(Stored(hash), out _);

        /// <summary>The value a hash is kept as: 0 marks an empty slot, so a hash of 0 is kept as <see cref="ZeroStandIn"/>.</summary>
        private static ulong Stored(ulong hash) => hash == 0 ? ZeroStandIn : hash;

        /// <summary>
        /// Linear probing from the hash's home slot: true with the slot that holds <paramref name="hash"/>, else false
        /// with the empty slot where it would go.
        /// </summary>
        private bool Probe(ulong hash, out int index)
        {
            ulong[] slots = _slots;
            int mask = slots.Length - 1;
            int i = (int)(hash >> _shift);
            while (true)
            {
                ulong slot = slots[i];
                if (slot == hash || slot == 0)
                {
                    index = i;
                    return slot == hash;
                }

                i = (i + 1) & mask;
            }
        }

        /// <summary>
        /// Writes the set to <paramref name="stream"/>: "AFSS", the format version (ushort), the hash kind (byte), a zero
        /// byte, the count (long), then each hash (ulong), all little-endian, in table order. The stream is left open.
        /// </summary>
        public void Save(Stream stream)
        {
            if (stream == null)
            {
                throw new ArgumentNullException(nameof(stream));
            }

            byte[] buffer = new byte[64 * 1024];
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(0), Magic);
            BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(4), FormatVersion);
            buffer[6] = HashKind;
            buffer[7] = 0;
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(8), _count);
            int used = HeaderBytes;
            foreach (ulong hash in _slots)
            {
                if (hash == 0)
                {
                    continue;
                }

                if (used == buffer.Length)
                {
                    stream.Write(buffer, 0, used);
                    used = 0;
                }

                BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(used), hash);
                used += sizeof(ulong);
            }

            stream.Write(buffer, 0, used);
        }

        /// <summary>Reads a set written by <see cref="Save"/>, leaving <paramref name="stream"/> just after it.</summary>
        /// <exception cref="InvalidDataException">Not a saved set, another format version or hash, or cut short.</exception>
        public static SeenSet Load(Stream stream)
        {
            if (stream == null)
            {
                throw new ArgumentNullException(nameof(stream));
            }

            byte[] buffer = new byte[64 * 1024];
            ReadExactly(stream, buffer, HeaderBytes);
            if (BinaryPrimitives.ReadUInt32LittleEndian(buffer) != Magic)
            {
                throw new InvalidDataException("The data is not a saved seen-set.");
            }

            ushort version = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(4));
            if (version != FormatVersion || buffer[6] != HashKind)
            {
                throw new InvalidDataException($"The seen-set was saved in format {version} with hash {buffer[6]}; this version reads format {FormatVersion} with hash {HashKind}.");
            }

            long count = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(8));
            if (count < 0 || count > int.MaxValue / 2)
            {
                throw new InvalidDataException($"The seen-set's count ({count}) is not possible.");
            }

            var set = new SeenSet(count);
            long left = count;
            while (left > 0)
            {
                int n = (int)Math.Min(left, buffer.Length / sizeof(ulong));
                ReadExactly(stream, buffer, n * sizeof(ulong));
                for (int k = 0; k < n; k++)
                {
                    ulong hash = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(k * sizeof(ulong)));
                    if (hash == 0 || !set.AddHash(hash))
                    {
                        throw new InvalidDataException("The seen-set holds an empty or repeated hash: it is damaged.");
                    }
                }

                left -= n;
            }

            return set;
        }

        private static void ReadExactly(Stream stream, byte[] buffer, int count)
        {
            int done = 0;
            while (done < count)
            {
                int n = stream.Read(buffer, done, count - done);
                if (n <= 0)
                {
                    throw new InvalidDataException("The saved seen-set is cut short.");
                }

                done += n;
            }
        }

        private ulong[] Allocate(int capacity)
        {
            int bits = 0;
            while ((1 << bits) < capacity)
            {
                bits++;
            }

            _shift = 64 - bits;
            _limit = (int)(capacity * 3L / 4);
            return new ulong[capacity];
        }

        private void Grow()
        {
            ulong[] old = _slots;
            ulong[] slots = Allocate(checked(old.Length * 2));
            foreach (ulong hash in old)
            {
                if (hash != 0)
                {
                    Insert(slots, hash, _shift);
                }
            }

            _slots = slots;
        }

        private static void Insert(ulong[] slots, ulong hash, int shift)
        {
            int mask = slots.Length - 1;
            int i = (int)(hash >> shift);
            while (slots[i] != 0)
            {
                i = (i + 1) & mask;
            }

            slots[i] = hash;
        }
    }
}
