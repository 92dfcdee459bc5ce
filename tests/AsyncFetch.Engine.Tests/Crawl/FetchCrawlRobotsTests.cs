using System;
using System.Collections.Generic;
using static AsyncFetch.Engine.Tests.Support.CrawlTestUtil;

namespace AsyncFetch.Engine.Tests.Crawl
{
    /// <summary>
    /// FetchCrawl and robots.txt (RFC 9309): fetched once per origin before any discovered URL of it, obeyed by
    /// status (2xx parsed, 4xx allow all, 5xx and no answer disallow all), its Crawl-delay spacing the origin's URLs.
    /// </summary>
    public sealed class FetchCrawlRobotsTests
    {
        private const string Start = "http://h.test/";

        /// <summary>A robots-obeying crawl whose start page was answered with links to <paramref name="hrefs"/>; returns the robots.txt request it then hands out.</summary>
        private static FetchRequest StartWithLinks(FetchCrawl crawl, params string[] hrefs)
        {
            Assert.True(crawl.AddStart(new FetchRequest(Start)));
            Assert.True(crawl.TryNext(out FetchRequest start));
            Assert.False(crawl.IsControl(start));
            Assert.True(crawl.TakeResult(Page(start, hrefs)));
            Assert.True(crawl.TryNext(out FetchRequest robots));
            Assert.True(crawl.IsControl(robots));
            return robots;
        }

        [Fact]
        public void The_first_discovered_url_of_an_origin_brings_its_robots_txt_first_and_holds_the_urls_until_it_arrives()
        {
            FetchCrawl crawl = NewCrawl();
            FetchRequest robots = StartWithLinks(crawl, "/a", "/b");

            Assert.Equal("http://h.test/robots.txt", robots.Uri!.AbsoluteUri);
            Assert.Equal(1, crawl.RobotsFetched);
            Assert.False(crawl.TryNext(out _)); // the pages wait for robots.txt
            Assert.Equal(2, crawl.Waiting);
            Assert.False(crawl.IsIdle);

            Assert.False(crawl.TakeResult(Robots(robots, "User-agent: *\nDisallow:\n")), "a robots.txt result is not the caller's to write");
            List<FetchRequest> pages = Drain(crawl);
            Assert.Equal(new[] { "http://h.test/a", "http://h.test/b" }, Urls(pages));
            Assert.All(pages, p => Assert.False(crawl.IsControl(p)));
            Assert.Equal(1, crawl.RobotsFetched);
            Assert.Equal(3, crawl.Requested); // robots.txt not counted
        }

        [Fact]
        public void Robots_txt_is_a_plain_GET_kept_in_memory_whatever_the_page_requests_are()
        {
            // With -OutDirectory the robots.txt body went to a file, the rules read as empty, and disallowed URLs were fetched.
            var crawl = new FetchCrawl(new FetchCrawlOptions(), uri => new FetchRequest(uri)
            {
                Method = "POST",
                Body = new byte[] { 1 },
                OutDirectory = "/tmp/pages",
                OutFile = "/tmp/page.html",
            });
            FetchRequest robots = StartWithLinks(crawl, "/a");
            Assert.Equal("GET", robots.Method);
            Assert.Null(robots.Body);
            Assert.Null(robots.Content);
            Assert.Null(robots.OutDirectory);
            Assert.Null(robots.OutFile);
            Assert.False(robots.DiscardBody);
        }

