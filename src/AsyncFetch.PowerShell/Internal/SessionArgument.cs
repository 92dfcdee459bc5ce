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
    /// Credentials, Proxy, Certificates) turned into a FetchSession that shares its cookie jar and header dictionary, so
    /// cookies either command receives are seen by the other. Its other values are copied: a -UserAgent, -Credential or
    /// -Proxy that AsyncFetch stores goes into the FetchSession, not back into the WebRequestSession.
    /// Runs on the pipeline thread, while parameters are bound.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class SessionArgumentAttribute : ArgumentTransformationAttribute
    {
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

        /// <summary>A WebProxy's address and credentials as a FetchProxy; null for none, or one that is not a fixed address (a system proxy).</summary>
        private static FetchProxy? ProxyOf(object? proxy)
        {
            if (!(proxy is IWebProxy webProxy) || !(Property(PSObject.AsPSObject(proxy), "Address") is Uri address)
                || !FetchProxy.TryParseProxyUri(address.OriginalString, out Uri? uri, out _))
            {
                return null;
            }

            return new FetchProxy(uri!) { Credential = webProxy.Credentials as NetworkCredential };
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
