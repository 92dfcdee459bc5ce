using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// Sessions and cookies, with Invoke-WebRequest's names and meanings: -SessionVariable creates a
    /// <see cref="FetchSession"/>, -WebSession uses one (or an Invoke-WebRequest WebRequestSession). The command's
    /// -Headers, -UserAgent, -Credential (without -Authentication), -Proxy and -Certificate are stored in the session,
    /// and the session fills in what the command does not give. Every request of the command shares the session's
    /// cookie jar; without a session the command has a jar of its own, so cookies set by a response apply to the
    /// redirects of its request and to the command's later requests, as in Invoke-WebRequest (which makes a session per
    /// call). Runs on the pipeline thread, once per command, while the defaults are built.
    /// </summary>
    public abstract partial class FetchCommandBase
    {
        private FetchSession? _session;

        /// <summary>
        /// A session from an earlier command's -SessionVariable (or an Invoke-WebRequest WebRequestSession): its cookies,
        /// headers, user agent, credentials, proxy and certificates are used, and what this command receives or is given
        /// is stored back in it.
        /// </summary>
        [Parameter]
        [ValidateNotNull]
        [SessionArgument]
        public FetchSession? WebSession { get; set; }

        /// <summary>The name of a variable (without $) that gets a new session for this and later commands (-WebSession).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [Alias("SV")]
        public string? SessionVariable { get; set; }

        /// <summary>
        /// A file that keeps the session between runs of a script: read when the command starts, if it exists, and
        /// written when the run ends (the cookies, headers and user agent; see <see cref="FetchSession.Save"/>).
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? SessionPath { get; set; }

        /// <summary>Where the session is saved when the run ends; null without -SessionPath.</summary>
        private protected SessionFile? SessionFileToSave { get; private set; }

        /// <summary>The session's proxy when the command gives neither -Proxy nor -NoProxy; null: the command decides (BuildProxy).</summary>
        private FetchProxy? SessionProxy() => Proxy == null && !NoProxy.IsPresent ? _session?.Proxy : null;

        /// <summary>Resolves -WebSession / -SessionVariable (setting the variable in the caller's scope); a terminating error when both are given.</summary>
        private void OpenSession()
        {
            if (WebSession != null && SessionVariable != null)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException(Strings.SessionConflict), ErrorIds.SessionConflict, ErrorCategory.InvalidArgument, SessionVariable));
            }

            if (WebSession != null && SessionPath != null)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException(Strings.SessionPathConflict), ErrorIds.SessionConflict, ErrorCategory.InvalidArgument, SessionPath));
            }

            _session = WebSession;
            if (SessionPath != null)
            {
                string path = OutputPaths.ToFileSystemPath(this, SessionPath);
                try
                {
                    _session = System.IO.File.Exists(path) ? FetchSession.Load(path) : new FetchSession();
                }
                catch (Exception e) when (e is System.IO.IOException || e is System.IO.InvalidDataException || e is UnauthorizedAccessException || e is System.Xml.XmlException || e is FormatException || e is CookieException)
                {
                    ThrowTerminatingError(new ErrorRecord(new System.IO.InvalidDataException(string.Format(System.Globalization.CultureInfo.CurrentCulture, Strings.SessionLoadFailed, path, e.Message), e), ErrorIds.SessionLoadFailed, ErrorCategory.ReadError, SessionPath));
                }

                SessionFileToSave = new SessionFile(_session!, path);
            }

            if (SessionVariable != null)
            {
                _session ??= new FetchSession();
                SessionState.PSVariable.Set(SessionVariable.TrimStart('$'), _session);
            }
        }

        /// <summary>Stores the command's values in the session and fills the defaults from it; without a session, a jar for this command alone.</summary>
        private RequestDefaults UseSession(RequestDefaults defaults)
        {
            FetchSession? session = _session;
            if (session == null)
            {
                defaults.Cookies = new CookieContainer();
                return defaults;
            }

            defaults.Cookies = session.Cookies;
            var named = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (KeyValuePair<string, string> h in defaults.Headers)
            {
                named.Add(h.Key);
                session.Headers[h.Key] = h.Value;
            }

            foreach (KeyValuePair<string, string> h in session.Headers)
            {
                if (named.Add(h.Key))
                {
                    defaults.Headers.Add(h);
                }
            }

            if (UserAgent != null)
            {
                session.UserAgent = UserAgent;
            }

            defaults.UserAgent ??= session.UserAgent;
            if (Credential != null && Authentication == FetchAuthentication.None)
            {
                session.Credentials = Credential.GetNetworkCredential();
            }

            if (defaults.Credential == null && session.Credentials is NetworkCredential credential)
            {
                defaults.Credential = FetchCredential.OnChallenge(credential);
            }

            if (Proxy != null)
            {
                session.Proxy = defaults.Proxy;
            }

            if (Certificate != null && !session.Certificates.Contains(Certificate))
            {
                session.Certificates.Add(Certificate);
            }

            if (defaults.ClientCertificates == null && session.Certificates.Count > 0)
            {
                defaults.ClientCertificates = new X509CertificateCollection(session.Certificates);
            }

            return defaults;
        }
    }
}
