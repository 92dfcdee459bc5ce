using System;
using System.Globalization;
using System.Net;

namespace AsyncFetch.Engine.Proxy
{
    /// <summary>
    /// One proxy as the engine uses it, worked out once per proxy setting (<see cref="FetchProxy.RouteFor"/>): where
    /// to connect, the Basic Proxy-Authorization value, the pool key its connections share, and its name for
    /// results and messages (never with credentials). Immutable.
    /// </summary>
    internal sealed class ProxyRoute
    {
        public ProxyRoute(Uri proxy, NetworkCredential? credential)
        {
            Uri = proxy;
            Host = proxy.DnsSafeHost;
            Port = proxy.Port;
            Name = Display(proxy);

            string? user = null;
            string? password = null;
            if (credential != null)
            {
                user = FetchCredential.UserNameOf(credential);
                password = credential.Password;
            }
            else
            {
                FetchCredential.TrySplitUserInfo(proxy, out user, out password);
            }

            string key = "proxy:" + Name;
            if (user != null)
            {
                UserName = user;
                Authorization = FetchCredential.BasicValue(user, password ?? string.Empty);

                // Connections authenticated differently are kept apart; the key holds a hash, not the password.
                key += "|" + user + "#" + Fnv1a(Authorization).ToString("x16", CultureInfo.InvariantCulture);
            }

            PoolKey = key;
        }

        /// <summary>The proxy URI as configured (with its user info, if any).</summary>
        public Uri Uri { get; }

        /// <summary>The host to resolve and connect to (IPv6 without brackets).</summary>
        public string Host { get; }

        public int Port { get; }

        /// <summary>"http://host:port", for results and messages.</summary>
        public string Name { get; }

        /// <summary>The user name sent, or null when no credentials are sent.</summary>
        public string? UserName { get; }

        /// <summary>The Proxy-Authorization field value ("Basic ..."), or null.</summary>
        public string? Authorization { get; }

        /// <summary>Idle connections to this proxy (plain http requests of any target) share this key.</summary>
        public string PoolKey { get; }

        /// <summary>"http://host:port" without user info (the port always shown).</summary>
        public static string Display(Uri proxy) =>
            "http://" + (proxy.HostNameType == UriHostNameType.IPv6 ? "[" + proxy.DnsSafeHost + "]" : proxy.IdnHost) + ":" + proxy.Port.ToString(CultureInfo.InvariantCulture);

        private static ulong Fnv1a(string text)
        {
            ulong hash = 14695981039346656037UL;
            foreach (char c in text)
            {
                hash = (hash ^ c) * 1099511628211UL;
            }

            return hash;
        }
    }
}
