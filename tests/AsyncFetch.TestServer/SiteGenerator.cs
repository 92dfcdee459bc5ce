using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace AsyncFetch.TestServer;

/// <summary>
/// Generates a deterministic site to crawl: a pure function of (pages, seed, origin). The origin only appears in the
/// few absolute links; the paths, the link graph and the <see cref="SiteManifest"/> depend on pages and seed alone.
/// </summary>
/// <remarks>
/// Layout: "/" (home), "/~about.html", list pages "/list/N.html" (paginated, about ten detail pages each), detail pages
/// "/item/N.html" (title and h1 "Item N"), robots-disallowed pages "/private/N.html" (the only way to the last few
/// detail pages), redirects "/old/N" (301 for even N, 302 for odd, to /item/N.html), broken links "/gone/N.html" (404),
/// files "/files/N.pdf" and "/files/N.png", one query variant "/list/1.html?view=compact" (the same document), and
/// robots.txt. Links are written relative ("../item/3.html", "4.html", "./5.html", "?view=compact", "../"), as
/// absolute paths, as absolute URLs in spellings that normalize to an already-seen URL (scheme case, host case,
/// "/./" and "/list/../" segments, percent-encoded unreserved characters, ":80" when the origin is on port 80), with
/// fragments, under &lt;base href="/list/"&gt; on every seventh detail page, plus mailto: and javascript: links.
/// Each page links to about five pages, its list page back, itself (a fragment link) and the next page: cycles.
/// </remarks>
public static class SiteGenerator
{
    /// <summary>The smallest page count accepted.</summary>
    public const int MinPages = 20;

    /// <summary>The largest page count accepted.</summary>
    public const int MaxPages = 2_000_000;

    /// <summary>The robots.txt served: /private/ disallowed for every agent; a Crawl-delay only for SlowBot.</summary>
    public const string RobotsTxt =
        "# AsyncFetch test site\n" +
        "User-agent: SlowBot\n" +
        "Crawl-delay: 30\n" +
        "Disallow: /\n" +
        "\n" +
        "User-agent: *\n" +
        "Disallow: /private/\n";

    /// <summary>The query variant of list page 1 (the same document under another URL).</summary>
    public const string QueryVariant = "/list/1.html?view=compact";

    private const int TargetBytes = 4000;

    private static readonly string[] s_words =
    [
        "lorem", "ipsum", "dolor", "sit", "amet", "crawler", "queue", "frontier", "socket", "parser", "anchor", "page",
        "detail", "list", "price", "stock", "review", "shipping", "colour", "size", "weight", "fresh", "classic", "new",
    ];

    private static readonly byte[] s_png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    /// <summary>Generates the site. <paramref name="origin"/> is scheme://host[:port] of the server (used in absolute links).</summary>
    public static Site Generate(int pages, int seed, string origin)
    {
        if (pages < MinPages || pages > MaxPages)
        {
            throw new ArgumentOutOfRangeException(nameof(pages), pages, "pages must be " + MinPages + ".." + MaxPages + ".");
        }

        var builder = new Builder(pages, seed, new Uri(origin, UriKind.Absolute));
        return builder.Build();
    }

    private sealed class Builder
    {
        private readonly int _pages;
        private readonly int _seed;
        private readonly Uri _origin;
        private readonly string _originText;
        private readonly int _private;     // private pages, also the number of detail pages reachable only through them
        private readonly int _lists;
        private readonly int _items;       // all detail pages
        private readonly int _public;      // detail pages 1.._public are listed; the rest only from private pages
        private readonly int _perList;
        private readonly int _files;
        private readonly int _gone;
        private readonly Dictionary<string, SiteResource> _graph = new(StringComparer.Ordinal);
        private readonly Dictionary<string, SiteResource> _served = new(StringComparer.Ordinal);
        private readonly HashSet<int> _redirects = new();
        private readonly HashSet<int> _broken = new();
        private ulong _state;

