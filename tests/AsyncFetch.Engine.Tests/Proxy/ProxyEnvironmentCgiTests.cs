using System;
using System.Linq;

namespace AsyncFetch.Engine.Tests.Proxy
{
    /// <summary>
    /// httpoxy where environment variable names are case-insensitive (Windows, where Windows PowerShell 5.1 runs):
    /// there, reading "http_proxy" returns HTTP_PROXY, which in a CGI process may come from a request's "Proxy:"
    /// header. Before, the lower-case read brought the injected value straight back, so the CGI rule did nothing.
    /// </summary>
    public sealed class ProxyEnvironmentCgiTests
    {
        /// <summary>An environment whose names are case-insensitive, as on Windows.</summary>
        private static FetchProxy? FromCaseInsensitiveEnv(params (string Name, string Value)[] variables)
        {
            var map = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.OrdinalIgnoreCase);
            return FetchProxy.FromEnvironment(name => map.TryGetValue(name, out string? v) ? v : null);
        }

        [Fact]
        public void Under_CGI_a_case_insensitive_environment_does_not_bring_HTTP_PROXY_back_as_http_proxy()
        {
            FetchProxy? p = FromCaseInsensitiveEnv(("GATEWAY_INTERFACE", "CGI/1.1"), ("HTTP_PROXY", "http://injected:80"), ("HTTPS_PROXY", "http://s:1"));

            Assert.NotNull(p);
            Assert.Null(p!.HttpProxy);
            Assert.Equal("s", p.HttpsProxy!.Host);
            Assert.Contains(p.Warnings, w => w.Contains("GATEWAY_INTERFACE", StringComparison.Ordinal));
        }

        [Fact]
        public void Under_CGI_ALL_PROXY_still_serves_http_targets_and_without_CGI_HTTP_PROXY_is_read()
        {
            FetchProxy all = FromCaseInsensitiveEnv(("GATEWAY_INTERFACE", "CGI/1.1"), ("HTTP_PROXY", "http://injected:80"), ("ALL_PROXY", "http://all:3128"))!;
            Assert.Equal("all", all.HttpProxy!.Host);

            FetchProxy plain = FromCaseInsensitiveEnv(("HTTP_PROXY", "http://chosen:80"))!;
            Assert.Equal("chosen", plain.HttpProxy!.Host);
            Assert.Empty(plain.Warnings);
        }
    }
}
