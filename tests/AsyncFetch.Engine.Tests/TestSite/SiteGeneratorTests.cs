using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using AsyncFetch.TestServer;

namespace AsyncFetch.Engine.Tests.TestSite
{
    /// <summary>The generated crawl site (tests/AsyncFetch.TestServer/SiteGenerator.cs): determinism, the manifest, and HTML that agrees with the link model.</summary>
    public sealed class SiteGeneratorTests
    {
        private const string Origin = "http://127.0.0.1:8080";

        public static TheoryData<int, int> Sizes => new() { { 20, 1 }, { 21, 2 }, { 57, 3 }, { 300, 4 }, { 2500, 5 } };

        [Fact]
        public void SameArgumentsGiveTheSameBytes()
        {
            Site a = SiteGenerator.Generate(400, 11, Origin);
            Site b = SiteGenerator.Generate(400, 11, Origin);
            Assert.Equal(a.ManifestJson, b.ManifestJson);
            Assert.Equal(a.Resources.Keys.OrderBy(k => k, StringComparer.Ordinal), b.Resources.Keys.OrderBy(k => k, StringComparer.Ordinal));
            foreach (KeyValuePair<string, SiteResource> entry in a.Resources)
            {
                Assert.Equal(entry.Value.Body, b.Resources[entry.Key].Body);
            }
        }

        [Fact]
        public void AnotherSeedGivesAnotherGraphAndTheOriginOnlyChangesAbsoluteLinks()
        {
            Site a = SiteGenerator.Generate(400, 11, Origin);
            Site c = SiteGenerator.Generate(400, 12, Origin);
            Assert.NotEqual(a.ManifestJson, c.ManifestJson);

            Site other = SiteGenerator.Generate(400, 11, "http://localhost:9000");
            Assert.Equal(a.ManifestJson, other.ManifestJson);
            string page = Encoding.UTF8.GetString(other.Resources["/item/1.html"].Body);
            Assert.DoesNotContain("127.0.0.1", page, StringComparison.Ordinal);
        }

        [Theory]
        [MemberData(nameof(Sizes))]
        public void ManifestCountsAgree(int pages, int seed)
        {
            Site site = SiteGenerator.Generate(pages, seed, Origin);
            SiteManifest m = site.Manifest;
            foreach (SiteCrawlFacts facts in new[] { m.RobotsOn, m.RobotsOff })
            {
                Assert.Equal(facts.HtmlPages, facts.ByDepth.Sum());
                Assert.All(facts.ByDepth, n => Assert.True(n > 0));
                Assert.Equal(1, facts.ByDepth[0]);
                Assert.True(facts.Redirects > 0 && facts.Broken > 0 && facts.Files > 0);
            }

            // Ignoring robots.txt reaches every document, plus the one query variant.
            Assert.Equal(pages + 1, m.RobotsOff.HtmlPages);
            Assert.Equal(0, m.RobotsOff.Disallowed);
            Assert.True(m.RobotsOn.Disallowed > 0);
            Assert.True(m.RobotsOn.HtmlPages < m.RobotsOff.HtmlPages);

            Assert.Equal(m.RobotsOff.Requests, m.Urls.Count);
            Assert.Equal(m.RobotsOn.Requests, m.Urls.Count(u => u.Depth.HasValue));
            Assert.Equal(m.RobotsOn.HtmlPages, m.Urls.Count(u => u.Depth.HasValue && u.Kind == SiteResourceKind.Html));
            Assert.Equal(m.RobotsOn.DetailPages, m.Urls.Count(u => u.Depth.HasValue && u.Path.StartsWith("/item/", StringComparison.Ordinal)));
            Assert.Equal(m.RobotsOn.Broken, m.Urls.Count(u => u.Depth.HasValue && u.Status == 404));
            Assert.DoesNotContain(m.Urls, u => u.Disallowed && u.Depth.HasValue);
            int disallowedLinks = m.Urls.Where(u => u.Depth.HasValue).SelectMany(u => site.Resources[u.Path].Links)
                .Select(l => l.Target).Where(t => t != null && SiteManifest.IsDisallowed(t)).Distinct().Count();
            Assert.Equal(m.RobotsOn.Disallowed, disallowedLinks);
            Assert.All(m.Urls.Where(u => u.Path.StartsWith("/item/", StringComparison.Ordinal)),
                u => Assert.Equal("Item " + u.Path.Substring(6, u.Path.Length - 11), u.Title));
        }