        public Builder(int pages, int seed, Uri origin)
        {
            _pages = pages;
            _seed = seed;
            _origin = origin;
            _originText = origin.GetLeftPart(UriPartial.Authority);
            _state = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL;
            _private = Math.Max(2, pages / 200);
            int rest = pages - 2 - _private;
            _lists = Math.Max(1, rest / 11);
            _items = rest - _lists;
            _public = _items - _private;
            _perList = (_public + _lists - 1) / _lists;
            _files = Math.Max(2, pages / 100);
            _gone = Math.Max(3, pages / 100);
        }

        public Site Build()
        {
            AddPage("/", "Home", null, HomeLinks());
            _served["/index.html"] = _served["/"];
            AddPage("/~about.html", "About us", null, AboutLinks());
            for (int k = 1; k <= _lists; k++)
            {
                AddPage(ListPath(k), "List " + Num(k), null, ListLinks(k));
            }

            for (int i = 1; i <= _items; i++)
            {
                bool based = i % 7 == 0;
                AddPage(ItemPath(i), "Item " + Num(i), based ? "/list/" : null, i <= _public ? ItemLinks(i, based) : HiddenItemLinks(i, based));
            }

            for (int k = 1; k <= _private; k++)
            {
                AddPage(PrivatePath(k), "Private " + Num(k), null, PrivateLinks(k));
            }

            // The query variant: the same document as list page 1 under its own URL (a crawler cannot know).
            SiteResource list1 = _graph[ListPath(1)];
            _graph[QueryVariant] = new SiteResource(QueryVariant, SiteResourceKind.Html, 200, list1.ContentType, list1.Body, list1.Title, null, list1.Links);

            foreach (int n in _redirects)
            {
                string path = "/old/" + Num(n);
                Add(new SiteResource(path, SiteResourceKind.Redirect, n % 2 == 0 ? 301 : 302, "text/html", [], null, ItemPath(n), []), true);
            }

            foreach (int n in _broken)
            {
                string path = GonePath(n);
                Add(new SiteResource(path, SiteResourceKind.Broken, 404, "text/plain", [], null, null, []), false);
            }

            for (int n = 1; n <= _files; n++)
            {
                Add(new SiteResource(PdfPath(n), SiteResourceKind.File, 200, "application/pdf", Pdf(n), null, null, []), true);
                Add(new SiteResource(PngPath(n), SiteResourceKind.File, 200, "image/png", s_png, null, null, []), true);
            }

            Add(new SiteResource("/robots.txt", SiteResourceKind.Robots, 200, "text/plain", Encoding.ASCII.GetBytes(RobotsTxt), null, null, []), true);
            return new Site(_pages, _seed, _originText, _graph, _served);
        }

        // ---- link lists per page kind ----

        private List<SiteLink> HomeLinks()
        {
            var links = new List<SiteLink>
            {
                Link("list/1.html", ListPath(1)),
                Link("item/1.html", ItemPath(1)),
                Link("/list/" + Num(_lists) + ".html", ListPath(_lists)),
                Link("./~about.html", "/~about.html"),
                Link("/private/1.html", PrivatePath(1)),
                Link("#top", SiteLink.Self),
                Redirect(1),
                Broken(0),
                File(PdfPath(1)),
            };
            return links;
        }

        private List<SiteLink> AboutLinks() =>
        [
            Link("/", "/"),
            Link("item/2.html#top", ItemPath(2)),
            Link("#top", SiteLink.Self),
            Link(Absolute("/~about.html", 4), "/~about.html"),
            File(PngPath(1)),
        ];

        private List<SiteLink> ListLinks(int k)
        {
            var links = new List<SiteLink> { Link("../", "/") };
            if (k == 1)
            {
                links.Add(Link("?view=compact", QueryVariant));
            }

            if (k > 1)
            {
                links.Add(Link(Num(k - 1) + ".html", ListPath(k - 1)));
            }

            if (k < _lists)
            {
                links.Add(Link(Num(k + 1) + ".html", ListPath(k + 1)));
            }

            int first = ((k - 1) * _perList) + 1;
            int last = Math.Min(k * _perList, _public);
            for (int i = first; i <= last; i++)
            {
                links.Add(Link("../item/" + Num(i) + ".html", ItemPath(i)));
            }

            links.Add(Link("./" + Num(k) + ".html#top", ListPath(k)));
            return links;
        }

