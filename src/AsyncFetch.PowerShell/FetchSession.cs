using System;
using System.Collections.Generic;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace AsyncFetch.PowerShell
{
    /// <summary>
    /// What Invoke-AsyncFetch and Start-FetchJob keep between commands, as Invoke-WebRequest's WebRequestSession does: a
    /// cookie jar, default headers, a user agent, credentials, a proxy and client certificates. -SessionVariable creates
    /// one, -WebSession uses one (a WebRequestSession from Invoke-WebRequest is accepted and read into one, sharing its
    /// cookie jar and header dictionary). The values a command is given (-Headers, -UserAgent, -Credential, -Proxy,
    /// -Certificate) are stored in it, so later commands send them too.
    ///
    /// Threads: a command reads and writes the session on its pipeline thread when it starts; after that only
    /// <see cref="Cookies"/> is used, by the engine's loop thread while requests run (a job's too), which relies on
    /// CookieContainer's own locking, as HttpClientHandler does. Change the other values between commands, not while a
    /// command that uses the session starts.
    /// </summary>
    public sealed class FetchSession
    {
        private CookieContainer _cookies = new CookieContainer();
        private Dictionary<string, string> _headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>
        /// The cookie jar: every response's Set-Cookie fields are stored in it and every request sends what applies to
        /// its URL (RFC 6265 as CookieContainer implements it).
        /// </summary>
        public CookieContainer Cookies
        {
            get => _cookies;
            set => _cookies = value ?? throw new ArgumentNullException(nameof(value));
        }

        /// <summary>Header fields sent with every request of a command using the session (a command's own -Headers of the same name win, and are stored here).</summary>
        public Dictionary<string, string> Headers
        {
            get => _headers;
            set => _headers = value ?? throw new ArgumentNullException(nameof(value));
        }

        /// <summary>The User-Agent sent when a command gives no -UserAgent; null: AsyncFetch's.</summary>
        public string? UserAgent { get; set; }

        /// <summary>
        /// Server credentials, sent as Basic to a server that asks for them (a 401 offering Basic), as a command's
        /// -Credential without -Authentication is. Only a <see cref="NetworkCredential"/> is used.
        /// </summary>
        public ICredentials? Credentials { get; set; }

        /// <summary>The proxy used when a command gives neither -Proxy nor -NoProxy (before the environment's); null: none set.</summary>
        public FetchProxy? Proxy { get; set; }

        /// <summary>Client certificates offered to https servers that ask for one, when a command gives no -Certificate.</summary>
        public X509CertificateCollection Certificates { get; } = new X509CertificateCollection();

        /// <summary>
        /// Writes the session to a file, so a later process (the next run of a scheduled script) can go on with it:
        /// the cookies (session cookies too; expired ones are dropped), the headers and the user agent. Credentials,
        /// the proxy and client certificates are not written. On Linux and macOS the file is readable by its owner
        /// only. The file is replaced whole (written beside it, then renamed). -SessionPath does this for a command.
        /// </summary>
        /// <param name="path">A file system path; relative paths are relative to the process's current directory.</param>
        public void Save(string path) => Internal.SessionStore.Save(this, path ?? throw new ArgumentNullException(nameof(path)));

        /// <summary>Reads a session written by <see cref="Save"/>.</summary>
        /// <param name="path">A file system path; relative paths are relative to the process's current directory.</param>
        public static FetchSession Load(string path) => Internal.SessionStore.Load(path ?? throw new ArgumentNullException(nameof(path)));

        /// <summary>A short description without any cookie, header value or password.</summary>
        public override string ToString() =>
            $"FetchSession ({_cookies.Count} cookie(s), {_headers.Count} header(s){(Credentials != null ? ", credentials" : string.Empty)}{(Proxy != null ? ", proxy " + Proxy : string.Empty)})";
    }
}