        [Fact]
        public void Each_origin_gets_its_own_robots_txt_once()
        {
            FetchCrawl crawl = NewCrawl(new FetchCrawlOptions { Scope = FetchCrawlScope.Any });
            FetchRequest first = StartWithLinks(crawl, "/a", "http://other.test/x", "/b", "http://other.test/y");
            Assert.True(crawl.TryNext(out FetchRequest second));
            Assert.True(crawl.IsControl(second));
            Assert.False(crawl.TryNext(out _));
            Assert.Equal(new[] { "http://h.test/robots.txt", "http://other.test/robots.txt" }, Urls(new[] { first, second }));
            Assert.Equal(2, crawl.RobotsFetched);

            crawl.TakeResult(Robots(second, string.Empty));
            Assert.Equal(new[] { "http://other.test/x", "http://other.test/y" }, Urls(Drain(crawl)));
            crawl.TakeResult(Robots(first, string.Empty));
            Assert.Equal(new[] { "http://h.test/a", "http://h.test/b" }, Urls(Drain(crawl)));
        }

        [Fact]
        public void Links_robots_txt_disallows_are_dropped_and_counted()
        {
            FetchCrawl crawl = NewCrawl();
            FetchRequest robots = StartWithLinks(crawl, "/private/x", "/public/y", "/private/z/", "/privateer");
            crawl.TakeResult(Robots(robots, "User-agent: *\nDisallow: /private/\n"));

            Assert.Equal(new[] { "http://h.test/public/y", "http://h.test/privateer" }, Urls(Drain(crawl)));
            Assert.Equal(2, crawl.Disallowed);
            Assert.True(crawl.IsIdle);
        }

        [Fact]
        public void The_group_of_the_robots_user_agent_applies()
        {
            FetchCrawl crawl = NewCrawl(new FetchCrawlOptions { RobotsUserAgent = "MyBot" });
            FetchRequest robots = StartWithLinks(crawl, "/a", "/b");
            crawl.TakeResult(Robots(robots, "User-agent: *\nDisallow: /\n\nUser-agent: mybot\nDisallow: /b\n"));

            Assert.Equal(new[] { "http://h.test/a" }, Urls(Drain(crawl)));
            Assert.Equal(1, crawl.Disallowed);
        }

        [Fact]
        public void A_404_robots_txt_allows_everything()
        {
            FetchCrawl crawl = NewCrawl();
            FetchRequest robots = StartWithLinks(crawl, "/a", "/private/b");
            crawl.TakeResult(Answer(robots, 404, "text/html", "User-agent: *\nDisallow: /\n"));

            Assert.Equal(new[] { "http://h.test/a", "http://h.test/private/b" }, Urls(Drain(crawl)));
            Assert.Equal(0, crawl.Disallowed);
        }

        [Fact]
        public void A_503_robots_txt_disallows_everything()
        {
            FetchCrawl crawl = NewCrawl();
            FetchRequest robots = StartWithLinks(crawl, "/a", "/b");
            crawl.TakeResult(Answer(robots, 503, "text/plain", string.Empty));

            Assert.Empty(Drain(crawl));
            Assert.Equal(2, crawl.Disallowed);
            Assert.True(crawl.IsIdle);
        }

        [Fact]
        public void A_robots_txt_that_cannot_be_fetched_disallows_everything()
        {
            FetchCrawl crawl = NewCrawl();
            FetchRequest robots = StartWithLinks(crawl, "/a", "/b");
            Assert.False(crawl.TakeResult(Failure(robots, FetchErrorKind.Timeout)));

            Assert.Empty(Drain(crawl));
            Assert.Equal(2, crawl.Disallowed);
            Assert.True(crawl.IsIdle);
        }

        [Fact]
        public void A_start_url_is_requested_even_where_robots_txt_disallows_it()
        {
            FetchCrawl crawl = NewCrawl();
            FetchRequest robots = StartWithLinks(crawl, "/private/linked");
            crawl.TakeResult(Robots(robots, "User-agent: *\nDisallow: /private/\n"));
            Assert.Empty(Drain(crawl));
            Assert.Equal(1, crawl.Disallowed);

            Assert.True(crawl.AddStart(new FetchRequest("http://h.test/private/asked")));
            Assert.Equal(new[] { "http://h.test/private/asked" }, Urls(Drain(crawl)));
            Assert.Equal(1, crawl.Disallowed);
        }

