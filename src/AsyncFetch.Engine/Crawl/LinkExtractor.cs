using System;
using System.Collections.Generic;
using System.Text;
using HtmlAgilityPack;

namespace AsyncFetch.Engine.Crawl
{
    /// <summary>
    /// The links of an HTML page: every &lt;a href&gt; and &lt;area href&gt; in document order, resolved against the
    /// page URL and the document's first &lt;base href&gt;, as <see cref="FetchResult.GetLinks"/> shows them; and the
    /// page's &lt;link rel=canonical&gt;, which the crawler uses to count a page reachable under two URLs once.
    ///
    /// Parsing is HtmlAgilityPack's (bench/RESULTS.md, "HTML link extraction", says why that one): comments, script,
    /// style, title and textarea text never give links; attributes may be unquoted, single- or double-quoted, in any
    /// case. No link is found by pattern matching over the text. Other &lt;link&gt; elements (stylesheets, icons)
    /// are not links to follow and are left out, as Invoke-WebRequest leaves them out of its Links.
    ///
    /// Pure computation: runs on whichever thread asks (the pipeline thread for <see cref="FetchResult.GetLinks"/>),
    /// never on the loop thread; no shared state.
    /// </summary>
    internal static class LinkExtractor
    {
        /// <summary>The longest <see cref="FetchLink.Text"/> kept, in characters.</summary>
        internal const int MaxTextLength = 1024;

        /// <summary>
        /// The deepest element nesting parsed. HtmlAgilityPack closes open elements recursively and matches end tags in
        /// time that grows with the square of the depth: a hostile page of 100,000 unclosed &lt;div&gt;s overflowed the
        /// stack (which ends the process) and 200,000 closed ones did not finish in minutes. Deeper markup is refused
        /// at once, and the page has no links. Real pages nest a few dozen levels.
        /// </summary>
        internal const int MaxNesting = 1024;