        private List<SiteLink> ItemLinks(int i, bool based)
        {
            int list = ((i - 1) / _perList) + 1;
            int next = i % _public + 1;
            var links = new List<SiteLink>
            {
                based ? Link(Num(list) + ".html", ListPath(list)) : Link("../list/" + Num(list) + ".html", ListPath(list)),
                based ? Link("../item/" + Num(next) + ".html", ItemPath(next)) : Link(Num(next) + ".html", ItemPath(next)),
                based ? Link("../item/" + Num(i) + ".html#top", ItemPath(i)) : Link("#top", SiteLink.Self),
            };
            int r1 = RandomItem();
            links.Add(Link("/item/" + Num(r1) + ".html", ItemPath(r1)));
            int r2 = RandomItem();
            links.Add(Link(ItemHref(r2, based), ItemPath(r2)));
            if (Chance(3))
            {
                links.Add(Redirect(RandomItem()));
            }

            if (Chance(2))
            {
                links.Add(Broken(1 + Next(_gone)));
            }

            if (Chance(5))
            {
                int n = 1 + Next(_files);
                links.Add(File(Chance(50) ? PdfPath(n) : PngPath(n)));
            }

            if (Chance(1))
            {
                int k = 1 + Next(_private);
                links.Add(Link("/private/" + Num(k) + ".html", PrivatePath(k)));
            }

            if (i % 100 == 0)
            {
                links.Add(Link(i % 200 == 0 ? "/%7Eabout.html" : "/%7eabout.html", "/~about.html"));
            }

            return links;
        }

        private List<SiteLink> HiddenItemLinks(int i, bool based)
        {
            int next = i == _items ? _public + 1 : i + 1;
            int k = i - _public;
            return
            [
                Link("/private/" + Num(k) + ".html", PrivatePath(k)),
                based ? Link("../item/" + Num(next) + ".html", ItemPath(next)) : Link(Num(next) + ".html", ItemPath(next)),
                based ? Link("../item/" + Num(i) + ".html#top", ItemPath(i)) : Link("#top", SiteLink.Self),
                Link("/item/1.html", ItemPath(1)),
            ];
        }

        private List<SiteLink> PrivateLinks(int k)
        {
            int hidden = _public + k;
            var links = new List<SiteLink>
            {
                Link("../item/" + Num(hidden) + ".html", ItemPath(hidden)),
                Link("../list/1.html", ListPath(1)),
                Link("#top", SiteLink.Self),
            };
            if (k < _private)
            {
                links.Add(Link(Num(k + 1) + ".html", PrivatePath(k + 1)));
            }

            return links;
        }

        // ---- hrefs ----

        /// <summary>A link from an /item/ page (or one based at /list/) to detail page r, in one of several spellings.</summary>
        private string ItemHref(int r, bool based)
        {
            string n = Num(r);
            int style = Next(10);
            return style switch
            {
                0 => based ? "../item/" + n + ".html" : "./" + n + ".html",
                1 => "../item/" + n + ".html",
                2 => based ? "/item/" + n + ".html#reviews" : n + ".html#reviews",
                3 => "/item/" + n + ".html#",
                _ => Absolute(ItemPath(r), style - 4),
            };
        }

        /// <summary>An absolute URL for <paramref name="path"/> in spelling <paramref name="variant"/> (0..5), each of which normalizes to origin + path.</summary>
        private string Absolute(string path, int variant)
        {
            string host = _origin.Host;
            string port = _origin.IsDefaultPort ? string.Empty : ":" + _origin.Port.ToString(CultureInfo.InvariantCulture);
            string scheme = _origin.Scheme;
            switch (variant)
            {
                case 1:
                    return scheme.ToUpperInvariant() + "://" + host + port + path;
                case 2:
                    bool letters = host.AsSpan().IndexOfAnyInRange('a', 'z') >= 0;
                    return letters ? scheme + "://" + host.ToUpperInvariant() + port + path : _originText + "/list/.." + path;
                case 3:
                    return _originText + "/." + path;
                case 4:
                    return _originText + EncodeFirst(path);
                case 5:
                    return _origin.IsDefaultPort
                        ? scheme + "://" + host + ":" + _origin.Port.ToString(CultureInfo.InvariantCulture) + path
                        : _originText + path + "#details";
                default:
                    return _originText + path;
            }
        }