        [Theory]
        [MemberData(nameof(Sizes))]
        public void DepthsAreShortestPaths(int pages, int seed)
        {
            Site site = SiteGenerator.Generate(pages, seed, Origin);
            foreach (bool robots in new[] { true, false })
            {
                Dictionary<string, int> depth = site.Manifest.Urls
                    .Where(u => !robots || u.Depth.HasValue)
                    .ToDictionary(u => u.Path, u => robots ? u.Depth!.Value : u.DepthIgnoringRobots);
                var reachedAt = new Dictionary<string, int> { ["/"] = 0 };
                foreach ((string path, int d) in depth)
                {
                    SiteResource r = site.Resources[path];
                    IEnumerable<(string Target, int Depth)> edges = r.Kind == SiteResourceKind.Redirect
                        ? [(r.Location!, d)]
                        : r.Links.Where(l => l.Target != null).Select(l => (l.Target == SiteLink.Self ? path : l.Target!, d + 1));
                    foreach ((string target, int at) in edges)
                    {
                        if (robots && SiteManifest.IsDisallowed(target))
                        {
                            Assert.False(depth.ContainsKey(target));
                            continue;
                        }

                        Assert.True(depth.ContainsKey(target), path + " links to " + target + ", which the manifest does not list");
                        Assert.True(depth[target] <= at, target + " is deeper than a path through " + path);
                        reachedAt[target] = Math.Min(reachedAt.GetValueOrDefault(target, int.MaxValue), at);
                    }
                }

                // Every URL's depth is achieved by some link (no URL is listed shallower than the graph allows).
                Assert.Equal(depth.OrderBy(e => e.Key, StringComparer.Ordinal), reachedAt.OrderBy(e => e.Key, StringComparer.Ordinal));
            }
        }

        [Theory]
        [MemberData(nameof(Sizes))]
        public void TheHtmlSaysWhatTheModelSays(int pages, int seed)
        {
            var origin = new Uri(seed % 2 == 0 ? "http://localhost:8080" : Origin);
            Site site = SiteGenerator.Generate(pages, seed, origin.GetLeftPart(UriPartial.Authority));
            foreach (SiteResource r in site.Resources.Values.Where(r => r.Kind == SiteResourceKind.Html))
            {
                string html = Encoding.UTF8.GetString(r.Body);
                Assert.Equal(r.Title, SiteHtml.Tag(html, "title"));
                Assert.Equal(r.Title, SiteHtml.Tag(html, "h1"));
                string? baseHref = SiteHtml.Attributes(html, "<base href=\"").SingleOrDefault();
                var page = new Uri(origin, r.Path);
                List<string> hrefs = SiteHtml.Attributes(html, "<a href=\"");
                Assert.Equal(r.Links.Select(l => l.Href), hrefs);
                for (int i = 0; i < hrefs.Count; i++)
                {
                    string? expected = r.Links[i].Target == SiteLink.Self ? r.Path : r.Links[i].Target;
                    Assert.Equal(expected, SiteHtml.Resolve(page, baseHref, hrefs[i], origin));
                }
            }
        }

        [Theory]
        [MemberData(nameof(Sizes))]
        public void EveryLinkIsServedRedirectsOrIsBroken(int pages, int seed)
        {
            Site site = SiteGenerator.Generate(pages, seed, Origin);
            foreach (SiteLink link in site.Resources.Values.SelectMany(r => r.Links).Where(l => l.Target != null && l.Target != SiteLink.Self))
            {
                SiteResource model = site.Resources[link.Target!];
                SiteResource? served = site.Find(link.Target!.Split('?')[0]);
                if (model.Kind == SiteResourceKind.Broken)
                {
                    Assert.Null(served);
                    continue;
                }

                Assert.NotNull(served);
                Assert.Equal(model.Kind, served.Kind);
                Assert.Equal(model.Body, served.Body);
                if (served.Kind == SiteResourceKind.Redirect)
                {
                    Assert.Equal(SiteResourceKind.Html, site.Find(served.Location!)!.Kind);
                    Assert.Contains(served.Status, new[] { 301, 302 });
                }
            }

            string robots = Encoding.ASCII.GetString(site.Find("/robots.txt")!.Body);
            Assert.Contains("Disallow: " + SiteManifest.DisallowedPrefix, robots, StringComparison.Ordinal);
        }

        [Fact]
        public void WritesFilesAndRedirectsForNginx()
        {
            Site site = SiteGenerator.Generate(120, 3, Origin);
            string dir = Path.Combine(Path.GetTempPath(), "asyncfetch-site-" + Guid.NewGuid().ToString("N"));
            try
            {
                site.WriteTo(dir);
                string www = Path.Combine(dir, "www");
                Assert.Equal(site.Resources["/"].Body, File.ReadAllBytes(Path.Combine(www, "index.html")));
                Assert.Equal(site.ManifestJson, File.ReadAllBytes(Path.Combine(www, "site-manifest.json")));
                foreach (SiteResource r in site.Resources.Values.Where(r => r.Kind is SiteResourceKind.Html or SiteResourceKind.File && r.Path.IndexOf('?') < 0 && r.Path != "/"))
                {
                    Assert.Equal(r.Body, File.ReadAllBytes(Path.Combine(www, r.Path.Substring(1))));
                }

                Assert.False(Directory.Exists(Path.Combine(www, "gone")));
                string[] redirects = File.ReadAllLines(Path.Combine(dir, "nginx-redirects.conf"));
                SiteResource[] expected = site.Resources.Values.Where(r => r.Kind == SiteResourceKind.Redirect).ToArray();
                Assert.Equal(expected.Length, redirects.Length);
                Assert.All(expected, r => Assert.Contains("location = " + r.Path + " { return " + r.Status + " " + r.Location + "; }", redirects));
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
