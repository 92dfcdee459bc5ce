using System;
using System.Collections.Generic;
using System.Linq;

namespace AsyncFetch.Engine.Tests.Requests
{
    /// <summary>The redirect rules without a server (so an https origin can be tested before the engine speaks TLS).</summary>
    public sealed class RedirectPolicyTests
    {
        private static string? Next(FetchRequest current, int status, string location, out FetchRequest? next,
            IReadOnlyList<FetchRedirect>? chain = null, int maximum = 5, bool preserve = false, bool allowInsecure = false, bool allowUnencrypted = false) =>
            RedirectPolicy.Next(current, current.Uri!, status, location, chain, maximum, preserve, allowInsecure, allowUnencrypted, out next);

        [Theory]
        [InlineData(301)]
        [InlineData(302)]
        [InlineData(303)]
        [InlineData(307)]
        [InlineData(308)]
        public void Redirect_statuses_are_recognised(int status) => Assert.True(RedirectPolicy.IsRedirect(status));

        [Theory]
        [InlineData(300)]
        [InlineData(304)]
        [InlineData(305)]
        [InlineData(306)]
        [InlineData(200)]
        [InlineData(404)]
        public void Other_statuses_are_not_redirects(int status) => Assert.False(RedirectPolicy.IsRedirect(status));

        [Fact]
        public void Https_to_http_is_refused_unless_allowed()
        {
            var request = new FetchRequest(new Uri("https://secure.example/a")).WithHeader("Authorization", "Bearer x");
            string? error = Next(request, 302, "http://secure.example/b", out FetchRequest? next);
            Assert.NotNull(error);
            Assert.Contains("https to http", error);
            Assert.Contains("AllowInsecureRedirect", error);
            Assert.Null(next);

            error = Next(request, 302, "http://secure.example/b", out next, allowInsecure: true);
            Assert.Null(error);
            Assert.Equal(new Uri("http://secure.example/b"), next!.Uri);
            Assert.DoesNotContain(next.Headers, h => h.Key == "Authorization"); // the scheme changed: another origin
        }

        [Theory]
        [InlineData("token")]
        [InlineData("userinfo")]
        public void Credentials_preserved_onto_plain_http_are_refused_unless_unencrypted_authentication_is_allowed(string kind)
        {
            var request = kind == "token"
                ? new FetchRequest(new Uri("https://secure.example/a")) { Credential = FetchCredential.Bearer("t0ken") }
                : new FetchRequest(new Uri("https://u:pw@secure.example/a"));
            string? error = Next(request, 302, "http://other.example/b", out FetchRequest? next, preserve: true, allowInsecure: true);
            Assert.NotNull(error);
            Assert.Contains("plain http", error);
            Assert.Contains("AllowUnencryptedAuthentication", error);
            Assert.DoesNotContain("pw@", error);
            Assert.Null(next);

            Assert.Null(Next(request, 302, "http://other.example/b", out next, preserve: true, allowInsecure: true, allowUnencrypted: true));
            Assert.NotNull(next!.GetCredential());

            // Not preserved: the credentials stay behind, and the hop goes.
            Assert.Null(Next(request, 302, "http://other.example/b", out next, allowInsecure: true));
            Assert.Null(next!.GetCredential());
        }

        [Fact]
        public void Http_to_https_and_https_to_https_are_not_insecure()
        {
            var secure = new FetchRequest(new Uri("https://secure.example/a"));
            string? error = Next(secure, 302, "https://other.example/b", out _);
            Assert.True(error == null || !error.Contains("https to http"), error);
            var plain = new FetchRequest(new Uri("http://plain.example/a"));
            error = Next(plain, 302, "https://plain.example/b", out _);
            Assert.True(error == null || !error.Contains("https to http"), error);
        }

        [Theory]
        [InlineData("ftp://files.example/x")]
        [InlineData("file:///etc/passwd")]
        [InlineData("javascript:alert(1)")]
        [InlineData("mailto:someone@example.com")]
        public void A_non_http_scheme_is_refused(string location)
        {
            var request = new FetchRequest(new Uri("http://127.0.0.1/a"));
            string? error = Next(request, 302, location, out FetchRequest? next);
            Assert.NotNull(error);
            Assert.Contains("not http or https", error);
            Assert.Null(next);
        }

        [Theory]
        [InlineData("/b/c?q=1", "http://127.0.0.1:8080/b/c?q=1")]
        [InlineData("c", "http://127.0.0.1:8080/dir/c")]
        [InlineData("../up", "http://127.0.0.1:8080/up")]
        [InlineData("?only=query", "http://127.0.0.1:8080/dir/page?only=query")]
        [InlineData("//127.0.0.2:9/x", "http://127.0.0.2:9/x")]
        [InlineData("  /trimmed  ", "http://127.0.0.1:8080/trimmed")]
        public void A_relative_location_is_resolved_against_the_current_uri(string location, string expected)
        {
            var request = new FetchRequest(new Uri("http://127.0.0.1:8080/dir/page?x=1"));
            Assert.Null(Next(request, 302, location, out FetchRequest? next));
            Assert.Equal(expected, next!.Uri!.AbsoluteUri);
        }