        /// <summary>Percent-encodes the first unreserved character of the path's first segment ("/item/3.html" → "/%69tem/3.html", "/~a" → "/%7Ea").</summary>
        private static string EncodeFirst(string path) =>
            "/%" + ((int)path[1]).ToString("X2", CultureInfo.InvariantCulture) + path.Substring(2);

        private static SiteLink Link(string href, string target) => new(href, target);

        private SiteLink Redirect(int item)
        {
            _redirects.Add(item);
            return Link("/old/" + Num(item), "/old/" + Num(item));
        }

        private SiteLink Broken(int n)
        {
            _broken.Add(n);
            return Link(GonePath(n), GonePath(n));
        }

        private static SiteLink File(string path) => Link(path, path);

        // ---- rendering ----

        private void AddPage(string path, string title, string? baseHref, List<SiteLink> links)
        {
            links.Add(new SiteLink("mailto:team@example.invalid", null));
            links.Add(new SiteLink("javascript:void(0)", null));
            Add(new SiteResource(path, SiteResourceKind.Html, 200, "text/html; charset=utf-8", Render(title, baseHref, links), title, null, links), true);
        }

        private void Add(SiteResource resource, bool served)
        {
            _graph[resource.Path] = resource;
            if (served)
            {
                _served[resource.Path] = resource;
            }
        }

        private byte[] Render(string title, string? baseHref, List<SiteLink> links)
        {
            // The text has a generator of its own, seeded by the page, so that the origin's length (how much filler
            // a page needs) never shifts the link graph's random sequence.
            ulong text = _state;
            foreach (char c in title)
            {
                text = (text ^ c) * 0x100000001B3UL; // FNV-1a step: stable across processes, unlike string.GetHashCode
            }

            var html = new StringBuilder(TargetBytes + 512);
            html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(title).Append("</title>\n");
            if (baseHref != null)
            {
                html.Append("<base href=\"").Append(baseHref).Append("\">\n");
            }

            html.Append("</head>\n<body>\n<a id=\"top\"></a>\n<h1>").Append(title).Append("</h1>\n");
            html.Append("<p class=\"price\">Price: ").Append(Next(ref text, 10_000).ToString(CultureInfo.InvariantCulture)).Append(".99</p>\n<ul class=\"links\">\n");
            foreach (SiteLink link in links)
            {
                html.Append("<li><a href=\"").Append(link.Href.Replace("&", "&amp;", StringComparison.Ordinal)).Append("\">")
                    .Append(link.Target == SiteLink.Self ? "top" : link.Target ?? "contact").Append("</a></li>\n");
            }

            html.Append("</ul>\n");
            while (html.Length < TargetBytes - 200)
            {
                html.Append("<p>");
                for (int w = 0; w < 24; w++)
                {
                    html.Append(s_words[Next(ref text, s_words.Length)]).Append(' ');
                }

                html.Append("</p>\n");
            }

            html.Append("<footer id=\"reviews\">generated page</footer>\n</body>\n</html>\n");
            return Encoding.UTF8.GetBytes(html.ToString());
        }

        private static byte[] Pdf(int n) => Encoding.ASCII.GetBytes(
            "%PDF-1.4\n% AsyncFetch test file " + Num(n) + "\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

        // ---- numbers ----

        private int RandomItem() => 1 + Next(_public);

        private bool Chance(int percent) => Next(100) < percent;

        private int Next(int bound) => Next(ref _state, bound);

        /// <summary>SplitMix64: the same sequence for a seed on every platform and runtime.</summary>
        private static int Next(ref ulong state, int bound)
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (int)(z % (ulong)bound);
        }

        private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

        private static string ListPath(int k) => "/list/" + Num(k) + ".html";

        private static string ItemPath(int i) => "/item/" + Num(i) + ".html";

        private static string PrivatePath(int k) => "/private/" + Num(k) + ".html";

        private static string GonePath(int n) => "/gone/" + Num(n) + ".html";

        private static string PdfPath(int n) => "/files/" + Num(n) + ".pdf";

        private static string PngPath(int n) => "/files/" + Num(n) + ".png";
    }
}
