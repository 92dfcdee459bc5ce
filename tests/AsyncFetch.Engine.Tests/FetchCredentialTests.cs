using System;
using System.Collections.Generic;
using System.Net;
using System.Security;
using System.Text;

namespace AsyncFetch.Engine.Tests
{
    /// <summary>FetchCredential and the credentials a FetchRequest carries, without a server.</summary>
    public sealed class FetchCredentialTests
    {
        private static string Decode(string authorization) =>
            Encoding.UTF8.GetString(Convert.FromBase64String(authorization.Substring("Basic ".Length)));

        [Fact]
        public void Basic_is_the_base64_of_user_colon_password_in_utf8_with_the_domain_before_the_user()
        {
            FetchCredential c = FetchCredential.Basic(new NetworkCredential("jürgen", "pä:ss"));
            Assert.Equal("Basic", c.Scheme);
            Assert.Equal("jürgen", c.UserName);
            Assert.False(c.WaitsForChallenge);
            Assert.Equal("jürgen:pä:ss", Decode(c.Authorization));

            FetchCredential d = FetchCredential.OnChallenge(new NetworkCredential("bob", "pw", "CORP"));
            Assert.True(d.WaitsForChallenge);
            Assert.Equal(@"CORP\bob", d.UserName);
            Assert.Equal(@"CORP\bob:pw", Decode(d.Authorization));
            Assert.False(d.Answered.WaitsForChallenge);
            Assert.Same(d.Answered, d.Answered);
            Assert.Equal(d.Authorization, d.Answered.Authorization);
        }

        [Fact]
        public void Bearer_sends_the_token_as_given_and_refuses_one_that_cannot_be_a_header_value()
        {
            Assert.Equal("Bearer abc.DEF-123_~+/=", FetchCredential.Bearer("abc.DEF-123_~+/=").Authorization);
            using var secure = new SecureString();
            foreach (char ch in "s3cr3t")
            {
                secure.AppendChar(ch);
            }

            FetchCredential fromSecure = FetchCredential.Bearer(secure);
            Assert.Equal("Bearer s3cr3t", fromSecure.Authorization);
            Assert.Null(fromSecure.UserName);
            Assert.Throws<ArgumentException>(() => FetchCredential.Bearer("a\r\nX-Injected: 1"));
            Assert.Throws<ArgumentException>(() => FetchCredential.Bearer("two words"));
            Assert.Throws<ArgumentException>(() => FetchCredential.Bearer(string.Empty));
            Assert.Throws<ArgumentNullException>(() => FetchCredential.Bearer((string)null!));
        }

        [Fact]
        public void ToString_never_shows_the_secret()
        {
            Assert.Equal("Basic alice:***", FetchCredential.Basic(new NetworkCredential("alice", "hunter2")).ToString());
            Assert.Equal("Basic alice:*** (on challenge)", FetchCredential.OnChallenge(new NetworkCredential("alice", "hunter2")).ToString());
            Assert.Equal("Bearer ***", FetchCredential.Bearer("tok3n").ToString());
        }

        [Fact]
        public void A_url_with_user_information_carries_basic_credentials_percent_decoded()
        {
            var request = new FetchRequest("https://us%3Aer:p%40ss:word@h.test/a");
            FetchCredential c = request.GetCredential()!;
            Assert.Equal("us:er", c.UserName);
            Assert.Equal("us:er:p@ss:word", Decode(c.Authorization));
            Assert.False(c.WaitsForChallenge);
            Assert.Same(c, request.GetCredential());

            Assert.Equal("tok:", Decode(new FetchRequest(new Uri("https://tok@h.test/")).GetCredential()!.Authorization));
            Assert.Null(new FetchRequest("https://h.test/a@b").GetCredential());
            Assert.Null(new FetchRequest("not a url").GetCredential());
        }

