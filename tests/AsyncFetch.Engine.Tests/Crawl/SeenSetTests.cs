using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using AsyncFetch.Engine.Crawl;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Tests.Crawl
{
    /// <summary>The seen-set: membership, growth, its saved form, and the hash it keeps.</summary>
    public sealed class SeenSetTests
    {
        [Theory]
        // Reference values from System.IO.Hashing.XxHash64 (seed 0) over the UTF-8 bytes.
        [InlineData("", 0xEF46DB3751D8E999UL)]
        [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
        [InlineData("abc", 0x44BC2CF5AD770999UL)]
        [InlineData("http://example.com/", 0xFDB57B2D0813B5B1UL)]
        [InlineData("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz!", 0x635061B662988F09UL)]
        [InlineData("http://example.com/caf\u00e9/\U0001F600?q=1", 0xA7FE86A38ED43611UL)]
        public void The_hash_is_XXH64_of_the_UTF8_bytes(string text, ulong expected)
        {
            Assert.Equal(expected, XxHash64.HashUtf8(text));
            Assert.Equal(expected, XxHash64.Hash(Encoding.UTF8.GetBytes(text)));
            Assert.Equal(expected, SeenSet.Hash(text));
        }

        [Fact]
        public void A_long_ascii_text_hashes_like_its_bytes()
        {
            string text = "http://example.com/" + new string('x', 3000);
            Assert.Equal(XxHash64.Hash(Encoding.UTF8.GetBytes(text)), XxHash64.HashUtf8(text));
        }

        [Fact]
        public void Add_says_whether_the_url_is_new()
        {
            var set = new SeenSet();
            Assert.True(set.Add("http://example.com/a"));
            Assert.False(set.Add("http://example.com/a"));
            Assert.True(set.Add("http://example.com/b"));
            Assert.True(set.Contains("http://example.com/a"));
            Assert.False(set.Contains("http://example.com/c"));
            Assert.Equal(2, set.Count);
        }

        [Fact]
        public void Urls_that_normalize_alike_are_one()
        {
            var set = new SeenSet();
            Assert.True(set.Add(FetchUrl.Normalize(new Uri("HTTP://Example.com:80/a/./b/../%7Ec#top"))));
            Assert.False(set.Add(FetchUrl.Normalize(new Uri("http://example.com/a/~c"))));
        }

        [Fact]
        public void Growing_keeps_every_url_and_the_load_at_most_three_quarters()
        {
            var set = new SeenSet();
            for (int i = 0; i < 100_000; i++)
            {
                Assert.True(set.Add("http://example.com/page/" + i));
                Assert.True(set.Count <= set.Capacity * 3L / 4);
            }

            for (int i = 0; i < 100_000; i++)
            {
                Assert.True(set.Contains("http://example.com/page/" + i));
                Assert.False(set.Add("http://example.com/page/" + i));
            }

            Assert.False(set.Contains("http://example.com/page/100000"));
            Assert.Equal(100_000, set.Count);
            Assert.Equal(0, set.Capacity & (set.Capacity - 1)); // a power of two
            Assert.Equal(262_144, set.Capacity); // 131,072 would be 76 % full
        }

        [Fact]
        public void A_set_sized_up_front_does_not_grow()
        {
            var set = new SeenSet(1000);
            int capacity = set.Capacity;
            for (int i = 0; i < 1000; i++)
            {
                set.Add("u" + i);
            }

            Assert.Equal(capacity, set.Capacity);
            Assert.Equal(2048, capacity);
        }

        [Fact]
        public void A_hash_of_zero_is_kept_as_its_stand_in()
        {
            var set = new SeenSet();
            Assert.True(set.AddHash(0));
            Assert.True(set.ContainsHash(0));
            Assert.True(set.ContainsHash(SeenSet.ZeroStandIn));
            Assert.False(set.AddHash(SeenSet.ZeroStandIn));
        }

        [Fact]
        public void Save_and_Load_give_back_the_same_set()
        {
            var set = new SeenSet();
            for (int i = 0; i < 20_000; i++)
            {
                set.Add("http://example.com/" + i);
            }

            var stream = new MemoryStream();
            stream.WriteByte(0xAA); // the set may sit inside a larger stream (a journal)
            set.Save(stream);
            stream.WriteByte(0xBB);
            Assert.Equal(1 + 16 + (20_000 * 8) + 1, stream.Length);

            stream.Position = 1;
            SeenSet loaded = SeenSet.Load(stream);
            Assert.Equal(0xBB, stream.ReadByte()); // left just after the set
            Assert.Equal(20_000, loaded.Count);
            for (int i = 0; i < 20_000; i++)
            {
                Assert.True(loaded.Contains("http://example.com/" + i));
            }

            Assert.False(loaded.Contains("http://example.com/20000"));
        }

        [Fact]
        public void The_saved_form_starts_with_its_header()
        {
            var set = new SeenSet();
            set.Add("http://example.com/");
            var stream = new MemoryStream();
            set.Save(stream);
            byte[] bytes = stream.ToArray();
            Assert.Equal(new byte[] { (byte)'A', (byte)'F', (byte)'S', (byte)'S', 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0 }, bytes[..16]);
            Assert.Equal(BitConverter.GetBytes(0xFDB57B2D0813B5B1UL), bytes[16..]); // little-endian on the machines the tests run on
        }

        [Fact]
        public void An_empty_set_round_trips()
        {
            var stream = new MemoryStream();
            new SeenSet().Save(stream);
            stream.Position = 0;
            Assert.Equal(0, SeenSet.Load(stream).Count);
        }

        public static IEnumerable<object[]> Damaged()
        {
            var set = new SeenSet();
            set.Add("http://example.com/a");
            set.Add("http://example.com/b");
            var stream = new MemoryStream();
            set.Save(stream);
            byte[] good = stream.ToArray();

            yield return new object[] { "cut short", good[..^3] };
            yield return new object[] { "header only half", good[..10] };
            byte[] magic = (byte[])good.Clone();
            magic[0] = (byte)'X';
            yield return new object[] { "wrong magic", magic };
            byte[] version = (byte[])good.Clone();
            version[4] = 2;
            yield return new object[] { "newer format", version };
            byte[] hash = (byte[])good.Clone();
            hash[6] = 9;
            yield return new object[] { "another hash", hash };
            byte[] repeated = (byte[])good.Clone();
            Array.Copy(good, 16, repeated, 24, 8);
            yield return new object[] { "repeated hash", repeated };
            byte[] negative = (byte[])good.Clone();
            negative[15] = 0x80;
            yield return new object[] { "negative count", negative };
        }

        [Theory]
        [MemberData(nameof(Damaged))]
        public void Load_refuses_damaged_data(string what, byte[] data)
        {
            Assert.NotNull(what);
            Assert.Throws<InvalidDataException>(() => SeenSet.Load(new MemoryStream(data)));
        }

        [Theory]
        [InlineData(1_000_000, 2.7e-8)]
        [InlineData(10_000_000, 2.7e-6)]
        public void The_collision_probability_is_the_birthday_bound(long count, double expected) =>
            Assert.Equal(expected, SeenSet.CollisionProbability(count), 1e-7 * expected * 1e6);
    }
}
