using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Net;
using System.Text;
using AsyncFetch.Engine.Proxy;

namespace AsyncFetch
{
    /// <summary>
    /// Which HTTP proxy a request goes through: one for http targets (sent in absolute form, "GET http://host/path"),
    /// one for https targets (a CONNECT tunnel, then TLS with the target end to end), credentials for the proxy, and
    /// a bypass list of targets that go direct. Set it on <see cref="FetchRequest.Proxy"/> or as the engine's default
    /// in <see cref="FetchEngineOptions.Proxy"/>; <see cref="FromEnvironment()"/> reads the usual variables.
    ///
    /// Only http:// proxies are supported (the connection to the proxy itself is plain TCP). Credentials are sent
    /// pre-emptively as Basic <c>Proxy-Authorization</c>. Loopback targets are not bypassed unless listed.
    /// Treat an instance as immutable once requests use it: the engine reads it from its loop thread.
    /// </summary>
    public sealed class FetchProxy
    {
        private static readonly FetchProxy s_direct = new FetchProxy(frozen: true);

        private readonly bool _frozen;
        private readonly List<string> _environmentWarnings = new List<string>();
        private Uri? _httpProxy;
        private Uri? _httpsProxy;
        private NetworkCredential? _credential;
        private ProxyRoute? _httpRoute;
        private ProxyRoute? _httpsRoute;

        /// <summary>A proxy setting with no proxy and an empty bypass list (fill in the properties).</summary>
        public FetchProxy()
        {
            Bypass = new BypassList(readOnly: false);
        }

        /// <summary>One proxy for both http and https targets.</summary>
        /// <exception cref="ArgumentException">The URI is not an absolute http:// URI with a host.</exception>
        public FetchProxy(Uri proxy)
            : this()
        {
            HttpProxy = proxy ?? throw new ArgumentNullException(nameof(proxy));
            HttpsProxy = proxy;
        }

        private FetchProxy(bool frozen)
        {
            _frozen = frozen;
            Bypass = new BypassList(readOnly: frozen);
        }

        /// <summary>
        /// "No proxy": a request (or engine) with this value connects directly, even when the engine has a default
        /// proxy. Read-only: its setters throw and its bypass list cannot be changed.
        /// </summary>
        public static FetchProxy Direct => s_direct;

        /// <summary>
        /// The proxy for http:// targets, an absolute http:// URI ("http://proxy:3128"; port 80 when none is given).
        /// "user:password@" in it are the credentials (percent-decoded) unless <see cref="Credential"/> is set.
        /// Null: http targets go direct.
        /// </summary>
        /// <exception cref="ArgumentException">Not an absolute http:// URI with a host.</exception>
        public Uri? HttpProxy
        {
            get => _httpProxy;
            set
            {
                ThrowIfFrozen();
                _httpProxy = Checked(value, nameof(HttpProxy));
                _httpRoute = null;
            }
        }

        /// <summary>
        /// The proxy for https:// targets, reached over plain http and asked for a CONNECT tunnel (TLS then runs
        /// with the target through it, validated against the target's name). Same form as <see cref="HttpProxy"/>.
        /// Null: https targets go direct.
        /// </summary>
        /// <exception cref="ArgumentException">Not an absolute http:// URI with a host.</exception>
        public Uri? HttpsProxy
        {
            get => _httpsProxy;
            set
            {
                ThrowIfFrozen();
                _httpsProxy = Checked(value, nameof(HttpsProxy));
                _httpsRoute = null;
            }
        }

        /// <summary>
        /// Credentials for the proxy (Basic authentication, sent with every request and CONNECT); they win over
        /// credentials in the proxy URIs. A domain, when set, is sent as "DOMAIN\user". Null: the URIs' user info, if any.
        /// </summary>
        public NetworkCredential? Credential
        {
            get => _credential;
            set
            {
                ThrowIfFrozen();
                _credential = value;
                _httpRoute = null;
                _httpsRoute = null;
            }
        }

