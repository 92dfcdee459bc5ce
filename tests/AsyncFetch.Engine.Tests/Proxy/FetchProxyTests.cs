using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;

namespace AsyncFetch.Engine.Tests.Proxy
{
    /// <summary>FetchProxy on its own: environment variables, NO_PROXY rules, credentials, invalid values, Direct.</summary>
    public sealed class FetchProxyTests
    {
        private static FetchProxy? FromEnv(params (string Name, string Value)[] variables)
        {
            var map = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
            return FetchProxy.FromEnvironment(name => map.TryGetValue(name, out string? v) ? v : null);
        }

        private static string Basic(string userAndPassword) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(userAndPassword));

        [Fact]
        public void No_proxy_variable_gives_null()
        {
            Assert.Null(FromEnv());
            Assert.Null(FromEnv(("NO_PROXY", "example.com"), ("HTTP_PROXY", "  ")));
        }

        [Fact]
        public void Http_and_https_variables_pick_the_proxy_per_scheme()
        {
            FetchProxy p = FromEnv(("HTTP_PROXY", "http://hp:3128"), ("HTTPS_PROXY", "http://sp:8080"))!;
            Assert.Equal(new Uri("http://hp:3128"), p.HttpProxy);
            Assert.Equal(new Uri("http://sp:8080"), p.HttpsProxy);
            Assert.Equal(new Uri("http://hp:3128"), p.GetProxyFor(new Uri("http://example.com/")));
            Assert.Equal(new Uri("http://sp:8080"), p.GetProxyFor(new Uri("https://example.com/")));
            Assert.Empty(p.Warnings);

            FetchProxy onlyHttp = FromEnv(("HTTP_PROXY", "http://hp:3128"))!;
            Assert.Null(onlyHttp.HttpsProxy);
            Assert.Null(onlyHttp.GetProxyFor(new Uri("https://example.com/")));
        }

        [Fact]
        public void Lower_case_wins_over_upper_case()
        {
            FetchProxy p = FromEnv(
                ("http_proxy", "http://lower:1"), ("HTTP_PROXY", "http://upper:1"),
                ("https_proxy", "http://lower:2"), ("HTTPS_PROXY", "http://upper:2"),
                ("no_proxy", "lower.example"), ("NO_PROXY", "upper.example"))!;
            Assert.Equal("lower", p.HttpProxy!.Host);
            Assert.Equal("lower", p.HttpsProxy!.Host);
            Assert.True(p.ShouldBypass(new Uri("http://lower.example/")));
            Assert.False(p.ShouldBypass(new Uri("http://upper.example/")));
        }

        [Fact]
        public void All_proxy_is_the_fallback_for_both_schemes()
        {
            FetchProxy p = FromEnv(("ALL_PROXY", "http://all:3128"))!;
            Assert.Equal("all", p.HttpProxy!.Host);
            Assert.Equal("all", p.HttpsProxy!.Host);

            FetchProxy specific = FromEnv(("all_proxy", "http://all:3128"), ("https_proxy", "http://tls:3128"))!;
            Assert.Equal("all", specific.HttpProxy!.Host);
            Assert.Equal("tls", specific.HttpsProxy!.Host);
        }

        [Fact]
        public void A_value_without_scheme_is_http_and_the_port_defaults_to_80()
        {
            FetchProxy p = FromEnv(("http_proxy", "proxy.local:3128"), ("https_proxy", "proxy.local"))!;
            Assert.Equal(new Uri("http://proxy.local:3128/"), p.HttpProxy);
            Assert.Equal(80, p.HttpsProxy!.Port);
        }

        [Theory]
        [InlineData("socks5://h:1080", "socks5")]
        [InlineData("https://h:443", "https:// proxies")]
        [InlineData("http://", "not a valid URI")]
        [InlineData("http://h:99999", "not a valid URI")]
        [InlineData("ftp://h", "'ftp'")]
        public void An_unusable_value_is_ignored_with_a_warning(string value, string reason)
        {
            FetchProxy p = FromEnv(("HTTP_PROXY", value), ("HTTPS_PROXY", "http://ok:1"))!;
            Assert.Null(p.HttpProxy);
            Assert.Null(p.GetProxyFor(new Uri("http://example.com/")));
            Assert.Equal("ok", p.HttpsProxy!.Host);
            string warning = Assert.Single(p.Warnings);
            Assert.Contains("HTTP_PROXY", warning, StringComparison.Ordinal);
            Assert.Contains(reason, warning, StringComparison.Ordinal);
        }