        /// <summary>True for the media types whose bodies have links: text/html and application/xhtml+xml.</summary>
        internal static bool IsHtml(string? contentType)
        {
            if (contentType == null)
            {
                return false;
            }

            int semicolon = contentType.IndexOf(';');
            string mediaType = (semicolon < 0 ? contentType : contentType.Substring(0, semicolon)).Trim();
            return string.Equals(mediaType, "text/html", StringComparison.OrdinalIgnoreCase)
                || string.Equals(mediaType, "application/xhtml+xml", StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>
        /// The links of <paramref name="body"/>, decoded as <see cref="FetchResult.Content"/> is (charset of
        /// <paramref name="contentType"/>, a UTF-8 byte order mark, else UTF-8), resolved against <paramref name="page"/>.
        /// </summary>
        internal static HtmlLinks Extract(byte[] body, string? contentType, Uri page)
        {
            return Extract(FetchResult.DecodeText(body, contentType, out _), page);
        }

        /// <summary>The links of the markup <paramref name="html"/>, resolved against <paramref name="page"/>.</summary>
        internal static HtmlLinks Extract(string html, Uri page)
        {
            var document = new HtmlDocument { OptionUseIdAttribute = false, OptionMaxNestedChildNodes = MaxNesting };
            document.LoadHtml(html);

            // Collected first and resolved after: a <base href> anywhere in the document, also after the links,
            // sets the base of all of them (HTML5: the first base element with an href attribute).
            var found = new List<HtmlNode>();
            string? baseHref = null;
            string? canonical = null;
            var stack = new Stack<HtmlNode>();
            stack.Push(document.DocumentNode);
            while (stack.Count > 0)
            {
                HtmlNode node = stack.Pop();
                HtmlNodeCollection children = node.ChildNodes;
                for (int i = children.Count - 1; i >= 0; i--)
                {
                    if (children[i].NodeType == HtmlNodeType.Element)
                    {
                        stack.Push(children[i]);
                    }
                }

                if (node.NodeType != HtmlNodeType.Element)
                {
                    continue;
                }

                switch (node.Name)
                {
                    case "a":
                    case "area":
                        if (FirstAttribute(node, "href") != null)
                        {
                            found.Add(node);
                        }

                        break;
                    case "base":
                        baseHref ??= FirstAttribute(node, "href");
                        break;
                    case "link":
                        if (canonical == null && HasToken(FirstAttribute(node, "rel"), "canonical"))
                        {
                            canonical = FirstAttribute(node, "href");
                        }

                        break;
                }
            }

            Uri baseUri = ResolveBase(page, baseHref);
            var links = new FetchLink[found.Count];
            for (int i = 0; i < links.Length; i++)
            {
                HtmlNode node = found[i];
                string raw = FirstAttribute(node, "href")!;
                links[i] = new FetchLink(Resolve(baseUri, raw) ?? raw, raw, node.Name, FirstAttribute(node, "rel"), TextOf(node));
            }

            return new HtmlLinks(links, baseUri, canonical == null ? null : Resolve(baseUri, canonical));
        }

        /// <summary>
        /// The value of the first attribute named <paramref name="name"/> with its character references decoded, or
        /// null when there is none. The first wins, as in HTML5, where a repeated attribute is dropped.
        /// </summary>
        private static string? FirstAttribute(HtmlNode node, string name)
        {
            HtmlAttributeCollection attributes = node.Attributes;
            for (int i = 0; i < attributes.Count; i++)
            {
                if (string.Equals(attributes[i].Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return attributes[i].DeEntitizeValue ?? string.Empty;
                }
            }

            return null;
        }

        private static bool HasToken(string? list, string token)
        {
            if (list == null)
            {
                return false;
            }

            foreach (string t in list.Split(HtmlWhitespace, StringSplitOptions.RemoveEmptyEntries))
            {
                if (string.Equals(t, token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        private static readonly char[] HtmlWhitespace = { ' ', '\t', '\n', '\f', '\r' };

        /// <summary>
        /// The document's base URL: <paramref name="baseHref"/> resolved against the page, unless it is missing, does
        /// not resolve, or is a data: or javascript: URL (HTML5 then keeps the page's URL).
        /// </summary>
        private static Uri ResolveBase(Uri page, string? baseHref)
        {
            if (baseHref == null || !Uri.TryCreate(page, CleanHref(baseHref), out Uri? resolved) || !resolved.IsAbsoluteUri)
            {
                return page;
            }

            string scheme = resolved.Scheme;
            return scheme == "data" || scheme == "javascript" ? page : resolved;
        }

        /// <summary><paramref name="href"/> as an absolute URL against <paramref name="baseUri"/>, or null when it is not one.</summary>
        internal static string? Resolve(Uri baseUri, string href)
        {
            return Uri.TryCreate(baseUri, CleanHref(href), out Uri? resolved) && resolved.IsAbsoluteUri ? resolved.AbsoluteUri : null;
        }

        /// <summary>What the URL parser of HTML5 ignores: leading and trailing C0 controls and spaces, and tabs and newlines anywhere.</summary>
        private static string CleanHref(string href)
        {
            string trimmed = href.Trim(C0AndSpace);
            if (trimmed.IndexOfAny(TabAndNewline) < 0)
            {
                return trimmed;
            }

            var sb = new StringBuilder(trimmed.Length);
            foreach (char c in trimmed)
            {
                if (c != '\t' && c != '\n' && c != '\r')
                {
                    sb.Append(c);
                }
            }

            return sb.ToString();
        }

        private static readonly char[] TabAndNewline = { '\t', '\n', '\r' };

        private static readonly char[] C0AndSpace = BuildC0AndSpace();

        private static char[] BuildC0AndSpace()
        {
            var chars = new char[33];
            for (int i = 0; i <= 32; i++)
            {
                chars[i] = (char)i;
            }

            return chars;
        }

        /// <summary>The text of <paramref name="element"/>'s descendants, white space collapsed, at most <see cref="MaxTextLength"/> characters.</summary>
        private static string TextOf(HtmlNode element)
        {
            var sb = new StringBuilder();
            var stack = new Stack<HtmlNode>();
            stack.Push(element);
            bool pendingSpace = false;
            while (stack.Count > 0 && sb.Length < MaxTextLength)
            {
                HtmlNode node = stack.Pop();
                if (node.NodeType == HtmlNodeType.Text)
                {
                    AppendCollapsed(sb, HtmlEntity.DeEntitize(((HtmlTextNode)node).Text), ref pendingSpace);
                    continue;
                }

                if (node.NodeType != HtmlNodeType.Element || node.Name == "script" || node.Name == "style")
                {
                    continue;
                }

                HtmlNodeCollection children = node.ChildNodes;
                for (int i = children.Count - 1; i >= 0; i--)
                {
                    stack.Push(children[i]);
                }
            }

            return sb.Length > MaxTextLength ? sb.ToString(0, MaxTextLength) : sb.ToString();
        }

        private static void AppendCollapsed(StringBuilder sb, string text, ref bool pendingSpace)
        {
            foreach (char c in text)
            {
                if (char.IsWhiteSpace(c))
                {
                    pendingSpace = sb.Length > 0;
                    continue;
                }

                if (pendingSpace)
                {
                    sb.Append(' ');
                    pendingSpace = false;
                }

                sb.Append(c);
            }
        }
    }
}
