using System;
using System.Linq;
using System.Text;
using AsyncFetch.Engine.Crawl;

namespace AsyncFetch.Engine.Tests.Crawl
{
    /// <summary>
    /// LinkExtractor: which elements are links (by the HTML parsing rules, not by pattern matching), and how their
    /// hrefs resolve against the page URL and the first &lt;base href&gt;.
    /// </summary>
    public sealed class LinkExtractorTests
    {
        private static readonly Uri Page = new Uri("http://h.test/dir/sub/page.html?q=1");

        private static string[] Hrefs(string html, Uri? page = null) =>
            LinkExtractor.Extract(html, page ?? Page).Links.Select(l => l.Href).ToArray();

        [Theory]
        [InlineData("<a href=\"x.html\">x</a>", "http://h.test/dir/sub/x.html")]
        [InlineData("<a href=\"../up.html\">x</a>", "http://h.test/dir/up.html")]
        [InlineData("<a href=\"../../../../top\">x</a>", "http://h.test/top")]
        [InlineData("<a href=\"/root\">x</a>", "http://h.test/root")]
        [InlineData("<a href=\"?page=2\">x</a>", "http://h.test/dir/sub/page.html?page=2")]
        [InlineData("<a href=\"#top\">x</a>", "http://h.test/dir/sub/page.html?q=1#top")]
        [InlineData("<a href=\"\">x</a>", "http://h.test/dir/sub/page.html?q=1")]
        [InlineData("<a href=\"//other.test/p\">x</a>", "http://other.test/p")]
        [InlineData("<a href=\"HTTPS://Other.Test:443/P\">x</a>", "https://other.test/P")]
        [InlineData("<a href=\"mailto:a@b.test\">x</a>", "mailto:a@b.test")]
        [InlineData("<a href=\"  spaced.html\n\">x</a>", "http://h.test/dir/sub/spaced.html")]
        [InlineData("<a href=\"sp ace.html\">x</a>", "http://h.test/dir/sub/sp%20ace.html")]
        public void Hrefs_resolve_against_the_page(string html, string expected)
        {
            Assert.Equal(new[] { expected }, Hrefs(html));
        }

        [Theory]
        [InlineData("<a href=a.html>x</a>")]
        [InlineData("<a href='a.html'>x</a>")]
        [InlineData("<A HREF=\"a.html\">x</A>")]
        [InlineData("<a\nclass=x\thref=a.html download>x</a>")]
        [InlineData("<a href=a.html href=b.html>x</a>")]
        public void Attributes_in_any_quoting_and_case(string html)
        {
            Assert.Equal(new[] { "http://h.test/dir/sub/a.html" }, Hrefs(html));
        }

        [Fact]
        public void Character_references_in_href_are_decoded()
        {
            FetchLink link = LinkExtractor.Extract("<a href=\"list?a=1&amp;b=2&#38;c=&#x33;\">x</a>", Page).Links.Single();
            Assert.Equal("list?a=1&b=2&c=3", link.RawHref);
            Assert.Equal("http://h.test/dir/sub/list?a=1&b=2&c=3", link.Href);
        }

        [Fact]
        public void The_first_base_href_applies_to_every_link_before_and_after_it()
        {
            string html = "<a href=before>b</a><base href=\"http://base.test/b/\"><base href=\"/ignored/\"><a href=\"../after\">a</a>";
            HtmlLinks links = LinkExtractor.Extract(html, Page);
            Assert.Equal(new[] { "http://base.test/b/before", "http://base.test/after" }, links.Links.Select(l => l.Href));
            Assert.Equal("http://base.test/b/", links.BaseUri.AbsoluteUri);
        }

        [Fact]
        public void A_relative_base_href_resolves_against_the_page()
        {
            Assert.Equal(new[] { "http://h.test/other/x" }, Hrefs("<head><base href=\"../../other/\"></head><a href=x>x</a>"));
        }

        [Theory]
        [InlineData("<base href=\"javascript:alert(1)\"><a href=x>x</a>")]
        [InlineData("<base href=\"data:text/html,hi\"><a href=x>x</a>")]
        [InlineData("<base target=_blank><a href=x>x</a>")]
        public void A_base_without_a_usable_href_leaves_the_page_url(string html)
        {
            Assert.Equal(new[] { "http://h.test/dir/sub/x" }, Hrefs(html));
        }