        [Fact]
        public void Only_invalid_values_still_give_a_direct_setting_with_the_warnings()
        {
            FetchProxy p = FromEnv(("ALL_PROXY", "socks5://user:hunter2@h:1080"))!;
            Assert.Null(p.HttpProxy);
            Assert.Null(p.HttpsProxy);
            Assert.Equal(2, p.Warnings.Count); // one per scheme that fell back to it
            Assert.All(p.Warnings, w => Assert.DoesNotContain("hunter2", w, StringComparison.Ordinal));
            Assert.All(p.Warnings, w => Assert.Contains("socks5://***@h:1080", w, StringComparison.Ordinal));
        }

        [Fact]
        public void Upper_case_HTTP_PROXY_is_ignored_under_CGI()
        {
            FetchProxy? p = FromEnv(("GATEWAY_INTERFACE", "CGI/1.1"), ("HTTP_PROXY", "http://injected:80"), ("HTTPS_PROXY", "http://s:1"));
            Assert.NotNull(p);
            Assert.Null(p!.HttpProxy);
            Assert.Contains(p.Warnings, w => w.Contains("GATEWAY_INTERFACE", StringComparison.Ordinal));

            FetchProxy lower = FromEnv(("GATEWAY_INTERFACE", "CGI/1.1"), ("http_proxy", "http://chosen:80"))!;
            Assert.Equal("chosen", lower.HttpProxy!.Host);
        }

        [Fact]
        public void FromEnvironment_reads_the_process_environment()
        {
            // Only that it runs and agrees with the reader overload (the variables are whatever the machine has).
            FetchProxy? fromProcess = FetchProxy.FromEnvironment();
            FetchProxy? viaReader = FetchProxy.FromEnvironment(Environment.GetEnvironmentVariable);
            Assert.Equal(viaReader?.ToString(), fromProcess?.ToString());
        }

        [Theory]
        [InlineData("*", "http://anything.example/", true)]
        [InlineData("example.com", "http://example.com/", true)]
        [InlineData("example.com", "http://www.example.com/", true)]
        [InlineData("example.com", "http://a.b.example.com:81/", true)]
        [InlineData("example.com", "http://notexample.com/", false)]
        [InlineData("example.com", "http://example.com.evil/", false)]
        [InlineData(".example.com", "http://example.com/", true)]
        [InlineData(".example.com", "http://sub.example.com/", true)]
        [InlineData("*.example.com", "http://sub.example.com/", true)]
        [InlineData("EXAMPLE.Com", "http://Example.COM/", true)]
        [InlineData("example.com.", "http://example.com./", true)]
        [InlineData("example.com:8080", "http://example.com:8080/", true)]
        [InlineData("example.com:8080", "http://example.com/", false)]
        [InlineData("example.com", "https://example.com:8443/", true)]
        [InlineData("localhost", "http://localhost:5000/", true)]
        [InlineData("localhost", "http://127.0.0.1/", false)]
        [InlineData("127.0.0.1", "http://127.0.0.1:5000/", true)]
        [InlineData("127.0.0.1", "http://127.0.0.2/", false)]
        [InlineData("127.0.0.1", "http://localhost/", false)]
        [InlineData("127.0.0.1:5000", "http://127.0.0.1:5000/", true)]
        [InlineData("127.0.0.1:5000", "http://127.0.0.1:5001/", false)]
        [InlineData("10.0.0.0/8", "http://10.1.2.3/", true)]
        [InlineData("10.0.0.0/8", "http://11.0.0.1/", false)]
        [InlineData("192.168.1.0/25", "http://192.168.1.127/", true)]
        [InlineData("192.168.1.0/25", "http://192.168.1.128/", false)]
        [InlineData("::1", "http://[::1]:8080/", true)]
        [InlineData("[::1]", "https://[::1]/", true)]
        [InlineData("[::1]:8080", "http://[::1]:8080/", true)]
        [InlineData("[::1]:8080", "http://[::1]:8081/", false)]
        [InlineData("fd00::/8", "http://[fd12::1]/", true)]
        [InlineData("fd00::/8", "http://[fe80::1]/", false)]
        [InlineData("::1", "http://127.0.0.1/", false)]
        [InlineData("a.test, b.test c.test", "http://c.test/", true)]
        [InlineData("a.test,,b.test", "http://b.test/", true)]
        [InlineData("bücher.example", "http://xn--bcher-kva.example/", true)]
        [InlineData("bücher.example", "http://bücher.example/", true)]
        [InlineData("", "http://example.com/", false)]
        public void Bypass_entries_match_like_curl(string noProxy, string target, bool bypassed)
        {
            var p = new FetchProxy(new Uri("http://proxy:3128")) { Bypass = { noProxy } };
            Assert.Equal(bypassed, p.ShouldBypass(new Uri(target)));
            Assert.Equal(bypassed ? null : new Uri("http://proxy:3128"), p.GetProxyFor(new Uri(target)));
        }