        /// <summary>
        /// Targets that go direct, in NO_PROXY syntax; each item may hold several entries separated by commas or
        /// white space. "*" matches everything; "example.com" and ".example.com" (and "*.example.com") match that
        /// domain and its subdomains; an IP literal ("10.1.2.3", "::1", "[::1]") matches that address and a CIDR
        /// block ("10.0.0.0/8") the addresses in it (domain entries never match IP targets, nor IP entries names);
        /// ":port" after an entry ("example.com:8080", "[::1]:8080") restricts it to that port. Case-insensitive.
        /// Entries that cannot be read are ignored and named in <see cref="Warnings"/>.
        /// </summary>
        public IList<string> Bypass { get; }

        /// <summary>
        /// Why parts of this setting are ignored: environment variables that hold no usable proxy URI (from
        /// <see cref="FromEnvironment()"/>), bypass entries that cannot be read. Credentials are never shown.
        /// </summary>
        public IReadOnlyList<string> Warnings
        {
            get
            {
                BypassRules rules = ((BypassList)Bypass).Rules;
                if (rules.Warnings.Length == 0)
                {
                    return _environmentWarnings.AsReadOnly();
                }

                var all = new List<string>(_environmentWarnings);
                all.AddRange(rules.Warnings);
                return all.AsReadOnly();
            }
        }

        /// <summary>
        /// The proxy settings of the environment, or null when none of HTTP_PROXY, HTTPS_PROXY and ALL_PROXY is set.
        /// See <see cref="FromEnvironment(Func{string, string})"/>.
        /// </summary>
        public static FetchProxy? FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

        /// <summary>
        /// The proxy settings from environment variables read through <paramref name="getVariable"/> (null or empty:
        /// unset). http targets: http_proxy, else HTTP_PROXY; https targets: https_proxy, else HTTPS_PROXY; either
        /// falls back to all_proxy / ALL_PROXY; the bypass list is no_proxy, else NO_PROXY. Where both spellings
        /// are set the lower-case one wins, as in curl. HTTP_PROXY (upper case) is ignored when GATEWAY_INTERFACE
        /// is set: in a CGI process it can come from a request's "Proxy:" header ("httpoxy"); so is an http_proxy with
        /// the same value (where names are case-insensitive, as on Windows, it is the same variable).
        /// A value without a scheme ("proxy:3128") is taken as http://. A value that is not a usable http:// proxy
        /// URI (another scheme such as socks5:// or https://, no host, a bad port) is ignored for its scheme and
        /// explained in <see cref="Warnings"/>; nothing throws. Returns null when no proxy variable is set at all.
        /// </summary>
        public static FetchProxy? FromEnvironment(Func<string, string?> getVariable)
        {
            if (getVariable == null)
            {
                throw new ArgumentNullException(nameof(getVariable));
            }

            var warnings = new List<string>();
            bool cgi = !string.IsNullOrEmpty(getVariable("GATEWAY_INTERFACE"));
            (string? http, string? httpName) = Read(getVariable, "http_proxy", cgi ? null : "HTTP_PROXY");
            string? upperHttp = cgi ? getVariable("HTTP_PROXY") : null;
            if (cgi && http != null && string.Equals(http, upperHttp?.Trim(), StringComparison.Ordinal))
            {
                // Where names are case-insensitive (Windows) http_proxy IS HTTP_PROXY, so it may come from the request too.
                http = null;
            }

            if (cgi && http == null && !string.IsNullOrEmpty(upperHttp))
            {
                warnings.Add("HTTP_PROXY is ignored because GATEWAY_INTERFACE is set (in a CGI process it may come from a request header); use http_proxy with a value of its own (on Windows, where names are case-insensitive, use ALL_PROXY).");
            }

            (string? https, string? httpsName) = Read(getVariable, "https_proxy", "HTTPS_PROXY");
            (string? all, string? allName) = Read(getVariable, "all_proxy", "ALL_PROXY");
            (string? noProxy, _) = Read(getVariable, "no_proxy", "NO_PROXY");
            if (http == null && https == null && all == null)
            {
                return null;
            }

            var proxy = new FetchProxy();
            proxy._environmentWarnings.AddRange(warnings);
            proxy._httpProxy = FromVariable(http ?? all, http != null ? httpName! : allName!, "http", proxy._environmentWarnings);
            proxy._httpsProxy = FromVariable(https ?? all, https != null ? httpsName! : allName!, "https", proxy._environmentWarnings);
            if (noProxy != null)
            {
                proxy.Bypass.Add(noProxy);
            }

            return proxy;
        }