        [Fact]
        public void Without_RespectRobots_no_robots_txt_is_requested()
        {
            FetchCrawl crawl = NewCrawl(NoRobots());
            crawl.AddStart(new FetchRequest(Start));
            Assert.True(crawl.TryNext(out FetchRequest start));
            crawl.TakeResult(Page(start, "/a", "/private/b"));

            List<FetchRequest> pages = Drain(crawl);
            Assert.Equal(new[] { "http://h.test/a", "http://h.test/private/b" }, Urls(pages));
            Assert.All(pages, p => Assert.False(crawl.IsControl(p)));
            Assert.Equal(0, crawl.RobotsFetched);
        }

        [Fact]
        public void A_crawl_delay_holds_the_origins_next_url_and_NextDelay_says_how_long()
        {
            FetchCrawl crawl = NewCrawl();
            FetchRequest robots = StartWithLinks(crawl, "/a", "/b", "/c");
            Assert.Null(crawl.NextDelay(DateTime.UtcNow)); // nothing held by a delay yet (only by robots.txt)
            crawl.TakeResult(Robots(robots, "User-agent: *\nCrawl-delay: 1\n"));

            Assert.True(crawl.TryNext(out FetchRequest first));
            Assert.Equal("http://h.test/a", first.Uri!.AbsoluteUri);
            Assert.False(crawl.TryNext(out _), "the next URL of the origin waits for the crawl delay");
            TimeSpan? wait = crawl.NextDelay(DateTime.UtcNow);
            Assert.NotNull(wait);
            Assert.True(wait > TimeSpan.Zero && wait <= TimeSpan.FromSeconds(1), $"wait {wait}");
            Assert.Equal(2, crawl.Waiting);
            Assert.False(crawl.IsIdle);
            Assert.Equal(TimeSpan.Zero, crawl.NextDelay(DateTime.UtcNow.AddSeconds(2)));
        }

        [Fact]
        public void A_url_held_by_a_crawl_delay_goes_once_the_delay_passed_and_not_before()
        {
            const double delaySeconds = 0.2;
            FetchCrawl crawl = NewCrawl();
            FetchRequest robots = StartWithLinks(crawl, "/a", "/b");
            crawl.TakeResult(Robots(robots, "User-agent: AsyncFetch\nCrawl-delay: 0.2\n"));

            DateTime before = DateTime.UtcNow;
            Assert.True(crawl.TryNext(out FetchRequest first));
            Assert.Equal("http://h.test/a", first.Uri!.AbsoluteUri);

            FetchRequest? second = null;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (second == null && DateTime.UtcNow < deadline)
            {
                if (crawl.TryNext(out FetchRequest next))
                {
                    second = next;
                    break;
                }

                TimeSpan? wait = crawl.NextDelay(DateTime.UtcNow);
                Assert.NotNull(wait);
                System.Threading.Thread.Sleep(wait.Value > TimeSpan.Zero ? wait.Value : TimeSpan.FromMilliseconds(1));
            }

            DateTime after = DateTime.UtcNow;
            Assert.NotNull(second);
            Assert.Equal("http://h.test/b", second!.Uri!.AbsoluteUri);
            Assert.True(after - before >= TimeSpan.FromSeconds(delaySeconds), $"handed out after {(after - before).TotalMilliseconds} ms");
            Assert.Null(crawl.NextDelay(DateTime.UtcNow)); // nothing held any more
            Assert.True(crawl.IsIdle);
        }

        /// <summary>Takes requests until one comes, waiting as NextDelay says (bounded).</summary>
        private static FetchRequest NextWithin(FetchCrawl crawl, TimeSpan limit)
        {
            DateTime deadline = DateTime.UtcNow + limit;
            while (DateTime.UtcNow < deadline)
            {
                if (crawl.TryNext(out FetchRequest next))
                {
                    return next;
                }

                TimeSpan? wait = crawl.NextDelay(DateTime.UtcNow);
                Assert.NotNull(wait);
                System.Threading.Thread.Sleep(wait.Value > TimeSpan.Zero ? wait.Value : TimeSpan.FromMilliseconds(1));
            }

            throw new TimeoutException("no request was handed out");
        }

