using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using AsyncFetch.TestServer;

namespace AsyncFetch.Engine.Tests.TestSite
{
    /// <summary>The test server in site mode serves exactly the generated site at its root.</summary>
    public sealed class SiteServerTests
    {
        [Fact]
        public async Task ServesEveryUrlOfTheManifestAsTheModelSays()
        {
            await using LoopbackServer server = await LoopbackServer.StartAsync(new LoopbackServerOptions { Site = new SiteOptions(80, 9) });
            using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
            Site site = SiteGenerator.Generate(80, 9, server.BaseUri.GetLeftPart(UriPartial.Authority));

            byte[] manifest = await http.GetByteArrayAsync(new Uri(server.BaseUri, "/site-manifest.json"));
            Assert.Equal(site.ManifestJson, manifest);
            Assert.Equal(SiteGenerator.RobotsTxt, await http.GetStringAsync(new Uri(server.BaseUri, "/robots.txt")));

            foreach (SiteUrlFacts url in site.Manifest.Urls)
            {
                using HttpResponseMessage response = await http.GetAsync(new Uri(server.BaseUri, url.Path));
                Assert.Equal(url.Status, (int)response.StatusCode);
                if (url.Kind == SiteResourceKind.Redirect)
                {
                    Assert.Equal(url.Location, response.Headers.Location!.OriginalString);
                }
                else if (url.Kind != SiteResourceKind.Broken)
                {
                    Assert.Equal(site.Resources[url.Path].Body, await response.Content.ReadAsByteArrayAsync());
                    Assert.Equal(site.Resources[url.Path].ContentType, response.Content.Headers.ContentType!.ToString());
                }
            }

            // Percent-encoded spellings and dot segments reach the same documents; the test server's own endpoints are gone.
            Assert.Equal(site.Resources["/~about.html"].Body, await http.GetByteArrayAsync(new Uri(server.BaseUri, "/%7Eabout.html")));
            Assert.Equal(site.Resources["/item/3.html"].Body, await http.GetByteArrayAsync(new Uri(server.BaseUri, "/%69tem/%33.html")));
            Assert.Equal(site.Resources["/"].Body, await http.GetByteArrayAsync(new Uri(server.BaseUri, "/index.html")));
            using HttpResponseMessage echo = await http.GetAsync(new Uri(server.BaseUri, "/echo"));
            Assert.Equal(HttpStatusCode.NotFound, echo.StatusCode);
            Assert.True(server.Stats.GetSnapshot().Total >= site.Manifest.Urls.Count);
        }

        [Fact]
        public async Task AbsoluteLinksNameTheHostTheClientUsed()
        {
            await using LoopbackServer server = await LoopbackServer.StartAsync(new LoopbackServerOptions { Site = new SiteOptions(200) });
            using var http = new HttpClient();
            Site named = SiteGenerator.Generate(200, 1, "http://localhost:" + server.Port);
            SiteResource page = named.Resources.Values.First(r => r.Kind == SiteResourceKind.Html
                && System.Text.Encoding.UTF8.GetString(r.Body).Contains("://LOCALHOST:", StringComparison.Ordinal));

            var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUri, page.Path));
            request.Headers.Host = "LocalHost:" + server.Port;
            using HttpResponseMessage response = await http.SendAsync(request);
            Assert.Equal(page.Body, await response.Content.ReadAsByteArrayAsync());

            string byAddress = await http.GetStringAsync(new Uri(server.BaseUri, page.Path));
            Assert.DoesNotContain("localhost", byAddress, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("127.0.0.1:" + server.Port, byAddress, StringComparison.Ordinal);
        }
    }
}
