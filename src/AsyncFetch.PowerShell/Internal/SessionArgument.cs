using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// -WebSession's argument: a <see cref="FetchSession"/> as it is, or Invoke-WebRequest's WebRequestSession (whose
    /// type PowerShellStandard does not have, so it is read through its properties: Cookies, Headers, UserAgent,
    /// Credentials, Proxy (through IWebProxy: its type differs between PowerShell versions), Certificates) turned into a FetchSession that shares its cookie jar and header dictionary, so
    /// cookies either command receives are seen by the other. Its other values are copied: a -UserAgent, -Credential or
    /// -Proxy that AsyncFetch stores goes into the FetchSession, not back into the WebRequestSession.
    /// Runs on the pipeline thread, while parameters are bound.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class SessionArgumentAttribute : ArgumentTransformationAttribute
    {
        /// <summary>A loopback destination to ask IsBypassed about, and the bypass entry that stands for it.</summary>
        private static readonly KeyValuePair<string, string>[] LoopbackProbes =
        {
            new KeyValuePair<string, string>("http://localhost/", "localhost"),
            new KeyValuePair<string, string>("http://127.0.0.1/", "127.0.0.0/8"),
            new KeyValuePair<string, string>("http://[::1]/", "::1"),
        };

        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            object? value = Unwrap(inputData);
            if (value == null || value is FetchSession)
            {
                return value;
            }

            PSObject source = PSObject.AsPSObject(value);
            if (!(Property(source, "Cookies") is CookieContainer cookies))
            {
                throw new ArgumentTransformationMetadataException(
                    $"-WebSession takes a FetchSession (from -SessionVariable) or an Invoke-WebRequest WebRequestSession of this process; '{value.GetType().FullName}' has no cookie jar (a session read back from a file or another process has lost it).");
            }

            var session = new FetchSession { Cookies = cookies, UserAgent = Property(source, "UserAgent") as string };
            switch (Property(source, "Headers"))
            {
                case Dictionary<string, string> shared:
                    session.Headers = shared;
                    break;
                case IDictionary headers:
                    foreach (KeyValuePair<string, string> h in RequestBuilder.HeaderList(headers))
                    {
                        session.Headers[h.Key] = h.Value;
                    }

                    break;
            }

            if (Property(source, "Credentials") is NetworkCredential credential && credential.UserName.Length > 0)
            {
                session.Credentials = credential;
            }

            session.Proxy = ProxyOf(Property(source, "Proxy"));
            if (Property(source, "Certificates") is X509CertificateCollection certificates)
            {
                session.Certificates.AddRange(certificates);
            }

            return session;
        }

        /// <summary>
        /// The session's proxy as a FetchProxy, read through <see cref="IWebProxy"/> alone (GetProxy, IsBypassed,
        /// Credentials), so any proxy object works: Windows PowerShell's System.Net.WebProxy, PowerShell 7.4+'s
        /// Microsoft.PowerShell.Commands.WebProxy (which has no Address), one set by hand. It is asked which proxy an
        /// http and an https destination go through, and whether loopback destinations are bypassed (7.4+ bypasses
        /// them, as the FetchProxy then does); its credentials for that proxy go along. Null for none, one that sends
        /// both destinations direct (a system proxy with nothing set: the command decides), or one whose proxy is not an
        /// http:// URI. Other bypass rules of the object (a WebProxy's BypassList) are not carried.
        /// </summary>
        private static FetchProxy? ProxyOf(object? proxy)
        {
            if (!(proxy is IWebProxy webProxy))
            {
                return null;
            }

            Uri? http = ProxyFor(webProxy, new Uri("http://asyncfetch.invalid/"));
            Uri? https = ProxyFor(webProxy, new Uri("https://asyncfetch.invalid/"));
            if (http == null && https == null)
            {
                return null;
            }

            var result = new FetchProxy { HttpProxy = http, HttpsProxy = https, Credential = CredentialFor(webProxy, (http ?? https)!) };
            foreach (KeyValuePair<string, string> loopback in LoopbackProbes)
            {
                if (Bypassed(webProxy, new Uri(loopback.Key)))
                {
                    result.Bypass.Add(loopback.Value);
                }
            }

            return result;
        }

        /// <summary>The http:// proxy <paramref name="destination"/> goes through; null: direct, or a proxy AsyncFetch cannot use.</summary>
        private static Uri? ProxyFor(IWebProxy proxy, Uri destination)
        {
            if (Bypassed(proxy, destination))
            {
                return null;
            }

            Uri? through;
            try
            {
                through = proxy.GetProxy(destination);
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                return null; // a proxy object that cannot answer (a system proxy's script failed...) sets nothing
            }

            if (through == null || !through.IsAbsoluteUri || through == destination)
            {
                return null; // GetProxy answers the destination itself for "direct"
            }

            return FetchProxy.TryParseProxyUri(through.OriginalString, out Uri? uri, out _) ? uri : null;
        }

        private static bool Bypassed(IWebProxy proxy, Uri destination)
        {
            try
            {
                return proxy.IsBypassed(destination);
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                return false;
            }
        }

        /// <summary>
        /// The proxy's credentials for <paramref name="proxyUri"/> as a user name and password; null for none, or for
        /// the process's default credentials (-ProxyUseDefaultCredentials: no user name to send as Basic).
        /// </summary>
        private static NetworkCredential? CredentialFor(IWebProxy proxy, Uri proxyUri)
        {
            try
            {
                NetworkCredential? credential = proxy.Credentials?.GetCredential(proxyUri, "Basic");
                return credential != null && !string.IsNullOrEmpty(credential.UserName) ? credential : null;
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                return null;
            }
        }

        private static object? Property(PSObject source, string name)
        {
            try
            {
                return Unwrap(source.Properties[name]?.Value);
            }
            catch (GetValueException)
            {
                return null;
            }
        }

        private static object? Unwrap(object? value) => value is PSObject p ? p.BaseObject : value;
    }
}