        [Theory]
        [InlineData("<!-- <a href=\"/c\">c</a> -->")]
        [InlineData("<script>var s = '<a href=\"/s\">s</a>';</script>")]
        [InlineData("<script>document.write(\"</p><a href=/s>\")</script>")]
        [InlineData("<style>a::after { content: '<a href=/st>' }</style>")]
        [InlineData("<textarea><a href=\"/t\">t</a></textarea>")]
        [InlineData("<title><a href=\"/t\">t</a></title>")]
        [InlineData("<a name=\"anchor\">no href</a><a>none</a>")]
        [InlineData("<link rel=stylesheet href=/style.css><link rel=canonical href=/c>")]
        [InlineData("<p>href=\"/text\" is just text</p>")]
        public void Markup_that_is_not_a_link_gives_none(string html)
        {
            Assert.Empty(Hrefs(html + "<p>after"));
            Assert.Equal(new[] { "http://h.test/z" }, Hrefs(html + "<a href=/z>z</a>"));
        }

        [Fact]
        public void Area_links_count_and_tag_rel_and_text_are_reported()
        {
            string html = "<map><AREA href=/m shape=rect alt=map></map><a rel=\"nofollow next\" href=/n>  Next\n  <b>page</b> &raquo; </a>";
            FetchLink[] links = LinkExtractor.Extract(html, Page).Links;
            Assert.Equal(2, links.Length);
            Assert.Equal(("area", "http://h.test/m", (string?)null, ""), (links[0].TagName, links[0].Href, links[0].Rel, links[0].Text));
            Assert.Equal(("a", "http://h.test/n", (string?)"nofollow next", "Next page \u00bb"), (links[1].TagName, links[1].Href, links[1].Rel, links[1].Text));
        }

        [Fact]
        public void Link_text_is_capped()
        {
            string html = "<a href=x>" + new string('w', LinkExtractor.MaxTextLength * 3) + "</a>";
            Assert.Equal(LinkExtractor.MaxTextLength, LinkExtractor.Extract(html, Page).Links.Single().Text.Length);
        }

        [Fact]
        public void An_href_that_is_no_url_is_kept_as_written()
        {
            FetchLink link = LinkExtractor.Extract("<a href=\"http://[::1\">x</a>", Page).Links.Single();
            Assert.Equal("http://[::1", link.Href);
            Assert.Equal("http://[::1", link.RawHref);
        }

        [Fact]
        public void The_canonical_link_is_found_and_resolved()
        {
            HtmlLinks links = LinkExtractor.Extract("<head><link rel=\"Canonical\" href=\"/real?id=1\"></head><a href=x>x</a>", Page);
            Assert.Equal("http://h.test/real?id=1", links.Canonical);
            Assert.Null(LinkExtractor.Extract("<a href=x>x</a>", Page).Canonical);
        }

        [Fact]
        public void Malformed_markup_still_gives_every_link_in_document_order()
        {
            string html = "<ul><li><a href=1>one<li><a href=2>two</ul></div></span><p><a href=3>three<p><table><tr><td><a href=4>four</table><a href=5";
            Assert.Equal(new[] { "1", "2", "3", "4" }, LinkExtractor.Extract(html, Page).Links.Select(l => l.RawHref));
        }

        [Fact]
        public void Links_in_a_latin1_page_are_decoded_with_its_charset()
        {
            byte[] body = Encoding.Latin1.GetBytes("<a href=\"caf\u00e9.html\">Caf\u00e9</a>");
            FetchLink link = LinkExtractor.Extract(body, "text/html; charset=iso-8859-1", Page).Links.Single();
            Assert.Equal("Caf\u00e9", link.Text);
            Assert.Equal("http://h.test/dir/sub/caf%C3%A9.html", link.Href);
        }

        [Theory]
        [InlineData("text/html", true)]
        [InlineData("TEXT/HTML; charset=utf-8", true)]
        [InlineData("application/xhtml+xml", true)]
        [InlineData(" text/html ;q", true)]
        [InlineData("text/plain", false)]
        [InlineData("application/json", false)]
        [InlineData("text/htmlx", false)]
        [InlineData(null, false)]
        public void Only_html_media_types_have_links(string? contentType, bool expected)
        {
            Assert.Equal(expected, LinkExtractor.IsHtml(contentType));
        }
    }
}