        [Fact]
        public void Loopback_targets_go_through_the_proxy_unless_listed()
        {
            var p = new FetchProxy(new Uri("http://127.0.0.1:3128"));
            Assert.NotNull(p.GetProxyFor(new Uri("http://127.0.0.1:8080/")));
            Assert.NotNull(p.GetProxyFor(new Uri("http://localhost/")));
            Assert.NotNull(p.GetProxyFor(new Uri("https://[::1]/")));
        }

        [Theory]
        [InlineData("[::1", "'['")]
        [InlineData("host:notaport", "port")]
        [InlineData("host:0", "port")]
        [InlineData("a*b.example", "wildcards")]
        [InlineData("1.2.3.4/40", "IPv4")]
        [InlineData("1.2.3.999", "IPv4")]
        [InlineData("fe80::zz", "IPv6")]
        public void Unreadable_bypass_entries_are_ignored_with_a_warning(string entry, string reason)
        {
            var p = new FetchProxy(new Uri("http://proxy:3128")) { Bypass = { entry + ",good.example" } };
            string warning = Assert.Single(p.Warnings);
            Assert.Contains(entry, warning, StringComparison.Ordinal);
            Assert.Contains(reason, warning, StringComparison.Ordinal);
            Assert.True(p.ShouldBypass(new Uri("http://good.example/")));
        }

        [Fact]
        public void Changing_the_bypass_list_takes_effect()
        {
            var p = new FetchProxy(new Uri("http://proxy:3128"));
            var target = new Uri("http://internal.example/");
            Assert.False(p.ShouldBypass(target));
            p.Bypass.Add("internal.example");
            Assert.True(p.ShouldBypass(target));
            p.Bypass.Clear();
            Assert.False(p.ShouldBypass(target));
            p.Bypass.Add("*");
            Assert.Null(p.GetProxyFor(target));
        }

        [Fact]
        public void Direct_is_read_only_and_never_proxies()
        {
            FetchProxy direct = FetchProxy.Direct;
            Assert.Same(direct, FetchProxy.Direct);
            Assert.Null(direct.GetProxyFor(new Uri("http://example.com/")));
            Assert.Null(direct.GetProxyFor(new Uri("https://example.com/")));
            Assert.Throws<InvalidOperationException>(() => direct.HttpProxy = new Uri("http://p:1"));
            Assert.Throws<InvalidOperationException>(() => direct.HttpsProxy = new Uri("http://p:1"));
            Assert.Throws<InvalidOperationException>(() => direct.Credential = new NetworkCredential("u", "p"));
            Assert.Throws<NotSupportedException>(() => direct.Bypass.Add("x"));
            Assert.Equal("direct", direct.ToString());
        }

        [Theory]
        [InlineData("https://p:443")]
        [InlineData("socks5://p:1080")]
        [InlineData("/relative")]
        public void Setting_an_unusable_proxy_uri_throws(string value)
        {
            var p = new FetchProxy();
            var uri = new Uri(value, UriKind.RelativeOrAbsolute);
            Assert.Throws<ArgumentException>(() => p.HttpProxy = uri);
            Assert.Throws<ArgumentException>(() => p.HttpsProxy = uri);
            Assert.Throws<ArgumentException>(() => new FetchProxy(uri));
        }

        [Theory]
        [InlineData("http://p:3128", true, "http://p:3128/")]
        [InlineData("p:3128", true, "http://p:3128/")]
        [InlineData("  http://u:pw@p:3128  ", true, "http://u:pw@p:3128/")]
        [InlineData("", false, null)]
        [InlineData("socks4://p", false, null)]
        public void TryParseProxyUri_reads_what_users_write(string value, bool ok, string? expected)
        {
            Assert.Equal(ok, FetchProxy.TryParseProxyUri(value, out Uri? proxy, out string? error));
            Assert.Equal(expected, proxy?.AbsoluteUri);
            Assert.Equal(ok, error == null);
        }

