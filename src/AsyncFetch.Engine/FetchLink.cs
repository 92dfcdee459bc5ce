namespace AsyncFetch
{
    /// <summary>
    /// One link of an HTML page (<see cref="FetchResult.GetLinks"/>): an &lt;a&gt; or &lt;area&gt; element with an href
    /// attribute, in document order. Immutable; safe to read from any thread.
    /// </summary>
    public sealed class FetchLink
    {
        internal FetchLink(string href, string rawHref, string tagName, string? rel, string text)
        {
            Href = href;
            RawHref = rawHref;
            TagName = tagName;
            Rel = rel;
            Text = text;
        }

        /// <summary>
        /// The link as an absolute URL: <see cref="RawHref"/> resolved against the page's URL and its first
        /// &lt;base href&gt; (the HTML5 rule), fragment kept ("http://host/a/b.html#top"). Links of other schemes are
        /// kept too ("mailto:x@example.org", "javascript:void(0)"). When the value cannot be resolved to a URL, the
        /// value as written (after character references such as &amp;amp; are decoded).
        /// </summary>
        public string Href { get; }

        /// <summary>
        /// The href attribute as written in the page, with its character references decoded: href="../b?x=1&amp;amp;y=2"
        /// gives "../b?x=1&amp;y=2".
        /// </summary>
        public string RawHref { get; }

        /// <summary>The element's name in lower case: "a" or "area".</summary>
        public string TagName { get; }

        /// <summary>The rel attribute ("nofollow", "next", ...), or null when the element has none.</summary>
        public string? Rel { get; }

        /// <summary>
        /// The element's text with runs of white space made one space and trimmed (empty for an image link or an
        /// &lt;area&gt;), at most 1,024 characters.
        /// </summary>
        public string Text { get; }

        /// <inheritdoc/>
        public override string ToString() => Href;

        /// <summary>
        /// The link as the crawler compares it (<see cref="FetchUrl.Normalize"/>), or null when it is not an http(s)
        /// URL; set by <see cref="PrepareForCrawl"/>.
        /// </summary>
        internal string? CrawlKey { get; private set; }

        /// <summary>The host of <see cref="CrawlKey"/> as the normal form spells it, for the crawl's scope.</summary>
        internal string? CrawlHost { get; private set; }

        internal bool PreparedForCrawl { get; private set; }

        /// <summary>
        /// Resolves and normalizes the link once (<see cref="FetchCrawl.PrepareResult"/> does it on a pool thread
        /// before the crawl takes the result), so that the crawl's own thread has only look-ups left.
        /// </summary>
        internal void PrepareForCrawl()
        {
            if (PreparedForCrawl)
            {
                return;
            }

            if (FetchCrawl.TryCrawlKey(null, Href, out string? key, out string? host))
            {
                CrawlKey = key;
                CrawlHost = host;
            }

            PreparedForCrawl = true;
        }
    }
}
