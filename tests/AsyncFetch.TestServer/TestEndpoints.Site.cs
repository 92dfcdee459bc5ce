using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace AsyncFetch.TestServer;

/// <summary>
/// Site mode (<see cref="LoopbackServerOptions.SitePages"/>): the server serves only the generated site at its root
/// (robots.txt included), plus /site-manifest.json and the /stats endpoints. The site is generated on first use for
/// each Host the requests name (the absolute links carry it), at most a few times; any thread.
/// </summary>
internal sealed partial class TestEndpoints
{
    private const int MaxSiteOrigins = 8;

    private readonly SiteOptions? _site;
    private readonly Dictionary<string, Lazy<Site>> _sites = new(StringComparer.Ordinal);

    public TestEndpoints(ServerStats stats, SiteOptions site)
        : this(stats) => _site = site;

    /// <summary>The site for this request's origin (scheme://host:port as the client named it, lower-cased).</summary>
    private Site SiteFor(HttpContext context)
    {
        SiteOptions options = _site!;
        string origin = (context.Request.Scheme + "://" + context.Request.Host.Value).ToLowerInvariant();
        Lazy<Site>? site;
        lock (_sites)
        {
            if (!_sites.TryGetValue(origin, out site))
            {
                if (_sites.Count >= MaxSiteOrigins)
                {
                    _sites.Clear();
                }

                site = new Lazy<Site>(() => SiteGenerator.Generate(options.Pages, options.Seed, origin));
                _sites.Add(origin, site);
            }
        }

        return site.Value;
    }

    private Task SiteAsync(HttpContext context, string path)
    {
        Site site = SiteFor(context);
        if (path == "/site-manifest.json")
        {
            return WriteBytesAsync(context, StatusCodes.Status200OK, site.ManifestJson, "application/json");
        }

        SiteResource? resource = site.Find(path);
        switch (resource?.Kind)
        {
            case null:
            case SiteResourceKind.Broken:
                return NotFoundAsync(context);
            case SiteResourceKind.Redirect:
                context.Response.Headers.Location = resource.Location;
                return WriteBytesAsync(context, resource.Status, []);
            default:
                return WriteBytesAsync(context, resource.Status, resource.Body, resource.ContentType);
        }
    }
}

/// <summary>Which generated site a server in site mode serves (see <see cref="SiteGenerator"/>).</summary>
/// <param name="Pages">Distinct HTML documents (at least <see cref="SiteGenerator.MinPages"/>).</param>
/// <param name="Seed">The link graph's seed.</param>
public sealed record SiteOptions(int Pages, int Seed = 1);