        /// <summary>
        /// Reads a proxy URI as a user would write it: "http://user:pass@host:port", "host:port" (taken as
        /// http://). Returns false, with the reason in <paramref name="error"/>, for anything else.
        /// </summary>
        public static bool TryParseProxyUri(string? value, out Uri? proxy, out string? error)
        {
            proxy = null;
            string text = (value ?? string.Empty).Trim();
            if (text.Length == 0)
            {
                error = "the value is empty";
                return false;
            }

            if (text.IndexOf("://", StringComparison.Ordinal) < 0)
            {
                text = "http://" + text;
            }

            if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? parsed))
            {
                error = "it is not a valid URI";
                return false;
            }

            error = Check(parsed);
            if (error != null)
            {
                return false;
            }

            proxy = parsed;
            return true;
        }

        /// <summary>True when <paramref name="target"/> matches the bypass list (whatever the proxies are).</summary>
        /// <exception cref="ArgumentException">The target is not an absolute URI.</exception>
        public bool ShouldBypass(Uri target)
        {
            CheckTarget(target);
            return ((BypassList)Bypass).Rules.Matches(target);
        }

        /// <summary>
        /// The proxy <paramref name="target"/> goes through: <see cref="HttpProxy"/> for http, <see cref="HttpsProxy"/>
        /// for https; null (direct) when there is none for its scheme or the bypass list matches it.
        /// </summary>
        /// <exception cref="ArgumentException">The target is not an absolute URI.</exception>
        public Uri? GetProxyFor(Uri target)
        {
            CheckTarget(target);
            return RouteFor(target)?.Uri;
        }

        /// <summary>The proxies and bypass list, without credentials.</summary>
        public override string ToString()
        {
            if (_httpProxy == null && _httpsProxy == null)
            {
                return "direct";
            }

            var text = new StringBuilder();
            text.Append("http: ").Append(_httpProxy == null ? "direct" : ProxyRoute.Display(_httpProxy));
            text.Append(", https: ").Append(_httpsProxy == null ? "direct" : ProxyRoute.Display(_httpsProxy));
            if (Bypass.Count > 0)
            {
                text.Append(", bypass: ").Append(string.Join(",", Bypass));
            }

            return text.ToString();
        }

        /// <summary>
        /// The engine's view: how to reach <paramref name="target"/> (an absolute http or https URI), or null for
        /// direct. Routes are cached per scheme, so a proxied request allocates nothing here after the first.
        /// Any thread (routes are immutable; a race only builds one twice).
        /// </summary>
        internal ProxyRoute? RouteFor(Uri target)
        {
            bool https = target.Scheme == "https";
            Uri? proxy = https ? _httpsProxy : _httpProxy;
            if (proxy == null)
            {
                return null;
            }

            BypassRules rules = ((BypassList)Bypass).Rules;
            if (!rules.IsEmpty && rules.Matches(target))
            {
                return null;
            }

            ProxyRoute? route = https ? _httpsRoute : _httpRoute;
            if (route == null || !ReferenceEquals(route.Uri, proxy))
            {
                route = new ProxyRoute(proxy, _credential);
                if (https)
                {
                    _httpsRoute = route;
                }
                else
                {
                    _httpRoute = route;
                }
            }

            return route;
        }

        private static (string? Value, string? Name) Read(Func<string, string?> getVariable, string lower, string? upper)
        {
            string? value = getVariable(lower);
            if (!string.IsNullOrWhiteSpace(value))
            {
                return (value!.Trim(), lower);
            }

            value = upper == null ? null : getVariable(upper);
            return string.IsNullOrWhiteSpace(value) ? (null, null) : (value!.Trim(), upper);
        }

        private static Uri? FromVariable(string? value, string name, string scheme, List<string> warnings)
        {
            if (value == null)
            {
                return null;
            }

            if (TryParseProxyUri(value, out Uri? proxy, out string? error))
            {
                return proxy;
            }

            warnings.Add($"{name}='{Redact(value)}' is ignored for {scheme} targets: {error}.");
            return null;
        }

        /// <summary>Why <paramref name="proxy"/> cannot be used as a proxy, or null when it can.</summary>
        private static string? Check(Uri proxy)
        {
            if (!proxy.IsAbsoluteUri)
            {
                return "it is not an absolute URI";
            }

            if (proxy.Scheme != "http")
            {
                return proxy.Scheme == "https"
                    ? "https:// proxies (TLS to the proxy itself) are not supported; use http:// (https targets are still tunnelled end to end)"
                    : $"the scheme '{proxy.Scheme}' is not supported; only http:// proxies are";
            }

            if (proxy.HostNameType == UriHostNameType.Unknown || proxy.Host.Length == 0)
            {
                return "it has no valid host";
            }

            return null;
        }

        private static Uri? Checked(Uri? proxy, string name)
        {
            if (proxy == null)
            {
                return null;
            }

            string? error = Check(proxy);
            if (error != null)
            {
                throw new ArgumentException($"'{Redact(proxy.IsAbsoluteUri ? proxy.AbsoluteUri : proxy.OriginalString)}' cannot be used as a proxy: {error}.", name);
            }

            return proxy;
        }

        private static void CheckTarget(Uri target)
        {
            if (target == null)
            {
                throw new ArgumentNullException(nameof(target));
            }

            if (!target.IsAbsoluteUri)
            {
                throw new ArgumentException("The target must be an absolute URI.", nameof(target));
            }
        }

        /// <summary>
        /// The proxy text with its user information ("user:password@") replaced by "***@", for messages, error records
        /// and logs (a proxy password never appears in them, nor the user name). <see cref="FetchRedaction"/> does the
        /// work, the same as for target URLs except that the user name goes too.
        /// </summary>
        public static string Redact(string value) => FetchRedaction.Redact(value, hideUserName: true)!;

        private void ThrowIfFrozen()
        {
            if (_frozen)
            {
                throw new InvalidOperationException("FetchProxy.Direct cannot be changed; create a new FetchProxy.");
            }
        }

        /// <summary>The bypass entries as given, with their parsed form cached until the list changes.</summary>
        private sealed class BypassList : Collection<string>
        {
            private readonly bool _readOnly;
            private BypassRules? _rules;

            public BypassList(bool readOnly)
            {
                _readOnly = readOnly;
            }

            /// <summary>Parsed once per change of the list (any thread; a race only parses twice).</summary>
            public BypassRules Rules => _rules ??= BypassRules.Parse(this);

            protected override void InsertItem(int index, string item)
            {
                Changing();
                base.InsertItem(index, item ?? throw new ArgumentNullException(nameof(item)));
            }

            protected override void SetItem(int index, string item)
            {
                Changing();
                base.SetItem(index, item ?? throw new ArgumentNullException(nameof(item)));
            }

            protected override void RemoveItem(int index)
            {
                Changing();
                base.RemoveItem(index);
            }

            protected override void ClearItems()
            {
                Changing();
                base.ClearItems();
            }

            private void Changing()
            {
                if (_readOnly)
                {
                    throw new NotSupportedException("The bypass list of FetchProxy.Direct cannot be changed.");
                }

                _rules = null;
            }
        }
    }
}
