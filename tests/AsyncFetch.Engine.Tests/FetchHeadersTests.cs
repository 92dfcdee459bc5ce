using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace AsyncFetch.Engine.Tests
{
    /// <summary>FetchHeaders' public behaviour: ordered fields, case-insensitive lookup, and its dictionary view.</summary>
    public sealed class FetchHeadersTests
    {
        private static FetchHeaders Sample()
        {
            var h = new FetchHeaders();
            h.Add("Set-Cookie", "a=1");
            h.Add("Content-Type", "text/plain");
            h.Add("set-cookie", "b=2");
            h.Add("X-Empty", string.Empty);
            return h;
        }

        [Fact]
        public void Fields_keep_their_order_and_lookup_joins_repeated_ones_case_insensitively()
        {
            FetchHeaders h = Sample();
            Assert.Equal(4, h.Count);
            Assert.Equal(new[] { "Set-Cookie", "Content-Type", "set-cookie", "X-Empty" }, h.Select(f => f.Key));
            Assert.Equal("a=1, b=2", h["SET-COOKIE"]);
            Assert.Equal("text/plain", h["content-type"]);
            Assert.Equal(string.Empty, h["X-Empty"]);
            Assert.Null(h["Missing"]);
            Assert.Equal(new[] { "a=1", "b=2" }, h.GetValues("Set-Cookie"));
            Assert.Empty(h.GetValues("Missing"));
            Assert.True(h.Contains("x-empty"));
            Assert.False(h.Contains("Missing"));
            Assert.Equal(new[] { "Set-Cookie", "Content-Type", "X-Empty" }, h.Names);
            // One line (a CSV cell, a table column), credential values masked.
            Assert.Equal("Set-Cookie: ***; Content-Type: text/plain; set-cookie: ***; X-Empty: ", h.ToString());
            Assert.Equal(string.Empty, new FetchHeaders().ToString());
        }

        [Fact]
        public void Dictionary_view_has_one_entry_per_name_with_the_joined_value()
        {
            IDictionary d = Sample();
            Assert.Equal(3, d.Count);
            Assert.Equal(new object[] { "Set-Cookie", "Content-Type", "X-Empty" }, d.Keys.Cast<object>());
            Assert.Equal(new object[] { "a=1, b=2", "text/plain", string.Empty }, d.Values.Cast<object>());
            Assert.Equal("a=1, b=2", d["set-cookie"]);
            Assert.Null(d[42]);
            Assert.True(d.Contains("CONTENT-TYPE"));
            Assert.False(d.Contains(42));

            var entries = new List<DictionaryEntry>();
            IDictionaryEnumerator e = d.GetEnumerator();
            while (e.MoveNext())
            {
                entries.Add(e.Entry);
            }

            Assert.Equal(new[] { "Set-Cookie", "Content-Type", "X-Empty" }, entries.Select(x => (string)x.Key));
            var copied = new DictionaryEntry[4];
            d.CopyTo(copied, 1);
            Assert.Equal("a=1, b=2", copied[1].Value);
            Assert.Equal("X-Empty", copied[3].Key);
        }

        [Fact]
        public void Dictionary_set_replaces_every_field_of_the_name_and_remove_drops_them()
        {
            FetchHeaders h = Sample();
            IDictionary d = h;
            d["SET-COOKIE"] = "c=3";
            Assert.Equal(new[] { "Content-Type", "X-Empty", "SET-COOKIE" }, h.Select(f => f.Key));
            Assert.Equal("c=3", h["set-cookie"]);

            d.Add("X-Number", 7);
            d["X-Null"] = null;
            Assert.Equal("7", h["X-Number"]);
            Assert.Equal(string.Empty, h["X-Null"]);

            d.Remove("content-type");
            d.Remove("Missing");
            Assert.False(h.Contains("Content-Type"));
            Assert.Equal(4, h.Count);
            Assert.Throws<ArgumentNullException>(() => d.Add(null!, "x"));

            h.Clear();
            Assert.Equal(0, h.Count);
            Assert.Empty(h);
        }

        [Fact]
        public void Enumerating_while_the_fields_change_throws()
        {
            FetchHeaders h = Sample();
            Assert.Throws<InvalidOperationException>(() =>
            {
                foreach (KeyValuePair<string, string> f in h)
                {
                    h.Add("X-More", f.Value);
                }
            });

            IEnumerator<KeyValuePair<string, string>> e = Sample().GetEnumerator();
            Assert.Throws<InvalidOperationException>(() => ((IEnumerator)e).Current);
            Assert.True(e.MoveNext());
            Assert.Equal("Set-Cookie", e.Current.Key);
            e.Reset();
            Assert.True(e.MoveNext());
            Assert.Equal("a=1", e.Current.Value);
        }

        [Fact]
        public void Constructed_from_fields_it_holds_a_copy()
        {
            var source = new List<KeyValuePair<string, string>> { new("A", "1"), new("a", "2") };
            var h = new FetchHeaders(source);
            source.Add(new("B", "3"));
            Assert.Equal(2, h.Count);
            Assert.Equal("1, 2", h["A"]);
            Assert.Throws<ArgumentNullException>(() => new FetchHeaders(null!));
        }

        [Fact]
        public void A_response_s_headers_are_the_parser_s_list_without_a_copy()
        {
            var fields = new AsyncFetch.Engine.Http.HttpHeaderList();
            fields.Add("Content-Length", "2");
            FetchHeaders h = FetchHeaders.Wrap(fields);
            fields.Add("Content-Type", "text/plain");
            Assert.Equal(2, h.Count);
            Assert.Equal("text/plain", h["content-type"]);
        }
    }
}
