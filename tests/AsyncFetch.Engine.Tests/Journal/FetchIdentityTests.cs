using System;
using System.Text;

namespace AsyncFetch.Engine.Tests.Journal
{
    /// <summary>FetchIdentity: method + absolute URI + body hash decide; everything else does not.</summary>
    public sealed class FetchIdentityTests
    {
        private static FetchIdentity Id(string uri, string method = "GET", string? body = null) =>
            FetchIdentity.Of(new FetchRequest(uri) { Method = method, Body = body == null ? null : Encoding.UTF8.GetBytes(body) });

        [Fact]
        public void Same_method_uri_and_body_are_equal()
        {
            Assert.Equal(Id("http://h.test/a?x=1"), Id("http://h.test/a?x=1"));
            Assert.Equal(Id("http://h.test/a", "POST", "body"), Id("http://h.test/a", "POST", "body"));
            Assert.Equal(Id("http://h.test/a").GetHashCode(), Id("http://h.test/a").GetHashCode());
            Assert.True(Id("http://h.test/a").Equals((object)Id("http://h.test/a")));

            // The string and [uri] forms of one absolute URI; method case; a missing and an empty body.
            Assert.Equal(Id("http://h.test/a"), FetchIdentity.Of(new FetchRequest(new Uri("http://h.test/a"))));
            Assert.Equal(Id("http://h.test/a", "get"), Id("http://h.test/a", "GET"));
            Assert.Equal(Id("http://h.test/a", "POST", null), Id("http://h.test/a", "POST", string.Empty));

            // The absolute URI is the normalised one: host case and the default port do not matter.
            Assert.Equal(Id("http://H.TEST/a"), Id("http://h.test/a"));
            Assert.Equal(Id("http://h.test:80/a"), Id("http://h.test/a"));

            // Headers, tag and other options are not part of the identity.
            var withExtras = new FetchRequest("http://h.test/a") { Tag = "input", Timeout = TimeSpan.FromSeconds(3), UserAgent = "x" };
            withExtras.WithHeader("X-A", "1");
            Assert.Equal(Id("http://h.test/a"), FetchIdentity.Of(withExtras));
        }

        [Fact]
        public void Different_body_method_or_uri_are_different()
        {
            FetchIdentity a = Id("http://h.test/a", "POST", "one");
            Assert.NotEqual(a, Id("http://h.test/a", "POST", "two"));
            Assert.NotEqual(a, Id("http://h.test/a", "POST", null));
            Assert.NotEqual(a, Id("http://h.test/a", "PUT", "one"));
            Assert.NotEqual(a, Id("http://h.test/b", "POST", "one"));
            Assert.NotEqual(Id("http://h.test/a"), Id("http://h.test/a", "HEAD"));
            Assert.NotEqual(Id("http://h.test/a?x=1"), Id("http://h.test/a?x=2"));
            Assert.NotEqual(Id("http://h.test/a"), Id("http://h.test/A"));
            Assert.NotEqual(Id("http://h.test/a"), Id("http://h.test:8080/a"));
            Assert.NotEqual(Id("http://h.test/a"), Id("http://g.test/a"));
            Assert.NotEqual(Id("http://h.test/delay/201?n=1"), Id("http://h.test/delay/201?n=10"));
            Assert.False(Id("http://h.test/a").Equals((object)"http://h.test/a"));
        }

        [Fact]
        public void Relative_and_unparsable_uris_have_an_identity_of_their_own_text()
        {
            // Neither throws; each is stable, and they differ from each other and from absolute URIs.
            FetchIdentity relative = Id("/a");
            FetchIdentity relativeUri = FetchIdentity.Of(new FetchRequest(new Uri("/a", UriKind.Relative)));
            FetchIdentity unparsable = Id("http://[not-an-ipv6/");
            FetchIdentity unparsable2 = Id("http://[other/");
            FetchIdentity empty = Id(string.Empty);
            FetchIdentity ftp = Id("ftp://x/");
            Assert.Equal(relative, Id("/a"));
            Assert.Equal(relative, relativeUri);
            Assert.Equal(unparsable, Id("http://[not-an-ipv6/"));
            Assert.NotEqual(relative, Id("http://h.test/a"));
            Assert.NotEqual(relative, Id("/b"));
            Assert.NotEqual(unparsable, unparsable2);
            Assert.NotEqual(empty, relative);
            Assert.NotEqual(ftp, Id("ftp://y/"));
            Assert.NotEqual(default, relative);
        }

        [Fact]
        public void Text_form_is_32_hex_digits_and_parses_back()
        {
            FetchIdentity id = Id("http://h.test/a", "POST", "b");
            string text = id.ToString();
            Assert.Matches("^[0-9a-f]{32}$", text);
            Assert.True(FetchIdentity.TryParse(text, out FetchIdentity back));
            Assert.Equal(id, back);
            Assert.True(FetchIdentity.TryParse(text.ToUpperInvariant(), out back));
            Assert.Equal(id, back);

            Assert.False(FetchIdentity.TryParse(null, out _));
            Assert.False(FetchIdentity.TryParse(string.Empty, out _));
            Assert.False(FetchIdentity.TryParse(text.Substring(1), out _));
            Assert.False(FetchIdentity.TryParse(text + "0", out _));
            Assert.False(FetchIdentity.TryParse(new string('g', 32), out _));
            Assert.False(FetchIdentity.TryParse("0x" + text.Substring(2), out _));
        }

        [Fact]
        public void A_password_in_the_url_is_not_part_of_the_identity()
        {
            // Keyed on the URL without its password: the journal holds no hash to test password guesses against, and
            // a run with a changed password still resumes.
            Assert.Equal(Id("http://u:***@h.test/a"), Id("http://u:secretpw@h.test/a"));
            Assert.Equal(Id("http://u:other@h.test/a"), Id("http://u:secretpw@h.test/a"));
            Assert.Equal(Id("http://***@h.test/a"), Id("http://tok3n@h.test/a"));
            Assert.NotEqual(Id("http://h.test/a"), Id("http://u:secretpw@h.test/a"));
            Assert.NotEqual(Id("http://v:secretpw@h.test/a"), Id("http://u:secretpw@h.test/a"));
        }
    }
}
