using System;
using System.Linq;
using System.Text;
using AsyncFetch.Engine.Crawl;

namespace AsyncFetch.Engine.Tests.Crawl
{
    /// <summary>
    /// RobotsRules against RFC 9309: its examples (section 5), its rules on groups, matching, encoding, limits and fetch
    /// outcomes, and cases in the spirit of Google's reference parser's tests where the RFC leaves room.
    /// </summary>
    public sealed class RobotsRulesTests
    {
        private static bool Allowed(string robots, string agent, string url) =>
            RobotsRules.Parse(robots, agent).IsAllowed(new Uri(url));

        // RFC 9309 5.1, "Simple Example"
        private const string RfcSimple =
            "User-Agent: *\n" +
            "Disallow: *.gif$\n" +
            "Disallow: /example/\n" +
            "Allow: /publications/\n" +
            "\n" +
            "User-Agent: foobot\n" +
            "Disallow:/\n" +
            "Allow:/example/page.html\n" +
            "Allow:/example/allowed.gif\n" +
            "\n" +
            "User-Agent: barbot\n" +
            "User-Agent: bazbot\n" +
            "Disallow: /example/page.html\n" +
            "\n" +
            "User-Agent: quxbot\n" +
            "\n" +
            "EOF\n";

        [Theory]
        [InlineData("otherbot", "/example/x", false)]
        [InlineData("otherbot", "/publications/a", true)]
        [InlineData("otherbot", "/img/a.gif", false)]
        [InlineData("otherbot", "/img/a.gif?x", true)]
        [InlineData("otherbot", "/index.html", true)]
        [InlineData("foobot", "/example/page.html", true)]
        [InlineData("foobot", "/example/allowed.gif", true)]
        [InlineData("foobot", "/example/other.html", false)]
        [InlineData("foobot", "/", false)]
        [InlineData("FooBot/2.1 (+http://foo.test/bot)", "/", false)]
        [InlineData("barbot", "/example/page.html", false)]
        [InlineData("barbot", "/example/other.html", true)]
        [InlineData("bazbot", "/example/page.html", false)]
        [InlineData("bazbot", "/img/a.gif", true)]
        [InlineData("quxbot", "/example/page.html", true)]
        [InlineData("quxbot", "/img/a.gif", true)]
        public void The_rfc_simple_example(string agent, string path, bool expected)
        {
            Assert.Equal(expected, Allowed(RfcSimple, agent, "http://www.example.com" + path));
        }

        [Theory]
        [InlineData("/example/page/", true)]
        [InlineData("/example/page/disallowed.gif", false)]
        [InlineData("/example/page/other.gif", true)]
        public void The_rfc_longest_match_example(string path, bool expected)
        {
            const string robots = "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n";
            Assert.Equal(expected, Allowed(robots, "foobot", "http://www.example.com" + path));
        }

        [Theory]
        [InlineData("disallow: /x/page.html\nallow: /x/\n", "/x/page.html", false)]
        [InlineData("allow: /x/page.html\ndisallow: /x/\n", "/x/page.html", true)]
        [InlineData("allow: /x/page.html\ndisallow: /x/\n", "/x/", false)]
        [InlineData("disallow: /\nallow: /\n", "/x", true)]
        [InlineData("allow: /x/page.html\ndisallow: /x/page.html\n", "/x/page.html", true)]
        [InlineData("disallow: /x\nallow: /x/\n", "/x", false)]
        [InlineData("disallow: /x\nallow: /x/\n", "/x/", true)]
        [InlineData("allow: /page\ndisallow: /*.html\n", "/page.html", false)]
        [InlineData("allow: /page\ndisallow: /*.html\n", "/page", true)]
        [InlineData("allow: /$\ndisallow: /\n", "/", true)]
        [InlineData("allow: /$\ndisallow: /\n", "/page.html", false)]
        [InlineData("disallow:\nallow:\n", "/x", true)]
        public void The_longest_match_wins_and_allow_wins_a_tie(string rules, string path, bool expected)
        {
            Assert.Equal(expected, Allowed("user-agent: FooBot\n" + rules, "FooBot", "http://h.test" + path));
        }