        [Fact]
        public void An_explicit_credential_wins_over_the_user_information_and_a_caller_authorization_header_over_both()
        {
            FetchCredential own = FetchCredential.Bearer("own");
            var request = new FetchRequest("https://u:p@h.test/") { Credential = own };
            Assert.Same(own, request.GetCredential());
            Assert.Equal("Bearer own", request.AuthorizationToSend);

            request.WithHeader("authorization", "Custom x");
            Assert.Null(request.AuthorizationToSend);
            Assert.Null(new FetchRequest("https://h.test/") { Credential = FetchCredential.OnChallenge(new NetworkCredential("u", "p")) }.AuthorizationToSend);
        }

        [Fact]
        public void A_redirect_hop_keeps_the_credentials_on_the_origin_drops_them_off_it_and_never_takes_the_targets_user_info()
        {
            var request = new FetchRequest("https://u:p@h.test/a");
            FetchRequest sameOrigin = request.ForRedirect(new Uri("https://u:p@h.test/b"), becomeGet: false, dropCredentials: false, originChanged: false);
            Assert.Same(request.GetCredential(), sameOrigin.GetCredential());

            FetchRequest elsewhere = request.ForRedirect(new Uri("https://x:y@g.test/"), becomeGet: false, dropCredentials: true, originChanged: true);
            Assert.Null(elsewhere.GetCredential());
            Assert.Null(elsewhere.AuthorizationToSend);

            FetchRequest preserved = request.ForRedirect(new Uri("https://g.test/"), becomeGet: false, dropCredentials: false, originChanged: true);
            Assert.Same(request.GetCredential(), preserved.GetCredential());

            // Clone keeps all of it.
            FetchRequest clone = elsewhere.Clone();
            Assert.Null(clone.GetCredential());
            var withAllowance = new FetchRequest("http://h.test/") { AllowUnencryptedAuthentication = true, Credential = FetchCredential.Bearer("t") };
            Assert.True(withAllowance.Clone().AllowUnencryptedAuthentication);
            Assert.Same(withAllowance.Credential, withAllowance.Clone().Credential);
        }

        [Theory]
        [InlineData("Basic realm=\"x\"", true)]
        [InlineData("basic", true)]
        [InlineData("Negotiate, Basic realm=\"x\"", true)]
        [InlineData("Bearer, NTLM", false)]
        [InlineData("BasicX realm=\"x\"", false)]
        [InlineData("Digest realm=\"Basic\"", false)]
        public void Only_a_challenge_that_offers_basic_is_answered(string challenge, bool answered)
        {
            var request = new FetchRequest("https://h.test/") { Credential = FetchCredential.OnChallenge(new NetworkCredential("u", "p")) };
            FetchRequest? next = request.ForChallenge(new[] { challenge });
            Assert.Equal(answered, next != null);
            if (next != null)
            {
                Assert.False(next.GetCredential()!.WaitsForChallenge);
                Assert.Null(next.ForChallenge(new[] { challenge })); // answered once: a second 401 is the result
            }

            Assert.Null(new FetchRequest("https://h.test/") { Credential = FetchCredential.Basic(new NetworkCredential("u", "p")) }.ForChallenge(new[] { challenge }));
            Assert.Null(new FetchRequest("https://h.test/").ForChallenge(new[] { challenge }));
        }

        [Fact]
        public void Several_challenge_fields_are_all_read()
        {
            var request = new FetchRequest("https://h.test/") { Credential = FetchCredential.OnChallenge(new NetworkCredential("u", "p")) };
            Assert.NotNull(request.ForChallenge(new List<string> { "Negotiate", "Basic realm=\"r\"" }));
            Assert.Null(request.ForChallenge(new List<string>()));
        }

        [Fact]
        public void A_request_shows_its_url_without_the_password()
        {
            Assert.Equal("GET https://u:***@h.test/a", new FetchRequest("https://u:pw@h.test/a").ToString());
            Assert.Equal("GET https://h.test/a", new FetchRequest("https://h.test/a").ToString());
        }
    }
}
