using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace AsyncFetch.TestServer;

/// <summary>What a URL of the generated site is.</summary>
public enum SiteResourceKind
{
    /// <summary>An HTML page (200, text/html).</summary>
    Html,

    /// <summary>A non-HTML file (200, PDF or PNG).</summary>
    File,

    /// <summary>A redirect (301 or 302) to one page.</summary>
    Redirect,

    /// <summary>A broken link target (404).</summary>
    Broken,

    /// <summary>/robots.txt.</summary>
    Robots,
}

/// <summary>One link of a page as the generator wrote it: the href text and the URL it means.</summary>
/// <param name="Href">The attribute value as written in the page.</param>
/// <param name="Target">The path and query it resolves to (fragment dropped, normalized); null for mailto: and javascript:;
/// <see cref="SiteLink.Self"/> for a link to the page itself whatever query the page was fetched with.</param>
public sealed record SiteLink(string Href, string? Target)
{
    /// <summary>The <see cref="Target"/> of a fragment-only link: the page's own URL.</summary>
    public const string Self = "#self";
}

/// <summary>One URL of the generated site (immutable; any thread).</summary>
public sealed class SiteResource
{
    internal SiteResource(string path, SiteResourceKind kind, int status, string contentType, byte[] body, string? title, string? location, IReadOnlyList<SiteLink> links)
    {
        Path = path;
        Kind = kind;
        Status = status;
        ContentType = contentType;
        Body = body;
        Title = title;
        Location = location;
        Links = links;
    }

    /// <summary>Path and query (the graph's key).</summary>
    public string Path { get; }

    /// <summary>What it is.</summary>
    public SiteResourceKind Kind { get; }

    /// <summary>The HTTP status it is served with.</summary>
    public int Status { get; }

    /// <summary>The Content-Type it is served with.</summary>
    public string ContentType { get; }

    /// <summary>The body bytes (a redirect's and a broken link's are empty: the server writes its own).</summary>
    public byte[] Body { get; }

    /// <summary>The &lt;title&gt; of an HTML page, else null.</summary>
    public string? Title { get; }

    /// <summary>A redirect's Location (an absolute path), else null.</summary>
    public string? Location { get; }

    /// <summary>The &lt;a href&gt; links of an HTML page in document order (empty for other kinds).</summary>
    public IReadOnlyList<SiteLink> Links { get; }
}

/// <summary>
/// A generated site: every URL with its content, and the <see cref="SiteManifest"/> of facts a crawler test asserts.
/// Made by <see cref="SiteGenerator.Generate"/>; immutable, so any thread may read it.
/// </summary>
public sealed class Site
{
    internal Site(int pages, int seed, string origin, Dictionary<string, SiteResource> resources, Dictionary<string, SiteResource> served)
    {
        Pages = pages;
        Seed = seed;
        Origin = origin;
        Resources = resources;
        _served = served;
        Manifest = SiteManifest.Compute(this);
        ManifestJson = Manifest.ToJson();
    }

    private readonly Dictionary<string, SiteResource> _served;

    /// <summary>The number of distinct HTML documents (query variants of a page not counted).</summary>
    public int Pages { get; }

    /// <summary>The seed of the link graph.</summary>
    public int Seed { get; }

    /// <summary>scheme://host[:port] used in the absolute links (no trailing slash).</summary>
    public string Origin { get; }

    /// <summary>Every URL of the link graph by path and query, including query variants and broken targets.</summary>
    public IReadOnlyDictionary<string, SiteResource> Resources { get; }

    /// <summary>The facts a crawler must find, computed from the link model.</summary>
    public SiteManifest Manifest { get; }

    /// <summary><see cref="Manifest"/> as JSON (UTF-8), served at /site-manifest.json.</summary>
    public byte[] ManifestJson { get; }

    /// <summary>
    /// What a static server serves at <paramref name="path"/> (decoded path, no query: a query is ignored, as nginx
    /// serving files ignores it; "/" is the home page). Null means 404.
    /// </summary>
    public SiteResource? Find(string path) =>
        _served.TryGetValue(path.Length == 0 ? "/" : path, out SiteResource? resource) ? resource : null;

    /// <summary>
    /// Writes the site as files for a static server: <c>DIR/www/</c> (index.html for "/", every page, file, robots.txt
    /// and site-manifest.json) and <c>DIR/nginx-redirects.conf</c>, one exact-match location per redirect, to include
    /// inside nginx's server block (which should also say <c>absolute_redirect off;</c>). Broken links are 404 naturally.
    /// </summary>
    public void WriteTo(string directory)
    {
        string www = System.IO.Path.Combine(directory, "www");
        Directory.CreateDirectory(www);
        var redirects = new StringBuilder();
        foreach (KeyValuePair<string, SiteResource> entry in _served)
        {
            SiteResource r = entry.Value;
            if (r.Kind == SiteResourceKind.Redirect)
            {
                redirects.Append("location = ").Append(r.Path).Append(" { return ").Append(r.Status).Append(' ').Append(r.Location).Append("; }\n");
                continue;
            }

            string relative = entry.Key == "/" ? "index.html" : entry.Key.Substring(1);
            string file = System.IO.Path.Combine(www, relative);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, r.Body);
        }

        File.WriteAllBytes(System.IO.Path.Combine(www, "site-manifest.json"), ManifestJson);
        File.WriteAllText(System.IO.Path.Combine(directory, "nginx-redirects.conf"), redirects.ToString());
    }
}