        [Theory]
        [InlineData("/fish", "/fish", true)]
        [InlineData("/fish", "/fish.html?id=anything", true)]
        [InlineData("/fish", "/fishheads/yummy.html", true)]
        [InlineData("/fish", "/Fish.asp", false)]
        [InlineData("/fish", "/catfish", false)]
        [InlineData("/fish", "/?id=fish", false)]
        [InlineData("/fish*", "/fish.html", true)]
        [InlineData("/fish*", "/catfish", false)]
        [InlineData("/fish/", "/fish/?salmon", true)]
        [InlineData("/fish/", "/fish", false)]
        [InlineData("/*.php", "/folder/filename.php?parameters", true)]
        [InlineData("/*.php", "//folder/any.php.file.html", true)]
        [InlineData("/*.php", "/index?f=filename.php/", true)]
        [InlineData("/*.php", "/index?php", false)]
        [InlineData("/*.php", "/windows.PHP", false)]
        [InlineData("/*.php$", "/folder/filename.php", true)]
        [InlineData("/*.php$", "/filename.php?parameters", false)]
        [InlineData("/*.php$", "/filename.php5", false)]
        [InlineData("/fish*.php", "/fishheads/catfish.php?parameters", true)]
        [InlineData("/fish*.php", "/Fish.PHP", false)]
        [InlineData("/foo/*/qux", "/foo/bar/qux", true)]
        [InlineData("/foo/*/qux", "/foo//qux", true)]
        [InlineData("/foo/*/qux", "/foo/qux", false)]
        [InlineData("/a**b", "/axxb", true)]
        [InlineData("*", "/anything", true)]
        public void Wildcards_and_end_anchors(string allowPattern, string path, bool expected)
        {
            string robots = "user-agent: FooBot\ndisallow: /\nallow: " + allowPattern + "\n";
            Assert.Equal(expected, Allowed(robots, "FooBot", "http://h.test" + path));
        }

        [Theory]
        [InlineData("/foo/bar$", "/foo/bar", false)]
        [InlineData("/foo/bar$", "/foo/bar/", true)]
        [InlineData("/foo/bar$", "/foo/bar/qux", true)]
        public void An_anchored_disallow(string disallowPattern, string path, bool expected)
        {
            string robots = "user-agent: FooBot\ndisallow: " + disallowPattern + "\n";
            Assert.Equal(expected, Allowed(robots, "FooBot", "http://h.test" + path));
        }

        [Theory]
        [InlineData("/foo/bar/\u30c4", "/foo/bar/%E3%83%84", true)]
        [InlineData("/foo/bar/%E3%83%84", "/foo/bar/%E3%83%84", true)]
        [InlineData("/foo/bar/%e3%83%84", "/foo/bar/%E3%83%84", true)]
        [InlineData("/foo/bar/%62%61%7A", "/foo/bar/baz", true)]
        [InlineData("/foo/bar/baz", "/foo/bar/%62%61%7A", true)]
        [InlineData("/foo/bar?qux=taz&baz=http://foo.bar?tar&par", "/foo/bar?qux=taz&baz=http://foo.bar?tar&par", true)]
        [InlineData("/path/file-with-a-%2A.html", "/path/file-with-a-*.html", true)]
        [InlineData("/path/file-with-a-%2A.html", "/path/file-with-a-x.html", false)]
        [InlineData("/path/foo-%24", "/path/foo-$", true)]
        [InlineData("/a%2Fb", "/a/b", false)]
        public void Percent_encoding_is_normalized_on_both_sides(string allowPattern, string path, bool expected)
        {
            string robots = "user-agent: FooBot\ndisallow: /\nallow: " + allowPattern + "\n";
            Assert.Equal(expected, Allowed(robots, "FooBot", "http://h.test" + path));
        }

        [Fact]
        public void A_path_with_non_ascii_characters_matches_its_encoded_pattern()
        {
            RobotsRules rules = RobotsRules.Parse("user-agent: *\ndisallow: /caf%C3%A9/\n", "bot");
            Assert.False(rules.IsAllowed("/caf\u00e9/menu"));
            Assert.False(rules.IsAllowed(new Uri("http://h.test/caf\u00e9/menu")));
            Assert.True(rules.IsAllowed("/cafe/menu"));
        }

        [Fact]
        public void Groups_for_the_same_agent_are_merged_and_rules_outside_groups_ignored()
        {
            const string robots =
                "allow: /foo/bar/\n\nuser-agent: FooBot\ndisallow: /\nallow: /x/\nuser-agent: BarBot\ndisallow: /\nallow: /y/\n\n\n" +
                "allow: /w/\nuser-agent: BazBot\n\nuser-agent: FooBot\nallow: /z/\ndisallow: /\n";
            Assert.True(Allowed(robots, "FooBot", "http://h.test/x/b"));
            Assert.True(Allowed(robots, "FooBot", "http://h.test/z/d"));
            Assert.False(Allowed(robots, "FooBot", "http://h.test/y/c"));
            Assert.True(Allowed(robots, "BarBot", "http://h.test/y/c"));
            Assert.True(Allowed(robots, "BarBot", "http://h.test/w/a"));
            Assert.False(Allowed(robots, "BarBot", "http://h.test/z/d"));
            Assert.True(Allowed(robots, "BazBot", "http://h.test/z/d"));
            Assert.False(Allowed(robots, "FooBot", "http://h.test/foo/bar/"));
            Assert.False(Allowed(robots, "BazBot", "http://h.test/foo/bar/"));
        }

