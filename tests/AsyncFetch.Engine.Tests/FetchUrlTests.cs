using System;

namespace AsyncFetch.Engine.Tests
{
    /// <summary>
    /// URL normalization (RFC 3986 section 6): what makes two URLs the same resource for a seen-set and for identical
    /// requests in flight, and what keeps them apart.
    /// </summary>
    public sealed class FetchUrlTests
    {
        [Theory]
        // RFC 3986 6.2.2: case, percent-encoding and dot segments. The section's own example:
        [InlineData("example://a/b/c/%7Bfoo%7D", null)] // not http: refused
        [InlineData("eXAMPLE://a/./b/../b/%63/%7bfoo%7d", null)]
        [InlineData("HTTP://www.Example.COM/b/./c/../d/%63/%7bfoo%7d", "http://www.example.com/b/d/c/%7Bfoo%7D")]
        // 6.2.3 scheme-based: empty path, default port, empty port
        [InlineData("http://example.com", "http://example.com/")]
        [InlineData("http://example.com/", "http://example.com/")]
        [InlineData("http://example.com:/", "http://example.com/")]
        [InlineData("http://example.com:80/", "http://example.com/")]
        [InlineData("https://example.com:443/", "https://example.com/")]
        [InlineData("https://example.com:80/", "https://example.com:80/")]
        [InlineData("http://example.com:443/", "http://example.com:443/")]
        [InlineData("http://example.com:8080", "http://example.com:8080/")]
        [InlineData("http://example.com:08080/", "http://example.com:8080/")]
        // fragment dropped, empty query dropped, query order kept
        [InlineData("http://example.com/a#frag", "http://example.com/a")]
        [InlineData("http://example.com/a?#frag", "http://example.com/a")]
        [InlineData("http://example.com/a?", "http://example.com/a")]
        [InlineData("http://example.com/a?b=2&a=1", "http://example.com/a?b=2&a=1")]
        [InlineData("http://example.com/a?a=1&b=2#x?y", "http://example.com/a?a=1&b=2")]
        [InlineData("http://example.com?x", "http://example.com/?x")]
        [InlineData("http://example.com#x", "http://example.com/")]
        // percent-encoding
        [InlineData("http://example.com/%7Euser", "http://example.com/~user")]
        [InlineData("http://example.com/%7euser", "http://example.com/~user")]
        [InlineData("http://example.com/a%3ab", "http://example.com/a%3Ab")]
        [InlineData("http://example.com/%41%62%2D%2e%5F", "http://example.com/Ab-._")]
        [InlineData("http://example.com/a%2Fb", "http://example.com/a%2Fb")]
        [InlineData("http://example.com/a%2fb", "http://example.com/a%2Fb")]
        [InlineData("http://example.com/a%3Fb", "http://example.com/a%3Fb")]
        [InlineData("http://example.com/a%23b", "http://example.com/a%23b")]
        [InlineData("http://example.com/a%25b", "http://example.com/a%25b")]
        [InlineData("http://example.com/100%", "http://example.com/100%25")]
        [InlineData("http://example.com/%zz", "http://example.com/%25zz")]
        [InlineData("http://example.com/a b", "http://example.com/a%20b")]
        [InlineData("http://example.com/a%20b", "http://example.com/a%20b")]
        [InlineData("http://example.com/\"<>^`{|}", "http://example.com/%22%3C%3E%5E%60%7B%7C%7D")]
        [InlineData("http://example.com/a[1]", "http://example.com/a%5B1%5D")]
        [InlineData("http://example.com/caf\u00e9", "http://example.com/caf%C3%A9")]
        [InlineData("http://example.com/caf%c3%a9", "http://example.com/caf%C3%A9")]
        [InlineData("http://example.com/\U0001F600", "http://example.com/%F0%9F%98%80")]
        [InlineData("http://example.com/!$&'()*+,;=:@", "http://example.com/!$&'()*+,;=:@")]
        [InlineData("http://example.com/?q=a+b&r=%2B&s=%2b", "http://example.com/?q=a+b&r=%2B&s=%2B")]
        [InlineData("http://example.com/?q=a b", "http://example.com/?q=a%20b")]
        [InlineData("http://example.com/?q=/?:@", "http://example.com/?q=/?:@")]
        [InlineData("http://example.com/?q=%7E%61", "http://example.com/?q=~a")]
        [InlineData("http://example.com/?q=\u00fc", "http://example.com/?q=%C3%BC")]
        [InlineData("http://example.com/?q=a\\b", "http://example.com/?q=a%5Cb")]
        // dot segments (RFC 3986 5.2.4), also encoded
        [InlineData("http://example.com/a/b/c/./../../g", "http://example.com/a/g")]
        [InlineData("http://example.com/mid/content=5/../6", "http://example.com/mid/6")]
        [InlineData("http://example.com/../../a", "http://example.com/a")]
        [InlineData("http://example.com/a/..", "http://example.com/")]
        [InlineData("http://example.com/a/.", "http://example.com/a/")]
        [InlineData("http://example.com/a/b/..", "http://example.com/a/")]
        [InlineData("http://example.com/.", "http://example.com/")]
        [InlineData("http://example.com/a/%2E%2E/b", "http://example.com/b")]
        [InlineData("http://example.com/a/%2e/b", "http://example.com/a/b")]
        [InlineData("http://example.com/a/.b/..c/", "http://example.com/a/.b/..c/")]
        [InlineData("http://example.com/a//b", "http://example.com/a//b")]
        [InlineData("http://example.com/a/b/?x=../y", "http://example.com/a/b/?x=../y")]
        [InlineData("http://example.com/a\\b\\..\\c", "http://example.com/a/c")]
        // hosts: case, IDN, IP literals
        [InlineData("http://EXAMPLE.com/A", "http://example.com/A")]
        [InlineData("http://b\u00fccher.example/", "http://xn--bcher-kva.example/")]
        [InlineData("http://B\u00dcCHER.example/", "http://xn--bcher-kva.example/")]
        [InlineData("http://xn--bcher-kva.example/", "http://xn--bcher-kva.example/")]
        [InlineData("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x")]
        [InlineData("http://[::1]/", "http://[::1]/")]
        [InlineData("http://[::1]:80/", "http://[::1]/")]
        [InlineData("http://[::1]:8080/a", "http://[::1]:8080/a")]
        [InlineData("http://[2001:DB8:0:0:0:0:0:1]/", "http://[2001:db8::1]/")]
        [InlineData("http://[2001:db8::1]:443/", "http://[2001:db8::1]:443/")]
        // user information kept (credentials tell resources apart), normalized; an empty one dropped
        [InlineData("http://user:pa%73s@Example.com/", "http://user:pass@example.com/")]
        [InlineData("http://user@example.com:80", "http://user@example.com/")]
        [InlineData("http://us%3aer@example.com/", "http://us%3Aer@example.com/")]
        [InlineData("http://@example.com/", "http://example.com/")]
        // white space around the text is not part of it (as Uri reads it)
        [InlineData("  http://example.com/a  ", "http://example.com/a")]
        // not normalizable
        [InlineData("/relative/path", null)]
        [InlineData("mailto:someone@example.com", null)]
        [InlineData("ftp://example.com/", null)]
        [InlineData("not a url", null)]
        [InlineData("", null)]
        public void Normalizes_as_RFC_3986_section_6_describes(string input, string? expected)
        {
            Assert.Equal(expected != null, FetchUrl.TryNormalize(input, out string normalized));
            Assert.Equal(expected, normalized);
        }

