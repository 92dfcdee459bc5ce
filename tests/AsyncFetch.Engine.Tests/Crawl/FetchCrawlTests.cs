using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using AsyncFetch.Engine.Crawl;
using static AsyncFetch.Engine.Tests.Support.CrawlTestUtil;

namespace AsyncFetch.Engine.Tests.Crawl
{
    /// <summary>
    /// FetchCrawl driven by hand, without a network: start URLs, links and their depth and referrer, limits,
    /// de-duplication of URL spellings, scope and patterns, redirects followed as links, the Follow callback, IsIdle,
    /// and the saved state a resumed crawl goes on from. (robots.txt and Crawl-delay: FetchCrawlRobotsTests.)
    /// </summary>
    public sealed class FetchCrawlTests
    {
        private const string Start = "http://h.test/";

        /// <summary>A crawl started at <see cref="Start"/> whose start page links to <paramref name="hrefs"/>; returns the requests it then hands out.</summary>
        private static List<FetchRequest> Crawl(FetchCrawl crawl, params string[] hrefs)
        {
            Assert.True(crawl.AddStart(new FetchRequest(Start)));
            Assert.True(crawl.TryNext(out FetchRequest start));
            Assert.Equal(Start, start.Uri!.AbsoluteUri);
            Assert.True(crawl.TakeResult(Page(start, hrefs)));
            return Drain(crawl);
        }

        /// <summary>A new crawl (with <paramref name="options"/>) loaded from the state <paramref name="first"/> saves now.</summary>
        private static FetchCrawl Resumed(FetchCrawl first, FetchCrawlOptions? options)
        {
            var state = new MemoryStream();
            first.SaveState(state);
            state.Position = 0;
            FetchCrawl resumed = NewCrawl(options);
            resumed.LoadState(state);
            return resumed;
        }

        [Fact]
        public void A_start_url_given_twice_is_requested_once()
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            Assert.True(crawl.AddStart(new FetchRequest("http://h.test/a")));
            Assert.False(crawl.AddStart(new FetchRequest("HTTP://H.TEST:80/a#again")));

            Assert.Equal(new[] { "http://h.test/a" }, Urls(Drain(crawl)));
            Assert.Equal(1, crawl.Requested);
            Assert.Equal(1, crawl.Duplicates);
            Assert.Equal(1, crawl.SeenUrls);
        }

        [Fact]
        public void A_start_url_keeps_its_request_settings_and_gets_depth_zero()
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            var given = new FetchRequest("http://h.test/a") { Method = "GET", Tag = "mine", Depth = 7 };
            crawl.AddStart(given);

