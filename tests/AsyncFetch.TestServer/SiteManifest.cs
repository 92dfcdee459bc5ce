using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AsyncFetch.TestServer;

/// <summary>
/// What a crawl of one <see cref="Site"/> from "/" must find, computed by a breadth-first walk over the generator's
/// own link model (never by parsing its HTML), once obeying robots.txt and once ignoring it. Immutable.
/// </summary>
/// <remarks>
/// Depth: "/" is 0, a page linked from a page of depth d is d + 1, and a redirect does not add one (its target has
/// the depth of the link that led to the redirect). URLs are compared after normalization (fragment dropped,
/// spellings of one URL counted once), so every count is of distinct URLs.
/// </remarks>
public sealed class SiteManifest
{
    private SiteManifest(Site site, SiteCrawlFacts robotsOn, SiteCrawlFacts robotsOff, List<SiteUrlFacts> urls)
    {
        Pages = site.Pages;
        Seed = site.Seed;
        RobotsOn = robotsOn;
        RobotsOff = robotsOff;
        Urls = urls;
    }

    /// <summary>The start path.</summary>
    public const string Start = "/";

    /// <summary>The path prefix robots.txt disallows for every agent.</summary>
    public const string DisallowedPrefix = "/private/";

    /// <summary>Distinct HTML documents the site has.</summary>
    public int Pages { get; }

    /// <summary>The generator's seed.</summary>
    public int Seed { get; }

    /// <summary>A crawl that obeys robots.txt.</summary>
    public SiteCrawlFacts RobotsOn { get; }

    /// <summary>A crawl that ignores robots.txt.</summary>
    public SiteCrawlFacts RobotsOff { get; }

    /// <summary>Every URL reachable from "/" when robots.txt is ignored, in order of discovery.</summary>
    public IReadOnlyList<SiteUrlFacts> Urls { get; }

    /// <summary>True when robots.txt disallows <paramref name="path"/> for agents other than SlowBot.</summary>
    public static bool IsDisallowed(string path) => path.StartsWith(DisallowedPrefix, StringComparison.Ordinal);

    internal static SiteManifest Compute(Site site)
    {
        var on = new Walk(site, obeyRobots: true);
        var off = new Walk(site, obeyRobots: false);
        var urls = new List<SiteUrlFacts>(off.Order.Count);
        foreach (string path in off.Order)
        {
            SiteResource r = site.Resources[path];
            int anchors = r.Kind == SiteResourceKind.Html ? r.Links.Count : 0;
            urls.Add(new SiteUrlFacts(path, r.Kind, r.Status, r.Title, r.Location, anchors,
                on.Fetched.TryGetValue(path, out int d) ? d : null, off.Fetched[path], IsDisallowed(path)));
        }

        return new SiteManifest(site, on.Facts(), off.Facts(), urls);
    }