        [Fact]
        public void Credentials_in_the_uri_are_percent_decoded()
        {
            var p = new FetchProxy(new Uri("http://us%20er:p%40ss%3Aw%25rd@proxy:3128"));
            ProxyRoute route = p.RouteFor(new Uri("http://example.com/"))!;
            Assert.Equal("us er", route.UserName);
            Assert.Equal(Basic("us er:p@ss:w%rd"), route.Authorization);
            Assert.Equal("http://proxy:3128", route.Name);
            Assert.Equal("proxy", route.Host);
            Assert.Equal(3128, route.Port);
        }

        [Fact]
        public void A_user_without_password_sends_an_empty_one()
        {
            ProxyRoute route = new FetchProxy(new Uri("http://alice@proxy:3128")).RouteFor(new Uri("http://example.com/"))!;
            Assert.Equal(Basic("alice:"), route.Authorization);
        }

        [Fact]
        public void Credential_wins_over_the_uri_and_carries_its_domain()
        {
            var p = new FetchProxy(new Uri("http://wrong:wrong@proxy:3128")) { Credential = new NetworkCredential("bob", "pässwörd") };
            Assert.Equal(Basic("bob:pässwörd"), p.RouteFor(new Uri("https://example.com/"))!.Authorization);

            p.Credential = new NetworkCredential("bob", "pw", "CORP");
            Assert.Equal(Basic("CORP\\bob:pw"), p.RouteFor(new Uri("https://example.com/"))!.Authorization);
        }

        [Fact]
        public void No_credentials_no_authorization()
        {
            ProxyRoute route = new FetchProxy(new Uri("http://proxy:3128")).RouteFor(new Uri("http://example.com/"))!;
            Assert.Null(route.Authorization);
            Assert.Null(route.UserName);
            Assert.Equal("proxy:http://proxy:3128", route.PoolKey);
        }

        [Fact]
        public void Pool_keys_separate_credentials_and_never_hold_the_password()
        {
            string Key(string userInfo) => new FetchProxy(new Uri($"http://{userInfo}@proxy:3128")).RouteFor(new Uri("http://example.com/"))!.PoolKey;

            Assert.Equal(Key("a:secret1"), Key("a:secret1"));
            Assert.NotEqual(Key("a:secret1"), Key("a:secret2"));
            Assert.NotEqual(Key("a:secret1"), Key("b:secret1"));
            Assert.DoesNotContain("secret1", Key("a:secret1"), StringComparison.Ordinal);
            Assert.StartsWith("proxy:http://proxy:3128|a#", Key("a:secret1"), StringComparison.Ordinal);
        }

        [Fact]
        public void Routes_are_cached_until_the_setting_changes()
        {
            var p = new FetchProxy(new Uri("http://proxy:3128"));
            var target = new Uri("http://example.com/");
            ProxyRoute first = p.RouteFor(target)!;
            Assert.Same(first, p.RouteFor(new Uri("http://other.example/")));
            p.Credential = new NetworkCredential("u", "p");
            ProxyRoute second = p.RouteFor(target)!;
            Assert.NotSame(first, second);
            Assert.NotNull(second.Authorization);
            p.HttpProxy = new Uri("http://proxy2:3128");
            Assert.Equal("proxy2", p.RouteFor(target)!.Host);
        }

        [Fact]
        public void An_ipv6_proxy_is_named_in_brackets_and_connected_without()
        {
            ProxyRoute route = new FetchProxy(new Uri("http://[::1]:3128")).RouteFor(new Uri("http://example.com/"))!;
            Assert.Equal("http://[::1]:3128", route.Name);
            Assert.Equal("::1", route.Host);
        }

        [Fact]
        public void ToString_shows_proxies_and_bypass_but_no_credentials()
        {
            var p = new FetchProxy(new Uri("http://user:hunter2@proxy:3128")) { Bypass = { "localhost" } };
            string text = p.ToString();
            Assert.Equal("http: http://proxy:3128, https: http://proxy:3128, bypass: localhost", text);
        }

        [Fact]
        public void Targets_must_be_absolute()
        {
            var p = new FetchProxy(new Uri("http://proxy:3128"));
            Assert.Throws<ArgumentException>(() => p.GetProxyFor(new Uri("/relative", UriKind.Relative)));
            Assert.Throws<ArgumentNullException>(() => p.ShouldBypass(null!));
        }

        [Fact]
        public void Clone_keeps_the_proxy()
        {
            var proxy = new FetchProxy(new Uri("http://proxy:3128"));
            var request = new FetchRequest("http://example.com/") { Proxy = proxy };
            Assert.Same(proxy, request.Clone().Proxy);
            Assert.Same(FetchProxy.Direct, new FetchRequest("http://x/") { Proxy = FetchProxy.Direct }.Clone().Proxy);
        }
    }
}
