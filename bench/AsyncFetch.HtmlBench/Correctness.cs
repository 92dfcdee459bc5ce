using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace AsyncFetch.HtmlBench
{
    /// <summary>Markup for which the HTML5 parsing rules say exactly which links a browser sees; each library is checked against it.</summary>
    internal static class Correctness
    {
        private static readonly Uri Page = new Uri("http://h/dir/page.html");

        private static readonly (string Name, string Html, string[] Expected)[] Cases =
        {
            ("unquoted and single-quoted attributes", "<a href=a.html>x</a><a href='b.html'>y</a>", new[] { "http://h/dir/a.html", "http://h/dir/b.html" }),
            ("upper-case tag and attribute", "<A HREF=\"c.html\">x</A>", new[] { "http://h/dir/c.html" }),
            ("&amp; in href", "<a href=\"q?a=1&amp;b=2\">x</a>", new[] { "http://h/dir/q?a=1&b=2" }),
            ("&amp without ; before a space-free end", "<a href=\"q?a=1&amp\">x</a>", new[] { "http://h/dir/q?a=1&" }),
            ("legacy &copy= in an attribute stays literal", "<a href=\"q?a=1&copy=2\">x</a>", new[] { "http://h/dir/q?a=1&copy=2" }),
            ("numeric character reference", "<a href=\"&#47;root\">x</a>", new[] { "http://h/root" }),
            ("base href (first one wins)", "<base href=\"/other/\"><base href=\"/ignored/\"><a href=x>x</a>", new[] { "http://h/other/x" }),
            ("base href after the link still applies", "<a href=x>x</a><base href=\"http://b/y/\">", new[] { "http://b/y/x" }),
            ("comment", "<!-- <a href=c>x</a> --><a href=d>y</a>", new[] { "http://h/dir/d" }),
            ("abrupt comment <!-->", "<!--><a href=e>e</a>", new[] { "http://h/dir/e" }),
            ("script text", "<script>var s='<a href=\"s\">';</script><a href=t>t</a>", new[] { "http://h/dir/t" }),
            ("script with </ inside a string", "<script>x='</p><a href=u>';</script>", Array.Empty<string>()),
            ("style text", "<style>a::after{content:'<a href=v>'}</style>", Array.Empty<string>()),
            ("textarea is RCDATA", "<textarea><a href=w>w</a></textarea>", Array.Empty<string>()),
            ("title is RCDATA", "<title><a href=w>w</a></title><a href=z>z</a>", new[] { "http://h/dir/z" }),
            ("a without href", "<a name=top>top</a><a href=\"\">self</a>", new[] { "http://h/dir/page.html" }),
            ("area", "<map><area href=/m shape=rect></map>", new[] { "http://h/m" }),
            ("attribute without value before href", "<a download href=dl.zip>x</a>", new[] { "http://h/dir/dl.zip" }),
            ("duplicate href: the first wins", "<a href=first href=second>x</a>", new[] { "http://h/dir/first" }),
            ("whitespace around href", "<a href=\"  sp.html \n\">x</a>", new[] { "http://h/dir/sp.html" }),
            ("svg a with href (foreign content)", "<svg><a href=\"/svg\"><text>x</text></a></svg>", new[] { "http://h/svg" }),
            ("plaintext swallows the rest", "<plaintext><a href=p>x</a>", Array.Empty<string>()),
        };

        public static int Run((string Name, Func<byte[], Uri, List<Link>> Extract)[] extractors)
        {
            Console.WriteLine("| case | " + string.Join(" | ", extractors.Select(e => e.Name)) + " |");
            Console.WriteLine("|---|" + string.Concat(extractors.Select(_ => "---|")));
            var failed = new int[extractors.Length];
            foreach ((string name, string html, string[] expected) in Cases)
            {
                var cells = new List<string>();
                for (int i = 0; i < extractors.Length; i++)
                {
                    string[] got = extractors[i].Extract(Encoding.UTF8.GetBytes(html), Page).Select(l => l.Href).ToArray();
                    bool ok = got.SequenceEqual(expected);
                    if (!ok) failed[i]++;
                    cells.Add(ok ? "ok" : "**" + (got.Length == 0 ? "(none)" : string.Join(" ", got)) + "**");
                }

                Console.WriteLine($"| {name} | {string.Join(" | ", cells)} |");
            }

            Console.WriteLine("| failures | " + string.Join(" | ", failed) + " |");
            return 0; // differences are findings to read, not a failed run
        }
    }
}
