using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

namespace AsyncFetch.Engine.Tests.Requests
{
    /// <summary>FetchRequest.Clone(Uri): a copy aimed at another URL (the cmdlets move a GET's form into the query with it).</summary>
    public sealed class FetchRequestCloneTests
    {
        [Fact]
        public void A_clone_aimed_at_another_url_keeps_every_other_property()
        {
            var r = new FetchRequest("http://h.test/a?z=0")
            {
                Method = "GET",
                Body = new byte[] { 1, 2 },
                ContentType = "text/plain",
                UserAgent = "ua",
                Timeout = TimeSpan.FromSeconds(3),
                ConnectTimeout = TimeSpan.FromSeconds(2),
                OperationTimeout = TimeSpan.FromSeconds(1),
                MaxResponseBytes = 10,
                DiscardBody = true,
                MaximumRedirection = 4,
                PreserveAuthorizationOnRedirect = true,
                AllowInsecureRedirect = true,
                MaximumRetryCount = 2,
                RetryInterval = TimeSpan.FromSeconds(5),
                OutDirectory = "/d",
                Force = true,
                MaxDownloadBytes = 7,
                SkipCertificateCheck = true,
                Proxy = FetchProxy.Direct,
                CookieContainer = new System.Net.CookieContainer(),
                Credential = FetchCredential.Bearer("t"),
                AllowUnencryptedAuthentication = true,
                Tag = new object(),
                Depth = 2,
                Referrer = "http://h.test/",
            };
            r.Headers.Add(new KeyValuePair<string, string>("X-A", "1"));
            var target = new Uri("http://h.test/a?z=0&b=1");

            FetchRequest c = r.Clone(target);

            Assert.Same(target, c.Uri);
            Assert.Null(c.RawUri);
            Assert.True(c.IsMethodSet);
            Assert.Equal(r.Headers, c.Headers);
            Assert.NotSame(r.Headers, c.Headers);
            foreach (PropertyInfo p in typeof(FetchRequest).GetProperties().Where(p => p.Name != nameof(FetchRequest.Uri) && p.Name != nameof(FetchRequest.RawUri) && p.Name != nameof(FetchRequest.Headers)))
            {
                Assert.True(Equals(p.GetValue(r), p.GetValue(c)), p.Name);
            }

            Assert.Equal("http://h.test/a?z=0", r.Uri!.OriginalString);
        }

        [Fact]
        public void The_credentials_in_the_new_urls_user_information_count_as_for_a_new_request()
        {
            FetchRequest c = new FetchRequest("http://h.test/a").Clone(new Uri("http://u:p@h.test/a?b=1"));
            Assert.Equal("u", c.GetCredential()?.UserName);
            Assert.Throws<ArgumentNullException>(() => new FetchRequest("http://h.test/").Clone(null!));
        }
    }
}