            Assert.True(crawl.TryNext(out FetchRequest request));
            Assert.Same(given, request);
            Assert.Equal(0, request.Depth);
            Assert.Null(request.Referrer);
            Assert.Equal("mine", request.Tag);
        }

        [Theory]
        [InlineData("ftp://h.test/file")]
        [InlineData("file:///tmp/x.html")]
        [InlineData("mailto:someone@h.test")]
        public void A_start_url_that_is_not_http_is_refused(string url)
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            Assert.False(crawl.AddStart(new FetchRequest(new Uri(url))));
            Assert.False(crawl.TryNext(out _));
            Assert.Equal(0, crawl.SeenUrls);
            Assert.True(crawl.IsIdle);
        }

        [Fact]
        public void Links_are_one_deeper_than_their_page_and_name_it_as_referrer()
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            List<FetchRequest> level1 = Crawl(crawl, "/dir/a", "b");
            Assert.Equal(new[] { "http://h.test/dir/a", "http://h.test/b" }, Urls(level1));
            Assert.All(level1, r => Assert.Equal(1, r.Depth));
            Assert.All(level1, r => Assert.Equal(Start, r.Referrer));

            crawl.TakeResult(Page(level1[0], "c", "/"));
            Assert.Empty(Drain(crawl)); // depth 2 waits for the rest of depth 1
            crawl.TakeResult(Page(level1[1]));
            FetchRequest level2 = Assert.Single(Drain(crawl));
            Assert.Equal("http://h.test/dir/c", level2.Uri!.AbsoluteUri); // relative to its page
            Assert.Equal(2, level2.Depth);
            Assert.Equal("http://h.test/dir/a", level2.Referrer);
            Assert.Equal(4, crawl.LinksFound);
            Assert.Equal(1, crawl.Duplicates); // "/" is the start page
        }

        [Fact]
        public void MaxDepth_stops_following_links()
        {
            var options = NoRobots();
            options.MaxDepth = 1;
            FetchCrawl crawl = NewCrawl(options);
            FetchRequest a = Assert.Single(Crawl(crawl, "/a"));

            crawl.TakeResult(Page(a, "/b", "/c"));
            Assert.Empty(Drain(crawl));
            Assert.Equal(1, crawl.LinksFound);
            Assert.True(crawl.IsIdle);
        }

        [Fact]
        public void MaxDepth_zero_requests_only_the_start_urls()
        {
            var options = NoRobots();
            options.MaxDepth = 0;
            Assert.Empty(Crawl(NewCrawl(options), "/a"));
        }

        [Fact]
        public void MaxPages_caps_the_requests_and_the_crawl_is_idle_there()
        {
            var options = NoRobots();
            options.MaxPages = 3;
            FetchCrawl crawl = NewCrawl(options);
            List<FetchRequest> links = Crawl(crawl, "/a", "/b", "/c", "/d");

            Assert.Equal(new[] { "http://h.test/a", "http://h.test/b" }, Urls(links));
            Assert.Equal(3, crawl.Requested);
            Assert.Equal(2, crawl.Waiting);
            Assert.True(crawl.IsIdle);
            crawl.TakeResult(Page(links[0], "/e"));
            Assert.False(crawl.TryNext(out _));
            Assert.Equal(3, crawl.Requested);
        }

        [Fact]
        public void MaxPages_reached_requests_no_more_robots_txt()
        {
            var options = new FetchCrawlOptions { MaxPages = 1, Scope = FetchCrawlScope.Any };
            FetchCrawl crawl = NewCrawl(options);
            Assert.Empty(Crawl(crawl, "/a", "http://other.test/b"));
            Assert.Equal(0, crawl.RobotsFetched);
            Assert.True(crawl.IsIdle);
        }

        [Fact]
        public void Spellings_of_one_url_are_requested_once_and_counted_as_duplicates()
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            List<FetchRequest> links = Crawl(
                crawl,
                "/a/b",
                "http://H.TEST/a/b",
                "http://h.test:80/a/b",
                "/a/./b",
                "/a/x/../b",
                "/a/b#section",
                "/a/%62",
                "http://h.test:8080/a/b");

            Assert.Equal(new[] { "http://h.test/a/b", "http://h.test:8080/a/b" }, Urls(links));
            Assert.Equal(6, crawl.Duplicates);
            Assert.Equal(8, crawl.LinksFound);
            Assert.Equal(3, crawl.SeenUrls);
        }

        [Fact]
        public void PrepareResult_normalizes_the_links_beforehand_and_the_crawl_takes_them_as_it_would_have()
        {
            string[] hrefs = { "/a/b", "http://H.TEST/a/b", "/a/./c", "mailto:x@h.test", "http://other.test/e", "/d#top" };
            var outcomes = new List<string>();
            foreach (bool prepared in new[] { false, true })
            {
                FetchCrawl crawl = NewCrawl(NoRobots(FetchCrawlScope.SameHost));
                Assert.True(crawl.AddStart(new FetchRequest(Start)));
                Assert.True(crawl.TryNext(out FetchRequest start));
                FetchResult page = Page(start, hrefs);
                if (prepared)
                {
                    FetchCrawl.PrepareResult(page);
                    Assert.All(page.GetLinks(), link => Assert.True(link.PreparedForCrawl));
                    Assert.Equal("http://h.test/a/c", page.GetLinks()[2].CrawlKey);
                    Assert.Null(page.GetLinks()[3].CrawlKey); // mailto: is no crawl target
                }

                Assert.True(crawl.TakeResult(page));
                outcomes.Add(string.Join(" ", Urls(Drain(crawl))) + $" dup={crawl.Duplicates} out={crawl.OutOfScope} found={crawl.LinksFound}");
            }

            Assert.Equal("http://h.test/a/b http://h.test/a/c http://h.test/d dup=1 out=2 found=6", outcomes[0]);
            Assert.Equal(outcomes[0], outcomes[1]);
        }

        [Fact]
        public void A_link_to_an_IDNA_forbidden_host_is_out_of_scope_and_neither_preparing_nor_taking_the_page_throws()
        {
            // Uri parses "http://\u200B/" but its IdnHost throws; on the pool thread of PrepareResult that ended the process.
            FetchCrawl crawl = NewCrawl(NoRobots(FetchCrawlScope.Any));
            Assert.True(crawl.AddStart(new FetchRequest(Start)));
            Assert.True(crawl.TryNext(out FetchRequest start));
            FetchResult page = Page(start, "/a", "http://\u200B/x", "http://&#x200b;/y");
            FetchCrawl.PrepareResult(page);
            Assert.True(crawl.TakeResult(page));

            Assert.Equal(new[] { "http://h.test/a" }, Urls(Drain(crawl)));
            Assert.Equal(2, crawl.OutOfScope);
            Assert.False(crawl.AddStart(new FetchRequest(new Uri("http://\u200B/"))));
        }

        [Fact]
        public void SameHost_compares_hosts_as_the_wire_spells_them_so_an_international_start_host_keeps_its_links()
        {
            FetchCrawl crawl = NewCrawl(NoRobots(FetchCrawlScope.SameHost));
            Assert.True(crawl.AddStart(new FetchRequest("http://bücher.test/")));
            Assert.True(crawl.TryNext(out FetchRequest start));
            Assert.True(crawl.TakeResult(Page(start, "/a", "http://xn--bcher-kva.test/b", "http://other.test/c")));

            Assert.Equal(new[] { "http://xn--bcher-kva.test/a", "http://xn--bcher-kva.test/b" }, Urls(Drain(crawl)));
            Assert.Equal(1, crawl.OutOfScope);
        }

        [Fact]
        public void SameHost_follows_the_start_hosts_on_any_port_and_scheme_only()
        {
            FetchCrawl crawl = NewCrawl(NoRobots(FetchCrawlScope.SameHost));
            List<FetchRequest> links = Crawl(crawl, "/a", "https://h.test/b", "http://h.test:8080/c", "http://sub.h.test/d", "http://other.test/e");

            Assert.Equal(new[] { "http://h.test/a", "https://h.test/b", "http://h.test:8080/c" }, Urls(links));
            Assert.Equal(2, crawl.OutOfScope);
        }

        [Fact]
        public void SameSite_follows_subdomains_of_the_start_host_without_its_www()
        {
            FetchCrawl crawl = NewCrawl(NoRobots(FetchCrawlScope.SameSite));
            Assert.True(crawl.AddStart(new FetchRequest("http://www.h.test/")));
            Assert.True(crawl.TryNext(out FetchRequest start));
            crawl.TakeResult(Page(start, "/a", "http://h.test/b", "http://docs.h.test/c", "http://evilh.test/d", "http://h.test.evil/e", "http://other.test/f"));

            Assert.Equal(new[] { "http://www.h.test/a", "http://h.test/b", "http://docs.h.test/c" }, Urls(Drain(crawl)));
            Assert.Equal(3, crawl.OutOfScope);
        }

        [Fact]
        public void Any_follows_every_http_and_https_link()
        {
            FetchCrawl crawl = NewCrawl(NoRobots(FetchCrawlScope.Any));
            List<FetchRequest> links = Crawl(crawl, "/a", "https://other.test/b", "ftp://other.test/c");

            Assert.Equal(new[] { "http://h.test/a", "https://other.test/b" }, Urls(links));
            Assert.Equal(1, crawl.OutOfScope);
        }

        [Fact]
        public void Include_and_Exclude_patterns_filter_the_normalized_links()
        {
            var options = NoRobots();
            options.Include.Add(new Regex("/docs/"));
            options.Exclude.Add(new Regex(@"\.pdf$"));
            FetchCrawl crawl = NewCrawl(options);
            List<FetchRequest> links = Crawl(crawl, "/docs/a", "/docs/b.pdf", "/blog/c", "/x/../docs/d#frag");

            Assert.Equal(new[] { "http://h.test/docs/a", "http://h.test/docs/d" }, Urls(links));
            Assert.Equal(2, crawl.OutOfScope);
        }

        [Fact]
        public void Javascript_and_mailto_links_are_not_followed()
        {
            FetchCrawl crawl = NewCrawl(NoRobots(FetchCrawlScope.Any));
            List<FetchRequest> links = Crawl(crawl, "javascript:void(0)", "mailto:someone@h.test", "tel:+123", "/ok");

            Assert.Equal(new[] { "http://h.test/ok" }, Urls(links));
            Assert.Equal(4, crawl.LinksFound);
            Assert.Equal(3, crawl.OutOfScope);
        }

        [Fact]
        public void A_redirect_is_followed_as_a_link_of_the_same_depth_and_referrer()
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            FetchRequest a = Assert.Single(Crawl(crawl, "/dir/a"));
            Assert.Equal(0, a.MaximumRedirection); // the crawl follows redirects itself
            Assert.True(crawl.TakeResult(Redirect(a, "moved", 301)));

            FetchRequest target = Assert.Single(Drain(crawl));
            Assert.Equal("http://h.test/dir/moved", target.Uri!.AbsoluteUri);
            Assert.Equal(1, target.Depth);
            Assert.Equal(Start, target.Referrer);
            Assert.Equal(1, crawl.LinksFound); // a Location is not a link found
        }

        [Fact]
        public void A_redirect_is_followed_at_MaxDepth()
        {
            var options = NoRobots();
            options.MaxDepth = 1;
            FetchCrawl crawl = NewCrawl(options);
            FetchRequest a = Assert.Single(Crawl(crawl, "/a"));
            crawl.TakeResult(Redirect(a, "/b", 302));
            Assert.Equal(new[] { "http://h.test/b" }, Urls(Drain(crawl)));
        }

        [Fact]
        public void MaxRedirects_bounds_a_chain_of_redirects()
        {
            var options = NoRobots();
            options.MaxRedirects = 2;
            FetchCrawl crawl = NewCrawl(options);
            crawl.AddStart(new FetchRequest("http://h.test/r0"));
            var chain = new List<string>();
            for (int hop = 0; crawl.TryNext(out FetchRequest request); hop++)
            {
                chain.Add(request.Uri!.AbsoluteUri);
                crawl.TakeResult(Redirect(request, "/r" + (hop + 1), 307));
            }

            Assert.Equal(new[] { "http://h.test/r0", "http://h.test/r1", "http://h.test/r2" }, chain);
            Assert.True(crawl.IsIdle);
        }

        [Fact]
        public void A_redirect_to_a_url_already_seen_is_not_requested_again()
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            List<FetchRequest> links = Crawl(crawl, "/a", "/b");
            crawl.TakeResult(Redirect(For(links, "http://h.test/b"), "http://H.test/a#x"));
            crawl.TakeResult(Redirect(For(links, "http://h.test/a"), "/"));

            Assert.Empty(Drain(crawl));
            Assert.Equal(2, crawl.Duplicates);
            Assert.Equal(3, crawl.Requested);
        }

        [Fact]
        public void A_redirect_out_of_scope_is_not_followed()
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            FetchRequest a = Assert.Single(Crawl(crawl, "/a"));
            crawl.TakeResult(Redirect(a, "http://other.test/a"));
            Assert.Empty(Drain(crawl));
        }

        [Fact]
        public void Follow_chooses_the_urls_instead_of_the_links_relative_ones_resolved_against_the_page()
        {
            var seen = new List<FetchResult>();
            var options = NoRobots();
            options.Follow = result =>
            {
                seen.Add(result);
                return result.Uri!.AbsolutePath == "/dir/page" ? new[] { "rel/x", "/abs", "http://other.test/y", "javascript:void(0)" } : null;
            };
            FetchCrawl crawl = NewCrawl(options);
            crawl.AddStart(new FetchRequest("http://h.test/dir/page"));
            Assert.True(crawl.TryNext(out FetchRequest start));
            FetchResult page = Page(start, "/linked-only");
            crawl.TakeResult(page);

            List<FetchRequest> chosen = Drain(crawl);
            Assert.Equal(new[] { "http://h.test/dir/rel/x", "http://h.test/abs", "http://other.test/y" }, Urls(chosen));
            Assert.All(chosen, r => Assert.Equal(1, r.Depth));
            Assert.All(chosen, r => Assert.Equal("http://h.test/dir/page", r.Referrer));
            Assert.Same(page, Assert.Single(seen));
            Assert.Equal(4, crawl.LinksFound);

            crawl.TakeResult(Answer(chosen[0], 200, "application/json", "{}")); // called for any response
            Assert.Equal(2, seen.Count);
            Assert.Empty(Drain(crawl));
        }

        [Fact]
        public void IsIdle_is_false_while_robots_txt_or_held_urls_are_pending()
        {
            FetchCrawl crawl = NewCrawl();
            Assert.True(crawl.IsIdle);
            crawl.AddStart(new FetchRequest(Start));
            Assert.False(crawl.IsIdle); // a start URL waits
            Assert.True(crawl.TryNext(out FetchRequest start));
            Assert.True(crawl.IsIdle); // only its result, the caller's, is outstanding

            crawl.TakeResult(Page(start, "/a", "/b"));
            Assert.False(crawl.IsIdle); // robots.txt to send
            Assert.True(crawl.TryNext(out FetchRequest robots));
            Assert.False(crawl.IsIdle); // robots.txt in flight, two URLs held for it
            crawl.TakeResult(Robots(robots, string.Empty));
            Assert.False(crawl.IsIdle); // two URLs ready

            List<FetchRequest> pages = Drain(crawl);
            Assert.Equal(2, pages.Count);
            Assert.True(crawl.IsIdle);
            foreach (FetchRequest p in pages)
            {
                crawl.TakeResult(Page(p));
            }

            Assert.True(crawl.IsIdle);
            Assert.Equal(0, crawl.Waiting);
        }

        [Fact]
        public void A_failed_page_or_an_unknown_result_adds_nothing()
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            FetchRequest a = Assert.Single(Crawl(crawl, "/a"));
            Assert.True(crawl.TakeResult(Failure(a)));
            Assert.True(crawl.TakeResult(Page(new FetchRequest("http://h.test/never-handed-out"), "/z")));
            Assert.Empty(Drain(crawl));
            Assert.Equal(1, crawl.LinksFound);
        }

        [Fact]
        public void A_crawl_loaded_from_the_saved_state_hands_out_exactly_the_open_urls()
        {
            FetchCrawl first = NewCrawl(NoRobots());
            List<FetchRequest> links = Crawl(first, "/a", "/b");
            first.TakeResult(Page(links[0], "/c", "/d", "/"));
            Assert.Empty(Drain(first)); // a done; b in flight; c and d (depth 2) wait for it

            FetchCrawl resumed = Resumed(first, NoRobots());

            FetchRequest b = Assert.Single(Drain(resumed)); // c and d wait for b again
            Assert.Equal("http://h.test/b", b.Uri!.AbsoluteUri);
            Assert.Equal(1, b.Depth);
            Assert.Equal(Start, b.Referrer);
            Assert.Equal(first.SeenUrls, resumed.SeenUrls);
            Assert.Equal(2, resumed.Waiting);

            Assert.False(resumed.AddStart(new FetchRequest(Start)));
            Assert.False(resumed.AddStart(new FetchRequest("http://h.test/a")));
            Assert.False(resumed.AddStart(new FetchRequest("http://h.test/d")));
            Assert.True(resumed.AddStart(new FetchRequest("http://h.test/new")));
            FetchRequest started = Assert.Single(Drain(resumed));
            Assert.Equal("http://h.test/new", started.Uri!.AbsoluteUri);

            resumed.TakeResult(Page(b, "/a", "/e"));
            Assert.Empty(Drain(resumed)); // depth 2 waits for the new start URL (depth 0)
            resumed.TakeResult(Page(started));
            List<FetchRequest> rest = Drain(resumed);
            Assert.Equal(new[] { "http://h.test/c", "http://h.test/d", "http://h.test/e" }, Urls(rest).OrderBy(u => u, StringComparer.Ordinal));
            Assert.All(rest, r => Assert.Equal(2, r.Depth));
            Assert.Equal("http://h.test/a", For(rest, "http://h.test/d").Referrer);
            Assert.Equal("http://h.test/b", For(rest, "http://h.test/e").Referrer);
        }

        [Fact]
        public void A_url_waits_while_a_shallower_url_is_in_flight_and_takes_a_shorter_depth_found_meanwhile()
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            List<FetchRequest> level1 = Crawl(crawl, "/a", "/b", "/r");   // depth 1, in flight
            crawl.TakeResult(Page(For(level1, "http://h.test/a"), "/c", "/x")); // c and x at depth 2 wait for b and r
            Assert.Empty(Drain(crawl));

            // r is a redirect to c: a redirect adds no depth, so c is at depth 1, as r is.
            crawl.TakeResult(Redirect(For(level1, "http://h.test/r"), "/c"));
            FetchRequest c = Assert.Single(Drain(crawl));
            Assert.Equal("http://h.test/c", c.Uri!.AbsoluteUri);
            Assert.Equal(1, c.Depth);
            Assert.Equal(Start, c.Referrer);

            crawl.TakeResult(Page(For(level1, "http://h.test/b")));
            Assert.Empty(Drain(crawl)); // x still waits for c, which could link it
            crawl.TakeResult(Page(c, "/x"));
            FetchRequest x = Assert.Single(Drain(crawl));
            Assert.Equal("http://h.test/x", x.Uri!.AbsoluteUri);
            Assert.Equal(2, x.Depth);
            Assert.Equal("http://h.test/a", x.Referrer); // found first from a, at the same depth
        }

        private static FetchResult CanonicalPage(FetchRequest request, string canonical, params string[] hrefs) =>
            Answer(request, 200, "text/html", "<html><head><link rel=\"canonical\" href=\"" + canonical + "\"></head><body>"
                + string.Concat(hrefs.Select(h => "<a href=\"" + h + "\">x</a>")) + "</body></html>");

        [Fact]
        public void A_page_whose_canonical_url_was_seen_is_counted_once_and_its_links_are_not_followed_again()
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            List<FetchRequest> pages = Crawl(crawl, "/article", "/article?utm=1");
            crawl.TakeResult(CanonicalPage(For(pages, "http://h.test/article"), "/article", "/next"));
            crawl.TakeResult(CanonicalPage(For(pages, "http://h.test/article?utm=1"), "http://h.test/article", "/other"));
            Assert.Equal(1, crawl.CanonicalDuplicates);
            Assert.Equal(new[] { "http://h.test/next" }, Urls(Drain(crawl)));
        }

        [Fact]
        public void A_page_whose_canonical_url_redirected_to_it_is_expanded_and_stands_for_that_url()
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            FetchRequest old = Assert.Single(Crawl(crawl, "/old"));
            crawl.TakeResult(Redirect(old, "/new"));
            FetchRequest moved = Assert.Single(Drain(crawl));
            Assert.Equal("http://h.test/new", moved.Uri!.AbsoluteUri);

            // The URL that redirected here was seen, but never read as a page: this page's links are followed.
            crawl.TakeResult(CanonicalPage(moved, "/old", "/next", "/copy"));
            Assert.Equal(0, crawl.CanonicalDuplicates);
            List<FetchRequest> next = Drain(crawl);
            Assert.Equal(new[] { "http://h.test/next", "http://h.test/copy" }, Urls(next));

            // A later page naming the same canonical URL is the duplicate.
            crawl.TakeResult(CanonicalPage(For(next, "http://h.test/copy"), "http://h.test/old", "/other"));
            Assert.Equal(1, crawl.CanonicalDuplicates);
            Assert.Empty(Drain(crawl));
        }

        [Fact]
        public void A_resumed_crawl_keeps_the_start_hosts_of_start_urls_it_finished_before()
        {
            FetchCrawl first = NewCrawl(NoRobots());
            Assert.True(first.AddStart(new FetchRequest("http://k.test/")));
            Assert.True(first.AddStart(new FetchRequest(Start)));
            List<FetchRequest> starts = Drain(first);
            first.TakeResult(Page(For(starts, "http://k.test/"))); // finished: not open in the saved state
            first.TakeResult(Page(For(starts, Start), "/a"));
            Assert.Single(Drain(first));

            FetchCrawl resumed = Resumed(first, NoRobots());
            FetchRequest a = Assert.Single(Drain(resumed));

            resumed.TakeResult(Page(a, "http://k.test/z", "http://elsewhere.test/"));
            Assert.Equal(new[] { "http://k.test/z" }, Urls(Drain(resumed)));
            Assert.Equal(1, resumed.OutOfScope);
        }

        [Fact]
        public void A_resumed_crawl_knows_the_pages_whose_links_were_followed_before()
        {
            FetchCrawl first = NewCrawl(NoRobots());
            List<FetchRequest> pages = Crawl(first, "/copy"); // the start page's links were followed
            FetchCrawl resumed = Resumed(first, NoRobots());

            FetchRequest copy = Assert.Single(Drain(resumed));
            resumed.TakeResult(CanonicalPage(copy, Start, "/other"));
            Assert.Equal(1, resumed.CanonicalDuplicates);
            Assert.Empty(Drain(resumed));
        }

        [Fact]
        public void A_crawl_state_of_the_first_format_is_still_read()
        {
            var state = new MemoryStream();
            using (var writer = new BinaryWriter(state, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write("AsyncFetch crawl state 1");
                writer.Write(1);
                writer.Write("http://h.test/b");
                writer.Write(1);
                writer.Write(Start);
                writer.Write(0);
            }

            var seen = new SeenSet();
            seen.Add(Start);
            seen.Add("http://h.test/b");
            seen.Add("http://k.test/");
            seen.Save(state);
            state.Position = 0;

            FetchCrawl resumed = NewCrawl(NoRobots());
            resumed.LoadState(state);
            FetchRequest b = Assert.Single(Drain(resumed));
            Assert.Equal("http://h.test/b", b.Uri!.AbsoluteUri);
            Assert.Equal(1, b.Depth);

            // That format kept no start hosts: the open URLs' stand in, and start URLs given again add theirs, seen or not.
            Assert.False(resumed.AddStart(new FetchRequest("http://k.test/")));
            resumed.TakeResult(Page(b, "/c", "http://k.test/z"));
            Assert.Equal(new[] { "http://h.test/c", "http://k.test/z" }, Urls(Drain(resumed)));
        }

        [Fact]
        public void A_canonical_url_not_fetched_yet_is_not_fetched_as_a_page_of_its_own()
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            List<FetchRequest> pages = Crawl(crawl, "/print/7");
            crawl.TakeResult(CanonicalPage(For(pages, "http://h.test/print/7"), "/item/7", "/item/8"));
            Assert.Equal(new[] { "http://h.test/item/8" }, Urls(Drain(crawl)));
            Assert.Equal(0, crawl.CanonicalDuplicates);
            Assert.Equal(0, crawl.Waiting);
        }

        [Fact]
        public void Urls_held_for_robots_txt_are_saved_and_wait_for_it_again_after_loading()
        {
            FetchCrawl first = NewCrawl();
            first.AddStart(new FetchRequest(Start));
            Assert.True(first.TryNext(out FetchRequest start));
            first.TakeResult(Page(start, "/a", "/b"));
            Assert.Equal(2, first.Waiting);

            FetchCrawl resumed = Resumed(first, null);

            Assert.True(resumed.TryNext(out FetchRequest robots));
            Assert.True(resumed.IsControl(robots));
            Assert.False(resumed.TryNext(out _));
            resumed.TakeResult(Robots(robots, "User-agent: *\nDisallow: /b\n"));
            Assert.Equal(new[] { "http://h.test/a" }, Urls(Drain(resumed)));
            Assert.Equal(1, resumed.Disallowed);
        }

        [Fact]
        public void LoadState_refuses_what_is_not_a_crawl_state()
        {
            var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                writer.Write("something else");
            }

            stream.Position = 0;
            Assert.Throws<InvalidDataException>(() => NewCrawl().LoadState(stream));
        }
    }
}