        [Theory]
        [InlineData("http://example.com/a/b", "HTTP://EXAMPLE.COM:80/a/./c/../b#top")]
        [InlineData("http://example.com/~u/%C3%A9", "http://example.com/%7Eu/\u00e9")]
        [InlineData("https://example.com/", "https://Example.com:443")]
        [InlineData("http://example.com/a?x=1", "http://example.com/a?x=1#")]
        public void Equivalent_urls_normalize_alike(string a, string b) =>
            Assert.Equal(FetchUrl.Normalize(new Uri(a)), FetchUrl.Normalize(new Uri(b)));

        [Theory]
        [InlineData("http://example.com/a%2Fb", "http://example.com/a/b")]
        [InlineData("http://example.com/A", "http://example.com/a")]
        [InlineData("http://example.com/?a=1&b=2", "http://example.com/?b=2&a=1")]
        [InlineData("http://example.com/", "https://example.com/")]
        [InlineData("http://example.com/", "http://example.com:8080/")]
        [InlineData("http://alice@example.com/", "http://bob@example.com/")]
        [InlineData("http://alice@example.com/", "http://example.com/")]
        [InlineData("http://example.com/a/", "http://example.com/a")]
        [InlineData("http://example.com/?q=a+b", "http://example.com/?q=a%20b")]
        public void Different_resources_stay_different(string a, string b) =>
            Assert.NotEqual(FetchUrl.Normalize(new Uri(a)), FetchUrl.Normalize(new Uri(b)));

        [Fact]
        public void A_uri_resolved_against_a_base_normalizes_like_its_text()
        {
            var resolved = new Uri(new Uri("http://Example.com/dir/page.html"), "../other/./x%7e.html#f");
            Assert.Equal("http://example.com/other/x~.html", FetchUrl.Normalize(resolved));
        }

        [Fact]
        public void A_normal_form_is_its_own_normal_form()
        {
            string[] inputs =
            {
                "HTTP://www.Example.COM/b/./c/../d/%63/%7bfoo%7d?q=%7e%2f#x",
                "http://[2001:DB8::1]:8080/a b/\u00e9?x=\u00fc",
                "http://user:pa%73s@b\u00fccher.example/a%2fb/../c",
            };
            foreach (string input in inputs)
            {
                string once = FetchUrl.Normalize(new Uri(input));
                Assert.Equal(once, FetchUrl.Normalize(new Uri(once)));
            }
        }

        [Fact]
        public void Normalize_refuses_what_it_cannot_normalize()
        {
            Assert.Throws<ArgumentNullException>(() => FetchUrl.Normalize(null!));
            Assert.Throws<ArgumentException>(() => FetchUrl.Normalize(new Uri("/a", UriKind.Relative)));
            Assert.Throws<ArgumentException>(() => FetchUrl.Normalize(new Uri("file:///tmp/x")));
            Assert.False(FetchUrl.TryNormalize((string?)null, out string n));
            Assert.Null(n);
        }

        [Theory]
        [InlineData("", "/")]
        [InlineData("/", "/")]
        [InlineData("/a/b/c/./../../g", "/a/g")]
        [InlineData("/./a", "/a")]
        [InlineData("/../a", "/a")]
        [InlineData("/a/../../..", "/")]
        [InlineData("/a/b/../../../c/", "/c/")]
        [InlineData("/...", "/...")]
        [InlineData("/a/...", "/a/...")]
        public void Dot_segments_are_removed_as_RFC_3986_5_2_4_says(string path, string expected) =>
            Assert.Equal(expected, FetchUrl.RemoveDotSegments(path));
    }
}