        [Theory]
        [InlineData("USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n")]
        [InlineData("uSeR-aGeNt: fOObOT\nAlLoW: /x/\ndIsAlLoW: /\n")]
        [InlineData("User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n")]
        [InlineData("user-agent FooBot\nallow /x/\ndisallow /\n")]
        [InlineData("user-agent:FooBot/1.0\nallow:/x/\ndisallow:/\n")]
        [InlineData("  user-agent :  FooBot  # our bot\n\tallow: /x/ # the x folder\ndisallow: /\n")]
        public void Keys_and_agent_names_are_case_insensitive_and_spacing_is_free(string robots)
        {
            string agent = robots.Contains("FOO BAR") ? "foo" : "foobot";
            Assert.True(Allowed(robots, agent, "http://h.test/x/y"));
            Assert.False(Allowed(robots, agent, "http://h.test/a/b"));
        }

        [Fact]
        public void A_specific_group_replaces_the_star_group()
        {
            const string robots = "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n";
            Assert.True(Allowed(robots, "FooBot", "http://h.test/x/page"));
            Assert.False(Allowed(robots, "FooBot", "http://h.test/y/page"));
            Assert.False(Allowed(robots, "OtherBot", "http://h.test/x/page"));
            Assert.True(Allowed(robots, "OtherBot", "http://h.test/y/page"));
        }

        [Theory]
        [InlineData("", "FooBot")]
        [InlineData("user-agent: FooBot\nallow: /\nuser-agent: BarBot\ndisallow: /\n", "QuxBot")]
        [InlineData("user-agent: FooBot\ndisallow: /\n", "")]
        [InlineData("# only a comment\n", "FooBot")]
        [InlineData("user-agent: *Bot\ndisallow: /\n", "FooBot")]
        public void No_group_for_the_agent_allows_everything(string robots, string agent)
        {
            Assert.True(Allowed(robots, agent, "http://h.test/x/y"));
        }

        [Fact]
        public void Robots_txt_itself_is_always_allowed()
        {
            Assert.True(Allowed("user-agent: *\ndisallow: /\n", "bot", "http://h.test/robots.txt"));
            Assert.True(RobotsRules.DisallowAll.IsAllowed(new Uri("http://h.test/robots.txt")));
            Assert.False(RobotsRules.DisallowAll.IsAllowed(new Uri("http://h.test/robots.txt.bak")));
        }

        [Theory]
        [InlineData("User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /\n")]
        [InlineData("User-Agent: foo\r\nAllow: /some/path\r\nUser-Agent: bar\r\n\r\n\r\nDisallow: /\r\n")]
        [InlineData("User-Agent: foo\rAllow: /some/path\rUser-Agent: bar\r\r\rDisallow: /\r")]
        [InlineData("User-Agent: foo\nAllow: /some/path\r\nUser-Agent: bar\n\r\n\rDisallow: /")]
        [InlineData("\uFEFFUser-Agent: foo\nAllow: /some/path\nUser-Agent: bar\nDisallow: /")]
        public void Every_line_ending_and_a_byte_order_mark(string robots)
        {
            // two groups: foo's ends at "User-Agent: bar", whose Disallow applies to bar only
            Assert.True(Allowed(robots, "foo", "http://h.test/other"));
            Assert.False(Allowed(robots, "bar", "http://h.test/other"));
            Assert.False(Allowed(robots, "bar", "http://h.test/some/path"));
            RobotsRules fromBytes = RobotsRules.Parse(Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(robots.TrimStart('\uFEFF'))).ToArray(), "bar");
            Assert.False(fromBytes.IsAllowed("/other"));
        }

        [Fact]
        public void A_comment_ends_the_value()
        {
            const string robots = "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n";
            Assert.True(Allowed(robots, "FooBot", "http://h.test/foo/bar"));
            Assert.False(Allowed(robots, "FooBot", "http://h.test/foo/quz"));
        }

        [Theory]
        [InlineData("Crawl-delay: 10", 10.0)]
        [InlineData("crawl-delay: 0.5", 0.5)]
        [InlineData("Crawl-Delay:2.25 # slow", 2.25)]
        [InlineData("Crawl-delay: -1", null)]
        [InlineData("Crawl-delay: soon", null)]
        [InlineData("Crawl-delay:", null)]
        public void Crawl_delay_of_the_agents_group(string line, double? expected)
        {
            string robots = "User-agent: *\nCrawl-delay: 99\nUser-agent: FooBot\nDisallow: /private\n" + line + "\n";
            Assert.Equal(expected, RobotsRules.Parse(robots, "FooBot").CrawlDelaySeconds);
        }