    /// <summary>The manifest as indented JSON (UTF-8); property names are camelCase.</summary>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("pages", Pages);
            w.WriteNumber("seed", Seed);
            w.WriteString("start", Start);
            w.WriteString("disallowed", DisallowedPrefix);
            w.WritePropertyName("robotsOn");
            RobotsOn.Write(w);
            w.WritePropertyName("robotsOff");
            RobotsOff.Write(w);
            w.WriteStartArray("urls");
            foreach (SiteUrlFacts u in Urls)
            {
                u.Write(w);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The breadth-first walk (one thread, during construction).</summary>
    private sealed class Walk
    {
        private readonly Site _site;
        private readonly bool _obeyRobots;
        private readonly List<int> _byDepth = new();
        private readonly HashSet<string> _blocked = new(StringComparer.Ordinal);
        private int _html, _details, _files, _redirects, _broken, _disallowed, _anchors, _httpLinks;

        public Walk(Site site, bool obeyRobots)
        {
            _site = site;
            _obeyRobots = obeyRobots;
            var queue = new Queue<(string Path, int Depth)>();
            Visit(Start, 0, queue);
            while (queue.Count > 0)
            {
                (string path, int depth) = queue.Dequeue();
                SiteResource page = site.Resources[path];
                foreach (SiteLink link in page.Links)
                {
                    _anchors++;
                    if (link.Target is null)
                    {
                        continue;
                    }

                    _httpLinks++;
                    Visit(link.Target == SiteLink.Self ? path : link.Target, depth + 1, queue);
                }
            }
        }

        /// <summary>Every URL fetched, in order of discovery.</summary>
        public List<string> Order { get; } = new();

        /// <summary>Depth of every URL fetched.</summary>
        public Dictionary<string, int> Fetched { get; } = new(StringComparer.Ordinal);

        public SiteCrawlFacts Facts() =>
            new(_html, _byDepth.ToArray(), _details, _files, _redirects, _broken, _disallowed, _anchors, _httpLinks);

        private void Visit(string path, int depth, Queue<(string, int)> queue)
        {
            if (Fetched.ContainsKey(path) || _blocked.Contains(path))
            {
                return;
            }

            if (!_site.Resources.TryGetValue(path, out SiteResource? r))
            {
                throw new InvalidOperationException("the site links to " + path + ", which it does not have");
            }

            if (_obeyRobots && IsDisallowed(path))
            {
                _blocked.Add(path);
                _disallowed++;
                return;
            }

            Fetched[path] = depth;
            Order.Add(path);
            switch (r.Kind)
            {
                case SiteResourceKind.Html:
                    _html++;
                    _details += path.StartsWith("/item/", StringComparison.Ordinal) ? 1 : 0;
                    while (_byDepth.Count <= depth)
                    {
                        _byDepth.Add(0);
                    }

                    _byDepth[depth]++;
                    queue.Enqueue((path, depth));
                    break;
                case SiteResourceKind.Redirect:
                    _redirects++;
                    Visit(r.Location!, depth, queue);
                    break;
                case SiteResourceKind.File:
                    _files++;
                    break;
                default:
                    _broken++;
                    break;
            }
        }
    }
}

/// <summary>The counts of one crawl of the site from "/" (distinct URLs).</summary>
/// <param name="HtmlPages">HTML pages fetched (200).</param>
/// <param name="ByDepth">HTML pages per depth, index 0 = "/"; sums to <paramref name="HtmlPages"/>.</param>
/// <param name="DetailPages">Of those, detail pages (/item/N.html).</param>
/// <param name="Files">Non-HTML files fetched.</param>
/// <param name="Redirects">Redirect URLs fetched (each leads to one page, counted in the pages once).</param>
/// <param name="Broken">Distinct link targets that answer 404.</param>
/// <param name="Disallowed">Distinct URLs found but not fetched because robots.txt disallows them (0 when ignoring robots).</param>
/// <param name="Anchors">&lt;a href&gt; elements on the pages fetched (mailto: and javascript: included).</param>
/// <param name="HttpLinks">Of those, the links to http URLs (fragment-only links to the page itself included).</param>
public sealed record SiteCrawlFacts(int HtmlPages, int[] ByDepth, int DetailPages, int Files, int Redirects, int Broken, int Disallowed, int Anchors, int HttpLinks)
{
    /// <summary>Requests a crawler that fetches each URL once makes (robots.txt not counted).</summary>
    public int Requests => HtmlPages + Files + Redirects + Broken;

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("htmlPages", HtmlPages);
        w.WriteNumber("detailPages", DetailPages);
        w.WriteNumber("files", Files);
        w.WriteNumber("redirects", Redirects);
        w.WriteNumber("broken", Broken);
        w.WriteNumber("disallowed", Disallowed);
        w.WriteNumber("requests", Requests);
        w.WriteNumber("anchors", Anchors);
        w.WriteNumber("httpLinks", HttpLinks);
        w.WriteNumber("maxDepth", ByDepth.Length - 1);
        w.WriteStartArray("byDepth");
        foreach (int n in ByDepth)
        {
            w.WriteNumberValue(n);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}

/// <summary>One URL reachable from "/" (robots ignored).</summary>
/// <param name="Path">Path and query.</param>
/// <param name="Kind">What it is.</param>
/// <param name="Status">Its HTTP status.</param>
/// <param name="Title">An HTML page's title.</param>
/// <param name="Location">A redirect's target.</param>
/// <param name="Anchors">An HTML page's &lt;a href&gt; count.</param>
/// <param name="Depth">Its depth in a crawl that obeys robots.txt; null when such a crawl does not fetch it.</param>
/// <param name="DepthIgnoringRobots">Its depth in a crawl that ignores robots.txt.</param>
/// <param name="Disallowed">True when robots.txt disallows it.</param>
public sealed record SiteUrlFacts(string Path, SiteResourceKind Kind, int Status, string? Title, string? Location, int Anchors, int? Depth, int DepthIgnoringRobots, bool Disallowed)
{
    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("url", Path);
        w.WriteString("kind", Kind.ToString().ToLowerInvariant());
        w.WriteNumber("status", Status);
        if (Title != null)
        {
            w.WriteString("title", Title);
        }

        if (Location != null)
        {
            w.WriteString("location", Location);
        }

        if (Kind == SiteResourceKind.Html)
        {
            w.WriteNumber("anchors", Anchors);
        }

        if (Depth is int depth)
        {
            w.WriteNumber("depth", depth);
        }
        else
        {
            w.WriteNull("depth");
        }

        w.WriteNumber("depthIgnoringRobots", DepthIgnoringRobots);
        if (Disallowed)
        {
            w.WriteBoolean("disallowed", true);
        }

        w.WriteEndObject();
    }
}
