using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// New-FetchRequest -WebSession: one request that uses a session (a FetchSession or an Invoke-WebRequest
    /// WebRequestSession): its cookie jar (cookies the response sets go back into it), and its headers, user agent,
    /// credentials, proxy and client certificates where the request gives none. The fetching command's own session or
    /// defaults fill in only what is still unset. Pipeline thread.
    /// </summary>
    public sealed partial class NewFetchRequestCommand
    {
        /// <summary>A session whose cookie jar, headers, user agent, credentials, proxy and certificates this request uses.</summary>
        [Parameter]
        [ValidateNotNull]
        [SessionArgument]
        public FetchSession? WebSession { get; set; }

        private void UseSession(FetchRequest request)
        {
            FetchSession? session = WebSession;
            if (session == null)
            {
                return;
            }

            request.CookieContainer = session.Cookies;
            var named = new HashSet<string>(System.StringComparer.OrdinalIgnoreCase);
            foreach (KeyValuePair<string, string> h in request.Headers)
            {
                named.Add(h.Key);
            }

            foreach (KeyValuePair<string, string> h in session.Headers)
            {
                if (named.Add(h.Key))
                {
                    request.Headers.Add(h);
                }
            }

            request.UserAgent ??= session.UserAgent;
            if (request.Credential == null && session.Credentials is NetworkCredential credential)
            {
                request.Credential = FetchCredential.OnChallenge(credential);
            }

            request.Proxy ??= session.Proxy;
            if (request.ClientCertificates == null && session.Certificates.Count > 0)
            {
                request.ClientCertificates = new X509CertificateCollection(session.Certificates);
            }
        }
    }
}
