using System;

namespace AsyncFetch.Engine.Crawl
{
    /// <summary>What <see cref="LinkExtractor"/> found in one page. Immutable.</summary>
    internal sealed class HtmlLinks
    {
        internal HtmlLinks(FetchLink[] links, Uri baseUri, string? canonical)
        {
            Links = links;
            BaseUri = baseUri;
            Canonical = canonical;
        }

        /// <summary>The a and area links with an href, in document order.</summary>
        internal FetchLink[] Links { get; }

        /// <summary>The URL relative links were resolved against: the first usable &lt;base href&gt;, else the page's URL.</summary>
        internal Uri BaseUri { get; }

        /// <summary>The href of the first &lt;link rel=canonical&gt;, resolved; null when the page has none.</summary>
        internal string? Canonical { get; }
    }
}
