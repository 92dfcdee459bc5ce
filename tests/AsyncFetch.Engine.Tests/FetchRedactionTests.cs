using System;
using System.Collections.Generic;

namespace AsyncFetch.Engine.Tests
{
    /// <summary>FetchRedaction: the password of every URL in a text goes, the rest of the text stays as it was.</summary>
    public sealed class FetchRedactionTests
    {
        [Theory]
        [InlineData("http://user:secretpw@host/path?q=1", "http://user:***@host/path?q=1")]
        [InlineData("https://user:p%40ss@host:8443/", "https://user:***@host:8443/")]
        [InlineData("http://user:p@ss@host/", "http://user:***@host/")] // an '@' in the password: the last one ends it
        [InlineData("http://user:p=a;b,c'd(e)!@host/", "http://user:***@host/")] // sub-delimiters are userinfo characters
        [InlineData("http://token123@host/", "http://***@host/")] // a user name alone is often a token
        [InlineData("http://:pw@host/", "http://:***@host/")]
        [InlineData("http://user:pw@[::1]:8080/x", "http://user:***@[::1]:8080/x")]
        [InlineData("user:pw@host:8090/get", "user:***@host:8090/get")] // no scheme
        [InlineData("'http://u:pw@h/' is not a valid URL; nor 'ftp://v:pw2@g'.", "'http://u:***@h/' is not a valid URL; nor 'ftp://v:***@g'.")]
        [InlineData("@{Url=http://u:pw@h/; Name=x}", "@{Url=http://u:***@h/; Name=x}")]
        [InlineData("GET http://u:pw@h/a -> http://u:pw@h/b", "GET http://u:***@h/a -> http://u:***@h/b")]
        public void Passwords_become_stars_and_user_names_stay(string text, string expected)
        {
            Assert.Equal(expected, FetchRedaction.Text(text));
        }

        [Theory]
        [InlineData("http://host/path")]
        [InlineData("http://host/a@b?c=d@e#f@g")] // '@' after the authority: path, query, fragment
        [InlineData("mail bob@example.com about it")] // a user name without a scheme is no URL
        [InlineData("@{Name=x; Size=3}")]
        [InlineData("")]
        [InlineData("@")]
        [InlineData("http://@host/")]
        public void Text_without_user_information_is_returned_as_it_is(string text)
        {
            Assert.Same(text, FetchRedaction.Text(text));
        }

        [Fact]
        public void Null_stays_null()
        {
            Assert.Null(FetchRedaction.Text(null));
            Assert.Null(FetchRedaction.Url(null));
        }

        [Fact]
        public void A_uri_loses_its_password_and_keeps_everything_else()
        {
            var uri = new Uri("http://user:secretpw@h.test:8080/a/b?c=1#frag");
            Uri redacted = FetchRedaction.Url(uri)!;
            Assert.Equal("user:***", redacted.UserInfo);
            Assert.Equal("h.test", redacted.Host);
            Assert.Equal(8080, redacted.Port);
            Assert.Equal("/a/b?c=1", redacted.PathAndQuery);
            Assert.DoesNotContain("secretpw", redacted.ToString(), StringComparison.Ordinal);

            var plain = new Uri("http://h.test/a@b");
            Assert.Same(plain, FetchRedaction.Url(plain));
            var relative = new Uri("/a", UriKind.Relative);
            Assert.Same(relative, FetchRedaction.Url(relative));
        }

        [Fact]
        public void Proxy_text_hides_the_user_name_too()
        {
            Assert.Equal("http://***@proxy:3128", FetchProxy.Redact("http://alice:pw@proxy:3128"));
            Assert.Equal("***@proxy:3128", FetchProxy.Redact("alice:pw@proxy:3128"));
            Assert.Equal("***@proxy:3128", FetchProxy.Redact("alice@proxy:3128"));
            Assert.Equal("proxy:3128", FetchProxy.Redact("proxy:3128"));
        }

        [Theory]
        [InlineData("Authorization", true)]
        [InlineData("proxy-authorization", true)]
        [InlineData("COOKIE", true)]
        [InlineData("Set-Cookie", true)]
        [InlineData("X-Api-Key", false)]
        [InlineData("Accept", false)]
        [InlineData(null, false)]
        public void Credential_headers_are_secret(string? name, bool secret)
        {
            Assert.Equal(secret, FetchRedaction.IsSecretHeader(name));
            Assert.Equal(secret ? FetchRedaction.Mask : "value", FetchRedaction.HeaderValue(name, "value"));
            Assert.Null(FetchRedaction.HeaderValue(name, null));
        }
    

        [Fact]
        public void Given_secrets_are_masked_longest_first_with_url_passwords()
        {
            string text = "Start-FetchJob http://u:pw@h/ -Headers @{Authorization='Bearer t0ken-x'; Cookie='sid=c00kie'} # t0ken-x";
            var secrets = new List<string>(FetchRedaction.HeaderSecrets("Authorization", "Bearer t0ken-x"));
            secrets.AddRange(FetchRedaction.HeaderSecrets("Cookie", "sid=c00kie"));
            Assert.Equal(
                "Start-FetchJob http://u:***@h/ -Headers @{Authorization='***'; Cookie='***'} # ***",
                FetchRedaction.Text(text, secrets));
        }

        [Fact]
        public void Short_secrets_and_no_secrets_leave_the_text_alone()
        {
            Assert.Equal("a=xyz b", FetchRedaction.Text("a=xyz b", new[] { "xyz", null, string.Empty }));
            Assert.Null(FetchRedaction.Text(null, new[] { "secret" }));
            Assert.Equal("no secret here", FetchRedaction.Text("no secret here", null));
        }

        [Theory]
        [InlineData("Authorization", "Bearer t0ken-x", "Bearer t0ken-x|t0ken-x")]
        [InlineData("Cookie", "a=c00kie1; b=c00kie2", "a=c00kie1; b=c00kie2|a=c00kie1|c00kie1|b=c00kie2|c00kie2")]
        [InlineData("Authorization", "Basic abc, Bearer def", "Basic abc, Bearer def|Basic abc|abc|Bearer def|def")]
        [InlineData("X-Api-Key", "k3y-value", "")]
        [InlineData("Cookie", "", "")]
        public void Header_secrets_are_the_value_its_items_and_their_credentials(string name, string value, string expected)
        {
            Assert.Equal(expected, string.Join("|", FetchRedaction.HeaderSecrets(name, value)));
        }
    }
}