        [Theory]
        [InlineData(301, "POST", "GET")]
        [InlineData(302, "POST", "GET")]
        [InlineData(303, "POST", "GET")]
        [InlineData(307, "POST", "POST")]
        [InlineData(308, "POST", "POST")]
        [InlineData(301, "PUT", "PUT")]
        [InlineData(302, "DELETE", "DELETE")]
        [InlineData(303, "PUT", "GET")]
        [InlineData(303, "HEAD", "HEAD")]
        [InlineData(303, "GET", "GET")]
        public void The_method_changes_as_specified(int status, string method, string expected)
        {
            var request = new FetchRequest(new Uri("http://127.0.0.1/a")) { Method = method, Body = new byte[] { 1, 2 }, ContentType = "text/plain" };
            request.WithHeader("Content-Language", "en").WithHeader("X-Keep", "1");
            Assert.Null(Next(request, status, "/b", out FetchRequest? next));
            Assert.Equal(expected, next!.Method);
            bool keepsBody = expected == method && method != "GET" && method != "HEAD";
            if (expected == "GET" && method != "GET")
            {
                Assert.Null(next.Body);
                Assert.Null(next.ContentType);
                Assert.DoesNotContain(next.Headers, h => h.Key.StartsWith("Content-", StringComparison.OrdinalIgnoreCase));
            }
            else if (keepsBody)
            {
                Assert.Equal(new byte[] { 1, 2 }, next.Body);
                Assert.Equal("text/plain", next.ContentType);
                Assert.Contains(next.Headers, h => h.Key == "Content-Language");
            }

            Assert.Contains(next.Headers, h => h.Key == "X-Keep");
            Assert.Equal(method, request.Method); // the caller's request is untouched
            Assert.Equal("text/plain", request.ContentType);
            Assert.Equal(new byte[] { 1, 2 }, request.Body);
        }

        [Theory]
        [InlineData("http://127.0.0.1:80/b", false)] // same origin (default port spelled out)
        [InlineData("/b", false)]
        [InlineData("http://127.0.0.2/b", true)]  // another host
        [InlineData("http://127.0.0.1:81/b", true)] // another port
        [InlineData("https://127.0.0.1/b", true)] // another scheme
        public void Credentials_are_dropped_only_when_the_origin_changes(string location, bool dropped)
        {
            var request = new FetchRequest(new Uri("http://127.0.0.1/a"))
                .WithHeader("Authorization", "Basic eDp5")
                .WithHeader("cookie", "a=1")
                .WithHeader("Proxy-Authorization", "Basic cHJveHk6cHc=")
                .WithHeader("Host", "virtual.example")
                .WithHeader("X-Other", "kept");
            string? error = Next(request, 302, location, out FetchRequest? next);
            if (error != null)
            {
                Assert.Contains("https", error); // https targets are refused by validation until the engine speaks TLS
                return;
            }

            Assert.Equal(!dropped, next!.Headers.Any(h => h.Key == "Authorization"));
            Assert.Equal(!dropped, next.Headers.Any(h => h.Key == "cookie"));
            Assert.Equal(!dropped, next.Headers.Any(h => h.Key == "Proxy-Authorization")); // a direct hop must not get it
            Assert.Equal(!dropped, next.Headers.Any(h => h.Key == "Host"));
            Assert.Contains(next.Headers, h => h.Key == "X-Other");

            Assert.Null(Next(request, 302, location, out next, preserve: true));
            Assert.Contains(next!.Headers, h => h.Key == "Authorization");
            Assert.Contains(next.Headers, h => h.Key == "cookie");
        }

        [Fact]
        public void Too_many_redirects_are_refused()
        {
            var request = new FetchRequest(new Uri("http://127.0.0.1/0"));
            var chain = new List<FetchRedirect>();
            for (int i = 0; i < 3; i++)
            {
                chain.Add(new FetchRedirect(new Uri($"http://127.0.0.1/h{i}"), "GET", 302, new Uri($"http://127.0.0.1/h{i + 1}")));
            }

            Assert.Null(Next(request, 302, "/next", out _, chain, maximum: 4));
            string? error = Next(request, 302, "/next", out FetchRequest? next, chain, maximum: 3);
            Assert.NotNull(error);
            Assert.Contains("Too many redirects", error);
            Assert.Contains("more than 3", error);
            Assert.Null(next);
        }

        [Fact]
        public void A_repeated_uri_and_method_is_a_loop()
        {
            var request = new FetchRequest(new Uri("http://127.0.0.1/b"));
            var chain = new List<FetchRedirect> { new FetchRedirect(new Uri("http://127.0.0.1/a"), "GET", 302, new Uri("http://127.0.0.1/b")) };
            string? error = Next(request, 302, "/a", out _, chain);
            Assert.NotNull(error);
            Assert.Contains("loop", error, StringComparison.OrdinalIgnoreCase);

            error = Next(request, 302, "/b#fragment", out _, chain); // to itself: fragments are never sent
            Assert.Contains("loop", error, StringComparison.OrdinalIgnoreCase);

            // The same URL with another method is another request: POST /form -> 303 -> GET /form is fine.
            var post = new FetchRequest(new Uri("http://127.0.0.1/form")) { Method = "POST" };
            Assert.Null(Next(post, 303, "/form", out FetchRequest? next));
            Assert.Equal("GET", next!.Method);
        }

        [Fact]
        public void An_unusable_location_is_refused()
        {
            var request = new FetchRequest(new Uri("http://127.0.0.1/a"));
            string? error = Next(request, 302, "http://[::1", out _);
            Assert.NotNull(error);
            Assert.Contains("not a valid URL", error);
        }
    }
}
