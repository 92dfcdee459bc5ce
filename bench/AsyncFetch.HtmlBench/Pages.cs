using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace AsyncFetch.HtmlBench
{
    /// <summary>The pages measured: generated ones of about 4 KB and 60 KB, and real HTML files found on the machine.</summary>
    internal static class Pages
    {
        private static readonly string[] Words =
            "the of and to in is for on that with as by this from at are be or an it was which has more about news list item detail price review shop"
                .Split(' ');

        /// <summary>
        /// Deterministic pages of roughly <paramref name="targetBytes"/> with <paramref name="minLinks"/>..<paramref name="maxLinks"/>
        /// links: a nav, paragraphs with inline links, a table of links, a script and a style that contain markup-like
        /// text, comments with links in them, entities (also in hrefs), upper-case tags, unquoted and single-quoted
        /// attributes, unclosed paragraphs and list items, stray end tags.
        /// </summary>
        public static List<byte[]> Generate(int count, int targetBytes, int minLinks, int maxLinks, int seed)
        {
            var random = new Random(seed);
            var pages = new List<byte[]>(count);
            for (int p = 0; p < count; p++)
            {
                int links = random.Next(minLinks, maxLinks + 1);
                pages.Add(Encoding.UTF8.GetBytes(Page(random, p, targetBytes, links)));
            }

            return pages;
        }

        private static string Page(Random r, int n, int targetBytes, int links)
        {
            var sb = new StringBuilder(targetBytes + 2048);
            sb.Append("<!DOCTYPE html>\n<html lang=en><head><meta charset=\"utf-8\"><title>Page ").Append(n).Append(" &mdash; Shop</title>\n");
            sb.Append("<link rel=stylesheet href=/static/site.css><link rel='canonical' href='/p/").Append(n).Append("'>\n");
            sb.Append("<style>body{font:14px sans-serif} a[href^=\"http\"]::after{content:\"<a href=x>\"}</style>\n");
            sb.Append("<script>var s = '<a href=\"/not-a-link\">'; if (a < b && c > d) { document.write(\"</p>\"); }</script>\n");
            sb.Append("</head><BODY>\n<nav><UL>");
            int navLinks = Math.Min(links, 8);
            for (int i = 0; i < navLinks; i++)
            {
                sb.Append("<LI><A HREF=/section/").Append(i).Append(">Section ").Append(i).Append("</A>");
            }

            sb.Append("</UL></nav>\n<!-- <a href=\"/commented-out\">old</a> -->\n<main>");
            int remaining = links - navLinks;
            int tableLinks = remaining / 3;
            int inlineLinks = remaining - tableLinks;
            // the fixed parts take about 900 bytes and each link about 55; paragraphs of ~60 words fill the rest
            int bodyBudget = Math.Max(0, targetBytes - 700 - links * 45);
            int paragraphs = Math.Max(1, bodyBudget / 275);
            for (int p = 0; p < paragraphs; p++)
            {
                sb.Append(p % 3 == 0 ? "<p class=text>" : "<p>");
                int wordCount = 50 + r.Next(20);
                int linkHere = inlineLinks * (p + 1) / paragraphs - inlineLinks * p / paragraphs;
                for (int w = 0; w < wordCount; w++)
                {
                    sb.Append(Words[r.Next(Words.Length)]).Append(' ');
                    if (w == 10) sb.Append("caf&eacute; &amp; more &#169; &nbsp;");
                    if (linkHere > 0 && w % 7 == 3)
                    {
                        linkHere--;
                        switch (r.Next(4))
                        {
                            case 0: sb.Append("<a href=\"/item/").Append(r.Next(100000)).Append("?ref=list&amp;page=").Append(p).Append("\">item</a> "); break;
                            case 1: sb.Append("<a href='../detail/").Append(r.Next(100000)).Append(".html' class=\"x\">detail</a> "); break;
                            case 2: sb.Append("<a class=ext href=https://example.org/").Append(r.Next(1000)).Append("#top>ext</a> "); break;
                            default: sb.Append("<a href=\"?page=").Append(r.Next(50)).Append("\" title=\"next &gt;\">next <b>page</b></a> "); break;
                        }
                    }
                }

                // every other paragraph is left unclosed; stray end tags now and then
                if (p % 2 == 0) sb.Append("</p>");
                if (p % 5 == 4) sb.Append("</div></span>");
                sb.Append('\n');
            }

            sb.Append("<table><tr><th>Name<th>Price\n");
            for (int i = 0; i < tableLinks; i++)
            {
                sb.Append("<tr><td><a href=\"/p/").Append(r.Next(1000000)).Append("\">Product ").Append(i).Append("</a><td>").Append(r.Next(1000)).Append(".99 &euro;\n");
            }

            sb.Append("</table></main>\n<footer><p>&copy; 2026 <a href=mailto:shop@example.org>mail</a></footer>\n");
            sb.Append("<script src=/static/app.js></script></BODY></html>\n");
            return sb.ToString();
        }

        /// <summary>
        /// Up to <paramref name="max"/> real HTML files of 2 KB to 2 MB under the given folders, chosen evenly from the
        /// sorted list so that a run on the same machine measures the same files.
        /// </summary>
        public static List<(string Path, byte[] Bytes)> Real(IEnumerable<string> roots, int max)
        {
            var files = new List<string>();
            foreach (string root in roots.Where(Directory.Exists))
            {
                files.AddRange(Directory.EnumerateFiles(root, "*.html", SearchOption.AllDirectories)
                    .Where(f => { long l = new FileInfo(f).Length; return l >= 2048 && l <= 2 * 1024 * 1024; }));
            }

            files.Sort(StringComparer.Ordinal);
            var chosen = new List<(string, byte[])>();
            if (files.Count == 0) return chosen;
            double step = Math.Max(1.0, files.Count / (double)max);
            for (double i = 0; i < files.Count && chosen.Count < max; i += step)
            {
                string f = files[(int)i];
                chosen.Add((f, File.ReadAllBytes(f)));
            }

            return chosen;
        }
    }
}
