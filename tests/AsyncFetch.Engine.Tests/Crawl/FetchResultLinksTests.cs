using System;
using System.Collections.Generic;
using System.Text;

namespace AsyncFetch.Engine.Tests.Crawl
{
    /// <summary>FetchResult.GetLinks: parsed only when read, only for HTML bodies, once.</summary>
    public sealed class FetchResultLinksTests
    {
        private static FetchResult Result(string? contentType, string? body, string url = "http://h.test/a/b.html")
        {
            var result = new FetchResult(new FetchRequest(new Uri(url)));
            if (contentType != null)
            {
                result.Headers.Add("Content-Type", contentType);
            }

            result.StatusCode = 200;
            result.Body = body == null ? null : Encoding.UTF8.GetBytes(body);
            return result;
        }

        [Fact]
        public void Links_are_parsed_on_first_read_and_kept()
        {
            FetchResult result = Result("text/html; charset=utf-8", "<a href=c.html>c</a><a href=/d>d</a>");
            Assert.NotNull(result.Content);
            Assert.False(result.LinksParsed);

            IReadOnlyList<FetchLink> links = result.GetLinks();
            Assert.True(result.LinksParsed);
            Assert.Equal(2, links.Count);
            Assert.Equal("http://h.test/a/c.html", links[0].Href);
            Assert.Equal("http://h.test/d", links[1].Href);
            Assert.Same(links, result.GetLinks());
        }

        [Theory]
        [InlineData("application/json", "{\"x\":\"<a href=/j>\"}")]
        [InlineData("text/plain", "<a href=/t>t</a>")]
        [InlineData(null, "<a href=/n>n</a>")]
        [InlineData("text/html", null)]
        public void A_response_without_an_html_body_has_no_links_and_parses_nothing(string? contentType, string? body)
        {
            FetchResult result = Result(contentType, body);
            Assert.Empty(result.GetLinks());
            Assert.False(result.LinksParsed);
        }

        [Fact]
        public void A_page_nested_deeper_than_the_parser_takes_has_no_links_and_is_refused_at_once()
        {
            // 100,000 unclosed elements overflowed the stack of the thread parsing them (the process ended) before the cap.
            var hostile = new StringBuilder();
            hostile.Insert(0, "<div>", 100_000).Append("<a href=/deep>d</a>");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Assert.Empty(Result("text/html", hostile.ToString()).GetLinks());
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");

            // Nesting within the cap parses as before, closed or not.
            string nested = new StringBuilder().Insert(0, "<div>", 1000).Append("<a href=/in>i</a>").ToString();
            Assert.Equal(new[] { "http://h.test/in" }, HrefsOf(Result("text/html", nested)));
            string closed = new StringBuilder().Insert(0, "<span>", 1000).Append("<a href=/c>c</a>").ToString()
                + new StringBuilder().Insert(0, "</span>", 1000);
            Assert.Equal(new[] { "http://h.test/c" }, HrefsOf(Result("text/html", closed)));
        }

        private static string[] HrefsOf(FetchResult result)
        {
            var hrefs = new List<string>();
            foreach (FetchLink link in result.GetLinks())
            {
                hrefs.Add(link.Href);
            }

            return hrefs.ToArray();
        }

        [Fact]
        public void A_failure_has_no_links()
        {
            var request = new FetchRequest(new Uri("http://h.test/"));
            Assert.Empty(FetchResult.CreateFailure(request, FetchErrorKind.Connect, "refused").GetLinks());
        }

        [Fact]
        public void Links_resolve_against_the_final_url_after_redirects()
        {
            FetchResult result = Result("text/html", "<a href=next>n</a>");
            result.Uri = new Uri("http://h.test/moved/here/");
            Assert.Equal("http://h.test/moved/here/next", result.GetLinks()[0].Href);
        }
    }
}
