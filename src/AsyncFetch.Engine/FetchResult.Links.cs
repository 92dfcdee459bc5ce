using System;
using System.Collections.Generic;
using System.Threading;
using AsyncFetch.Engine.Crawl;

namespace AsyncFetch
{
    public sealed partial class FetchResult
    {
        private HtmlLinks? _links;

        /// <summary>
        /// The links of an HTML response (Content-Type text/html or application/xhtml+xml): every &lt;a&gt; and
        /// &lt;area&gt; with an href, in document order, resolved against <see cref="Uri"/> and the page's first
        /// &lt;base href&gt;. Parsed on first use, then kept; parsing never throws. A method, not a property, so that
        /// serializers that list properties (ConvertTo-Json) do not parse every page: PowerShell shows it as the
        /// Links property (<c>$result.Links.Href</c>), which Export-Csv and ConvertTo-Json leave out.
        /// Empty for any other response, a failure, or a body that was written to a file or discarded.
        /// </summary>
        public IReadOnlyList<FetchLink> GetLinks() => GetHtmlLinks()?.Links ?? Array.Empty<FetchLink>();

        /// <summary>True once the links were parsed (tests: nothing is parsed until <see cref="GetLinks"/> is read).</summary>
        internal bool LinksParsed => Volatile.Read(ref _links) != null;

        /// <summary>
        /// The parsed links (and the page's base URL and canonical URL) of an HTML body, or null when there is none:
        /// computed on the first call, on the caller's thread. Two threads asking at once may both parse; one result
        /// is kept.
        /// </summary>
        internal HtmlLinks? GetHtmlLinks()
        {
            HtmlLinks? links = Volatile.Read(ref _links);
            if (links != null)
            {
                return links;
            }

            byte[]? body = Body;
            Uri? page = Uri;
            if (body == null || page == null || !LinkExtractor.IsHtml(ContentType))
            {
                return null;
            }

            try
            {
                links = LinkExtractor.Extract(body, ContentType, page);
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                // A property must not throw (Export-Csv and ConvertTo-Json read every property): markup the parser
                // cannot take has no links.
                links = new HtmlLinks(Array.Empty<FetchLink>(), page, null);
            }

            return Interlocked.CompareExchange(ref _links, links, null) ?? links;
        }
    }
}
