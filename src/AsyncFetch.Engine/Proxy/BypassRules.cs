using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace AsyncFetch.Engine.Proxy
{
    /// <summary>
    /// A NO_PROXY list, parsed once (curl's rules, see <see cref="FetchProxy.Bypass"/>): "*", domain suffixes
    /// matched on label boundaries, IP addresses and CIDR blocks compared as addresses, each optionally with a
    /// port. Immutable, so any thread may match with it.
    /// </summary>
    internal sealed class BypassRules
    {
        private static readonly char[] Separators = { ',', ' ', '\t', '\r', '\n', ';' };

        private readonly Rule[] _rules;

        private BypassRules(Rule[] rules, string[] warnings)
        {
            _rules = rules;
            Warnings = warnings;
        }

        public bool IsEmpty => _rules.Length == 0;

        /// <summary>Entries that could not be read, each with why.</summary>
        public string[] Warnings { get; }

        public static BypassRules Parse(IEnumerable<string> items)
        {
            var rules = new List<Rule>();
            var warnings = new List<string>();
            foreach (string item in items)
            {
                foreach (string raw in item.Split(Separators, StringSplitOptions.RemoveEmptyEntries))
                {
                    string? error = TryParse(raw, out Rule rule);
                    if (error == null)
                    {
                        rules.Add(rule);
                    }
                    else
                    {
                        warnings.Add($"The bypass entry '{raw}' is ignored: {error}.");
                    }
                }
            }

            return new BypassRules(rules.ToArray(), warnings.ToArray());
        }

        /// <summary>True when some entry matches <paramref name="target"/> (an absolute URI).</summary>
        public bool Matches(Uri target)
        {
            if (_rules.Length == 0)
            {
                return false;
            }

            IPAddress? address = null;
            string host;
            if (target.HostNameType == UriHostNameType.IPv4 || target.HostNameType == UriHostNameType.IPv6)
            {
                host = string.Empty;
                IPAddress.TryParse(target.DnsSafeHost, out address); // a zone id (fe80::1%eth0) plays no part: bytes are compared
                if (address != null && address.IsIPv4MappedToIPv6)
                {
                    address = address.MapToIPv4();
                }
            }
            else
            {
                host = target.IdnHost.TrimEnd('.').ToLowerInvariant();
            }

            int port = target.Port;
            foreach (Rule rule in _rules)
            {
                if (rule.Port != 0 && rule.Port != port)
                {
                    continue;
                }

                switch (rule.Kind)
                {
                    case RuleKind.All:
                        return true;
                    case RuleKind.Domain:
                        if (address == null && IsDomainOrSubdomain(host, rule.Domain!))
                        {
                            return true;
                        }

                        break;
                    case RuleKind.Network:
                        if (address != null && InNetwork(address, rule.Network!, rule.PrefixLength))
                        {
                            return true;
                        }

                        break;
                }
            }

            return false;
        }

        private static bool IsDomainOrSubdomain(string host, string domain) =>
            host.EndsWith(domain, StringComparison.Ordinal)
            && (host.Length == domain.Length || host[host.Length - domain.Length - 1] == '.');

        private static bool InNetwork(IPAddress address, IPAddress network, int prefixLength)
        {
            if (address.AddressFamily != network.AddressFamily)
            {
                return false;
            }

            byte[] a = address.GetAddressBytes();
            byte[] n = network.GetAddressBytes();
            int whole = prefixLength / 8;
            for (int i = 0; i < whole; i++)
            {
                if (a[i] != n[i])
                {
                    return false;
                }
            }

            int bits = prefixLength % 8;
            if (bits == 0)
            {
                return true;
            }

            int mask = 0xFF << (8 - bits) & 0xFF;
            return (a[whole] & mask) == (n[whole] & mask);
        }

        /// <summary>Parses one entry; returns why it cannot be used, or null.</summary>
        private static string? TryParse(string entry, out Rule rule)
        {
            rule = default;
            if (entry == "*")
            {
                rule.Kind = RuleKind.All;
                return null;
            }

            string hostPart = entry;
            string? portPart = null;
            if (entry[0] == '[')
            {
                int close = entry.IndexOf(']');
                if (close < 0)
                {
                    return "a '[' without its ']'";
                }

                hostPart = entry.Substring(1, close - 1);
                string rest = entry.Substring(close + 1);
                if (rest.Length > 0)
                {
                    if (rest[0] != ':')
                    {
                        return "text after the bracketed address";
                    }

                    portPart = rest.Substring(1);
                }

                if (!TryParseNetwork(hostPart, out rule) || rule.Network!.AddressFamily != AddressFamily.InterNetworkV6)
                {
                    return "not an IPv6 address between the brackets";
                }
            }
            else if (entry.IndexOf(':') != entry.LastIndexOf(':'))
            {
                // Several colons and no brackets: a bare IPv6 address (or block), which cannot carry a port.
                if (!TryParseNetwork(entry, out rule))
                {
                    return "not a valid IPv6 address (write [address]:port to give a port)";
                }
            }
            else
            {
                int colon = entry.IndexOf(':');
                if (colon >= 0)
                {
                    hostPart = entry.Substring(0, colon);
                    portPart = entry.Substring(colon + 1);
                }

                if (LooksLikeIPv4(hostPart))
                {
                    if (!TryParseNetwork(hostPart, out rule))
                    {
                        return "not a valid IPv4 address or CIDR block";
                    }
                }
                else
                {
                    string? error = ParseDomain(hostPart, out string domain);
                    if (error != null)
                    {
                        return error;
                    }

                    rule.Kind = RuleKind.Domain;
                    rule.Domain = domain;
                }
            }

            if (portPart != null)
            {
                if (!int.TryParse(portPart, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port < 1 || port > 65535)
                {
                    return "the port is not a number from 1 to 65535";
                }

                rule.Port = port;
            }

            return null;
        }

        private static bool LooksLikeIPv4(string s)
        {
            int slash = s.IndexOf('/');
            string address = slash >= 0 ? s.Substring(0, slash) : s;
            int dots = 0;
            foreach (char c in address)
            {
                if (c == '.')
                {
                    dots++;
                }
                else if (c < '0' || c > '9')
                {
                    return false;
                }
            }

            return dots == 3;
        }

        /// <summary>"10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8": an address is a block of its full length.</summary>
        private static bool TryParseNetwork(string text, out Rule rule)
        {
            rule = default;
            int slash = text.IndexOf('/');
            string addressText = slash >= 0 ? text.Substring(0, slash) : text;
            if (!IPAddress.TryParse(addressText, out IPAddress? address))
            {
                return false;
            }

            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            int maxBits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            int prefix = maxBits;
            if (slash >= 0 && (!int.TryParse(text.Substring(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > maxBits))
            {
                return false;
            }

            rule.Kind = RuleKind.Network;
            rule.Network = address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address;
            rule.PrefixLength = prefix;
            return true;
        }

        private static string? ParseDomain(string text, out string domain)
        {
            domain = text;
            if (domain.StartsWith("*.", StringComparison.Ordinal))
            {
                domain = domain.Substring(2);
            }

            domain = domain.TrimStart('.').TrimEnd('.');
            if (domain.Length == 0)
            {
                return "no host name";
            }

            if (domain.IndexOf('*') >= 0 || domain.IndexOf('/') >= 0)
            {
                return "wildcards other than a leading '*.' and paths are not supported";
            }

            foreach (char c in domain)
            {
                if (c > 0x7F)
                {
                    try
                    {
                        domain = new IdnMapping().GetAscii(domain);
                    }
                    catch (ArgumentException)
                    {
                        return "not a valid international domain name";
                    }

                    break;
                }
            }

            domain = domain.ToLowerInvariant();
            return null;
        }

        private enum RuleKind : byte
        {
            All,
            Domain,
            Network,
        }

        private struct Rule
        {
            public RuleKind Kind;
            public string? Domain;
            public IPAddress? Network;
            public int PrefixLength;
            public int Port;
        }
    }
}
