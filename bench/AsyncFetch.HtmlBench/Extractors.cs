using System;
using System.Collections.Generic;
using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace AsyncFetch.HtmlBench
{
    /// <summary>A link as both extractors report it: the href resolved against the page and its first base href, and the link's text.</summary>
    internal readonly record struct Link(string Href, string Text);

    /// <summary>
    /// The same job done with each library: body bytes (UTF-8) to the a/area links, resolved against the page URL
    /// and the document's first &lt;base href&gt;, with each link's text. Decoding is part of the job.
    /// </summary>
    internal static class Extractors
    {
        private static readonly HtmlParser AngleParser = new HtmlParser(new HtmlParserOptions { IsScripting = true });

        public static List<Link> AngleSharp(byte[] body, Uri page)
        {
            IDocument doc = AngleParser.ParseDocument(Encoding.UTF8.GetString(body));
            var raw = new List<(string Href, string Text)>();
            string? baseHref = null;
            foreach (IElement e in doc.All)
            {
                string name = e.LocalName;
                if (name == "a" || name == "area")
                {
                    string? href = e.GetAttribute("href");
                    if (href != null) raw.Add((href, e.TextContent.Trim()));
                }
                else if (name == "base" && baseHref == null)
                {
                    baseHref = e.GetAttribute("href");
                }
            }

            return Resolve(raw, baseHref, page);
        }

        public static List<Link> HtmlAgilityPack(byte[] body, Uri page)
        {
            var doc = new global::HtmlAgilityPack.HtmlDocument();
            doc.LoadHtml(Encoding.UTF8.GetString(body));
            var raw = new List<(string Href, string Text)>();
            string? baseHref = null;
            foreach (global::HtmlAgilityPack.HtmlNode e in doc.DocumentNode.Descendants())
            {
                if (e.NodeType != global::HtmlAgilityPack.HtmlNodeType.Element) continue;
                string name = e.Name;
                if (name == "a" || name == "area")
                {
                    global::HtmlAgilityPack.HtmlAttribute? href = e.Attributes["href"];
                    if (href != null) raw.Add((href.DeEntitizeValue, global::HtmlAgilityPack.HtmlEntity.DeEntitize(e.InnerText).Trim()));
                }
                else if (name == "base" && baseHref == null)
                {
                    baseHref = e.Attributes["href"]?.DeEntitizeValue;
                }
            }

            return Resolve(raw, baseHref, page);
        }

        private static List<Link> Resolve(List<(string Href, string Text)> raw, string? baseHref, Uri page)
        {
            Uri baseUri = page;
            if (baseHref != null && Uri.TryCreate(page, baseHref.Trim(), out Uri? b)) baseUri = b;
            var links = new List<Link>(raw.Count);
            foreach ((string href, string text) in raw)
            {
                links.Add(new Link(Uri.TryCreate(baseUri, href.Trim(), out Uri? u) ? u.AbsoluteUri : href, text));
            }

            return links;
        }
    }
}