        [Fact]
        public void A_url_held_for_robots_txt_keeps_deeper_urls_of_other_origins_waiting_so_depths_stay_shortest()
        {
            FetchCrawl crawl = NewCrawl(new FetchCrawlOptions { Scope = FetchCrawlScope.Any });
            FetchRequest robotsH = StartWithLinks(crawl, "/a", "http://g.test/b");
            Assert.True(crawl.TryNext(out FetchRequest robotsG));
            Assert.Equal("http://g.test/robots.txt", robotsG.Uri!.AbsoluteUri);

            crawl.TakeResult(Robots(robotsG, "User-agent: *\nAllow: /\n")); // g.test answers first; h.test/a (depth 1) still held
            FetchRequest b = Assert.Single(Drain(crawl));
            crawl.TakeResult(Page(b, "/c"));
            Assert.Empty(Drain(crawl)); // c, at depth 2 so far, waits for h.test/a (depth 1), which could lead to it

            crawl.TakeResult(Robots(robotsH, "User-agent: *\nAllow: /\n"));
            FetchRequest a = Assert.Single(Drain(crawl));
            Assert.Equal("http://h.test/a", a.Uri!.AbsoluteUri);
            crawl.TakeResult(Redirect(a, "http://g.test/c")); // it does: a redirect adds no depth
            FetchRequest c = Assert.Single(Drain(crawl));
            Assert.Equal("http://g.test/c", c.Uri!.AbsoluteUri);
            Assert.Equal(1, c.Depth);
            Assert.Equal(Start, c.Referrer);
        }

        [Fact]
        public void NextDelay_does_not_count_a_held_url_whose_turn_waits_for_a_shallower_page()
        {
            FetchCrawl crawl = NewCrawl(new FetchCrawlOptions { Scope = FetchCrawlScope.Any });
            FetchRequest robotsH = StartWithLinks(crawl, "/p", "http://g.test/a");
            Assert.True(crawl.TryNext(out FetchRequest robotsG));
            crawl.TakeResult(Robots(robotsG, "User-agent: *\nAllow: /\n"));
            FetchRequest a = Assert.Single(Drain(crawl)); // depth 1, in flight until the end
            crawl.TakeResult(Robots(robotsH, "User-agent: *\nCrawl-delay: 0.05\n"));
            FetchRequest p = Assert.Single(Drain(crawl)); // depth 1 too: the origin's first request goes at once
            crawl.TakeResult(Page(p, "/q"));

            // q (depth 2) is held by the delay and, once that passed, by a (depth 1) in flight: a clock will not free it.
            Assert.Null(crawl.NextDelay(DateTime.UtcNow.AddSeconds(5)));
            Assert.False(crawl.IsIdle);

            crawl.TakeResult(Page(a));
            Assert.Equal(TimeSpan.Zero, crawl.NextDelay(DateTime.UtcNow.AddSeconds(5)));
            FetchRequest q = NextWithin(crawl, TimeSpan.FromSeconds(30));
            Assert.Equal("http://h.test/q", q.Uri!.AbsoluteUri);
            Assert.Equal(2, q.Depth);
        }

        [Fact]
        public void A_crawl_delay_of_another_agents_group_does_not_apply()
        {
            FetchCrawl crawl = NewCrawl();
            FetchRequest robots = StartWithLinks(crawl, "/a", "/b", "/c");
            crawl.TakeResult(Robots(robots, "User-agent: slowbot\nCrawl-delay: 30\n\nUser-agent: *\nAllow: /\n"));

            Assert.Equal(3, Drain(crawl).Count);
            Assert.Null(crawl.NextDelay(DateTime.UtcNow));
        }
    }
}
