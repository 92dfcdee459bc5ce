using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>
    /// Drives a <see cref="FetchCrawl"/> without a network: the test takes its requests with TryNext and answers each
    /// with a result made here (an HTML page with links, a status with a Location, a robots.txt, a failure).
    /// </summary>
    internal static class CrawlTestUtil
    {
        /// <summary>A crawl whose discovered URLs become plain GET requests.</summary>
        public static FetchCrawl NewCrawl(FetchCrawlOptions? options = null) =>
            new FetchCrawl(options ?? new FetchCrawlOptions(), uri => new FetchRequest(uri));

        /// <summary>Options without robots.txt, for tests of everything else.</summary>
        public static FetchCrawlOptions NoRobots(FetchCrawlScope scope = FetchCrawlScope.SameHost) =>
            new FetchCrawlOptions { RespectRobots = false, Scope = scope };

        /// <summary>Every request the crawl hands out now, in order.</summary>
        public static List<FetchRequest> Drain(FetchCrawl crawl)
        {
            var requests = new List<FetchRequest>();
            while (crawl.TryNext(out FetchRequest request))
            {
                requests.Add(request);
            }

            return requests;
        }

        /// <summary>The absolute URLs of <paramref name="requests"/>, in order.</summary>
        public static List<string> Urls(IEnumerable<FetchRequest> requests) =>
            requests.Select(r => r.Uri!.AbsoluteUri).ToList();

        /// <summary>The one request in <paramref name="requests"/> for <paramref name="url"/>.</summary>
        public static FetchRequest For(IEnumerable<FetchRequest> requests, string url) =>
            requests.Single(r => r.Uri!.AbsoluteUri == url);

        /// <summary>A 200 text/html answer to <paramref name="request"/> whose body links to each of <paramref name="hrefs"/>.</summary>
        public static FetchResult Page(FetchRequest request, params string[] hrefs)
        {
            var html = new StringBuilder("<!doctype html><html><body>");
            foreach (string href in hrefs)
            {
                html.Append("<a href=\"").Append(href).Append("\">link</a>\n");
            }

            html.Append("</body></html>");
            return Answer(request, 200, "text/html; charset=utf-8", html.ToString());
        }

        /// <summary>A redirect answer to <paramref name="request"/> with that Location.</summary>
        public static FetchResult Redirect(FetchRequest request, string location, int status = 301)
        {
            FetchResult result = Answer(request, status, null, string.Empty);
            result.Headers.Add("Location", location);
            return result;
        }

        /// <summary>An answer to <paramref name="request"/> with that status and (text) body.</summary>
        public static FetchResult Answer(FetchRequest request, int status, string? contentType, string body)
        {
            var result = new FetchResult(request)
            {
                StatusCode = status,
                ReasonPhrase = "Reason",
                HttpVersion = "1.1",
                ErrorKind = FetchErrorKind.None,
                Attempts = 1,
                Body = Encoding.UTF8.GetBytes(body),
            };
            if (contentType != null)
            {
                result.Headers.Add("Content-Type", contentType);
            }

            result.ContentLength = result.Body.Length;
            return result;
        }

        /// <summary>A 200 text/plain robots.txt answer to <paramref name="request"/>.</summary>
        public static FetchResult Robots(FetchRequest request, string text) => Answer(request, 200, "text/plain", text);

        /// <summary>A failure (no response) of <paramref name="request"/>.</summary>
        public static FetchResult Failure(FetchRequest request, FetchErrorKind kind = FetchErrorKind.Connect) =>
            FetchResult.CreateFailure(request, kind, "connection refused");
    }
}