        [Fact]
        public void Crawl_delay_falls_back_with_the_star_group_and_is_absent_without_groups()
        {
            const string robots = "User-agent: *\nCrawl-delay: 3\nUser-agent: FooBot\nDisallow: /x\n";
            Assert.Equal(3.0, RobotsRules.Parse(robots, "OtherBot").CrawlDelaySeconds);
            Assert.Null(RobotsRules.Parse(robots, "FooBot").CrawlDelaySeconds);
            Assert.Null(RobotsRules.Parse("Crawl-delay: 5\n", "FooBot").CrawlDelaySeconds);
            Assert.Null(RobotsRules.AllowAll.CrawlDelaySeconds);
        }

        [Fact]
        public void Sitemaps_are_collected_anywhere_and_do_not_end_a_group()
        {
            const string robots =
                "Sitemap: http://h.test/a.xml\nUser-agent: FooBot\nSitemap: http://h.test/b.xml\nDisallow: /x\n" +
                "sitemap:http://other.test/c.xml # third\nDisallow: /y\n";
            RobotsRules rules = RobotsRules.Parse(robots, "FooBot");
            Assert.Equal(new[] { "http://h.test/a.xml", "http://h.test/b.xml", "http://other.test/c.xml" }, rules.Sitemaps);
            Assert.False(rules.IsAllowed("/y"));
        }

        [Fact]
        public void Only_the_first_500_KiB_are_read_and_a_cut_line_is_dropped()
        {
            var sb = new StringBuilder("User-agent: *\nDisallow: /early\n");
            while (sb.Length < RobotsRules.MaxBytes - 100)
            {
                sb.Append("# filler filler filler filler filler filler filler filler filler\n");
            }

            string head = sb.ToString();
            int cut = RobotsRules.MaxBytes - head.Length;
            string robots = head + "Disallow: /cut" + new string('x', cut) + "\nDisallow: /late\n";
            RobotsRules rules = RobotsRules.Parse(Encoding.UTF8.GetBytes(robots), "bot");
            Assert.False(rules.IsAllowed("/early"));
            Assert.True(rules.IsAllowed("/cut"));
            Assert.True(rules.IsAllowed("/late"));

            // the same lines within the limit are read
            RobotsRules whole = RobotsRules.Parse(Encoding.UTF8.GetBytes("User-agent: *\nDisallow: /cut\nDisallow: /late\n"), "bot");
            Assert.False(whole.IsAllowed("/cut"));
            Assert.False(whole.IsAllowed("/late"));
        }

        [Theory]
        [InlineData(200, "Parse")]
        [InlineData(204, "Parse")]
        [InlineData(301, "FollowRedirect")]
        [InlineData(308, "FollowRedirect")]
        [InlineData(400, "AllowAll")]
        [InlineData(401, "AllowAll")]
        [InlineData(403, "AllowAll")]
        [InlineData(404, "AllowAll")]
        [InlineData(410, "AllowAll")]
        [InlineData(429, "DisallowAll")]
        [InlineData(500, "DisallowAll")]
        [InlineData(503, "DisallowAll")]
        [InlineData(0, "DisallowAll")]
        public void The_fetch_status_decides_which_rules_apply(int status, string expected)
        {
            Assert.Equal(expected, RobotsRules.ForStatus(status).ToString());
        }

        [Fact]
        public void Allow_all_and_disallow_all()
        {
            Assert.True(RobotsRules.AllowAll.IsAllowed(new Uri("http://h.test/any/thing?x")));
            Assert.False(RobotsRules.DisallowAll.IsAllowed(new Uri("http://h.test/")));
            Assert.False(RobotsRules.DisallowAll.IsAllowed(new Uri("http://h.test/any/thing?x")));
        }

        [Theory]
        [InlineData("AsyncFetch/0.1 (+https://example.test)", "AsyncFetch")]
        [InlineData("  Foo_Bar-Baz 2", "Foo_Bar-Baz")]
        [InlineData("Mozilla/5.0 (compatible)", "Mozilla")]
        [InlineData("*", "")]
        public void The_product_token_of_a_user_agent(string userAgent, string expected)
        {
            Assert.Equal(expected, RobotsRules.ProductToken(userAgent));
        }

        [Fact]
        public void A_pathological_wildcard_pattern_stays_linear_per_position()
        {
            string pattern = "/" + string.Concat(Enumerable.Repeat("*a", 200)) + "$";
            RobotsRules rules = RobotsRules.Parse("user-agent: *\ndisallow: " + pattern + "\n", "bot");
            Assert.True(rules.IsAllowed("/" + new string('a', 199) + "b"));
            Assert.False(rules.IsAllowed("/" + new string('a', 400)));
        }
    }
}
