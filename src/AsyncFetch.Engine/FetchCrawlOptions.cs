using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace AsyncFetch
{
    /// <summary>Which discovered links a crawl follows, before the include and exclude patterns.</summary>
    public enum FetchCrawlScope
    {
        /// <summary>Links to the hosts of the start URLs (same scheme or not, same port or not).</summary>
        SameHost,

        /// <summary>Links to the hosts of the start URLs and their subdomains; a leading "www." of a start host is ignored, so www.example.com also takes example.com and docs.example.com.</summary>
        SameSite,

        /// <summary>Every http and https link.</summary>
        Any,
    }

    /// <summary>What a <see cref="FetchCrawl"/> follows and how far. Set before the crawl starts.</summary>
    public sealed class FetchCrawlOptions
    {
        /// <summary>Which hosts the crawl stays on (default <see cref="FetchCrawlScope.SameHost"/>).</summary>
        public FetchCrawlScope Scope { get; set; } = FetchCrawlScope.SameHost;

        /// <summary>When not empty, a link is followed only if one of these matches its normalized absolute URL.</summary>
        public IList<Regex> Include { get; } = new List<Regex>();

        /// <summary>A link that one of these matches (normalized absolute URL) is not followed.</summary>
        public IList<Regex> Exclude { get; } = new List<Regex>();

        /// <summary>How many links deep from a start URL (depth 0) the crawl goes; default 5, as wget's recursive mode.</summary>
        public int MaxDepth { get; set; } = 5;

        /// <summary>The most URLs the crawl requests, start URLs and redirect targets included (robots.txt not counted); 0: no limit.</summary>
        public long MaxPages { get; set; }

        /// <summary>Obey each origin's robots.txt (RFC 9309) and its Crawl-delay; default true.</summary>
        public bool RespectRobots { get; set; } = true;

        /// <summary>The user agent whose robots.txt group applies (its product token is matched); default "AsyncFetch".</summary>
        public string RobotsUserAgent { get; set; } = "AsyncFetch";

        /// <summary>The longest chain of redirects followed from one link (the crawl follows them as links, so each target is fetched once).</summary>
        public int MaxRedirects { get; set; } = 5;

        /// <summary>
        /// When set, the URLs to follow from a page are what this returns for its result (absolute, or relative to the
        /// page), instead of the page's links filtered by <see cref="Scope"/>, <see cref="Include"/> and
        /// <see cref="Exclude"/>. It is called for every response, HTML or not, within <see cref="MaxDepth"/>.
        /// </summary>
        public Func<FetchResult, IEnumerable<string>?>? Follow { get; set; }
    }
}
