using System;
using System.Collections;
using System.Management.Automation;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using AsyncFetch.PowerShell.Internal;
using AsyncFetch.Engine.Batch;
using AsyncFetch.Engine.Journal;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// The request parameters shared by Invoke-AsyncFetch and Start-FetchJob: one definition, so the two
    /// commands cannot drift apart. Names follow Invoke-WebRequest where it has the same thing.
    /// </summary>
    public abstract partial class FetchCommandBase : PSCmdlet
    {
        public const int DefaultThrottleLimit = 32;
        public const int DefaultTimeoutSec = 100;
        public const int DefaultConnectTimeoutSec = 15;
        public const int DefaultMaximumRedirection = 5;
        public const int DefaultRetryIntervalSec = 5;

        /// <summary>
        /// The URLs: strings, [uri], FetchRequest objects (New-FetchRequest), or any object with a Uri, Url or
        /// Link property (Import-Csv rows). Bound from the pipeline; blank lines, '#' comments and $null are skipped.
        /// A $null input binds the parameter itself to null (not to an array holding null): it is kept as no URLs.
        /// </summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Url", "Link")]
        [AllowNull]
        [AllowEmptyString]
        [AllowEmptyCollection]
        public PSObject?[] Uri
        {
            get => _uri;
            set => _uri = value ?? Array.Empty<PSObject?>();
        }

        private PSObject?[] _uri = Array.Empty<PSObject?>();

        /// <summary>The HTTP method for URL inputs (GET by default).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(MethodCompleter))]
        public string Method { get; set; } = "GET";

        /// <summary>Request header fields added to every request.</summary>
        [Parameter]
        [ValidateNotNull]
        public IDictionary? Headers { get; set; }

        /// <summary>
        /// A request body: a string (in the charset of the Content-Type, UTF-8 without one), a byte array, an XML
        /// document, a hashtable (a urlencoded form; a GET sends it in the URL's query), or a collection (joined with
        /// $OFS), as Invoke-WebRequest sends them. With a JSON -ContentType, objects and hashtables are sent as JSON
        /// (RequestBody.ToBytes).
        /// </summary>
        [Parameter]
        public object? Body { get; set; }

        /// <summary>The Content-Type of the body; a POST without one is sent as application/x-www-form-urlencoded, as by Invoke-WebRequest.</summary>
        [Parameter]
        public string? ContentType { get; set; }

        /// <summary>The User-Agent header (default AsyncFetch/&lt;version&gt;).</summary>
        [Parameter]
        public string? UserAgent { get; set; }

        /// <summary>
        /// Seconds one attempt may take from its start to the end of the response (default 100). Not Invoke-WebRequest's
        /// -TimeoutSec, which is an alias of its -ConnectionTimeoutSeconds and ends with the response headers.
        /// </summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int TimeoutSec { get; set; } = DefaultTimeoutSec;

        /// <summary>Requests in flight at once (default 32).</summary>
        [Parameter]
        [ValidateRange(1, 100000)]
        public int ThrottleLimit { get; set; } = DefaultThrottleLimit;

        /// <summary>Requests in flight at once to one host (default: the same as ThrottleLimit).</summary>
        [Parameter]
        [ValidateRange(0, 100000)]
        public int PerHostLimit { get; set; }

        /// <summary>Read the response bodies but do not keep them (ContentLength is still reported).</summary>
        [Parameter]
        public SwitchParameter NoContent { get; set; }

        /// <summary>
        /// https: accept any server certificate (self-signed, expired, for another name) instead of failing with
        /// ErrorKind Tls. Connections made this way are never shared with requests that check certificates.
        /// </summary>
        [Parameter]
        public SwitchParameter SkipCertificateCheck { get; set; }

        /// <summary>https: a client certificate (with its private key) to offer when a server asks for one.</summary>
        [Parameter]
        [ValidateNotNull]
        public X509Certificate? Certificate { get; set; }

        /// <summary>
        /// Redirects (301, 302, 303, 307, 308) followed at most (default 5); 0 returns the 3xx response itself. One
        /// more fails the request with ErrorKind Redirect. The result's Uri is where the response came from.
        /// </summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaximumRedirection { get; set; } = DefaultMaximumRedirection;

        /// <summary>Keep the Authorization, Cookie and Proxy-Authorization headers when a redirect leads to another scheme, host or port (dropped by default).</summary>
        [Parameter]
        public SwitchParameter PreserveAuthorizationOnRedirect { get; set; }

        /// <summary>Follow a redirect from https to http (by default such a redirect fails with ErrorKind Redirect).</summary>
        [Parameter]
        public SwitchParameter AllowInsecureRedirect { get; set; }

        /// <summary>
        /// Retries after a transient failure (connect failure, timeout, lost connection) or a 408, 429, 500, 502, 503
        /// or 504 response (default 0). Methods other than GET, HEAD, PUT, DELETE, OPTIONS and TRACE are retried only
        /// when nothing of the request was sent. The result's Attempts counts them.
        /// </summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaximumRetryCount { get; set; }

        /// <summary>
        /// Seconds before the first retry (default 5); each further retry waits twice as long, with some jitter,
        /// at most 120 s. A Retry-After header on a 429 or 503 response takes its place.
        /// </summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int RetryIntervalSec { get; set; } = DefaultRetryIntervalSec;

        /// <summary>Requests started per second in the whole run, evenly spaced (default 0: no limit).</summary>
        [Parameter]
        [ValidateRange(0.0, 1e6)]
        public double RateLimit { get; set; }

        /// <summary>Requests started per second to one host, evenly spaced (default 0: no limit).</summary>
        [Parameter]
        [ValidateRange(0.0, 1e6)]
        public double PerHostRateLimit { get; set; }

        /// <summary>
        /// Write the body of each successful (2xx) response to a file in this directory instead of memory (the
        /// result's OutFile names it). The file name comes from Content-Disposition or the URL, made safe; a name
        /// already taken gets " (1)", " (2)" ... unless -Force. The directory is created when missing; a relative
        /// path is relative to the current location.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? OutDirectory { get; set; }

        /// <summary>With -OutDirectory (or a request's -OutFile): replace existing files instead of adding a suffix or failing.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>
        /// The proxy for http and https targets, an http:// URI ("http://proxy:3128"; "proxy:3128" is taken as http://).
        /// https goes through a CONNECT tunnel. Credentials may be in the URI or given with -ProxyCredential. Without
        /// it, the HTTP_PROXY / HTTPS_PROXY / ALL_PROXY and NO_PROXY environment variables apply (unless -NoProxy).
        /// </summary>
        [Parameter]
        [ValidateNotNull]
        public Uri? Proxy { get; set; }

        /// <summary>The user name and password for the proxy (Basic authentication); wins over credentials in the proxy URI.</summary>
        [Parameter]
        [ValidateNotNull]
        [Credential]
        public PSCredential? ProxyCredential { get; set; }

        /// <summary>Connect directly, ignoring the HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY environment variables.</summary>
        [Parameter]
        public SwitchParameter NoProxy { get; set; }

        /// <summary>
        /// A JSON Lines file that gets one line per finished request (appended, crash-safe), so an interrupted run
        /// can be resumed with -Resume.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? JournalPath { get; set; }

        /// <summary>Skip the inputs that the journal (-JournalPath) shows already succeeded; failed ones are tried again.</summary>
        [Parameter]
        public SwitchParameter Resume { get; set; }

        /// <summary>With -Resume, also output a result (ErrorKind Skipped, not an error) for each input that was skipped.</summary>
        [Parameter]
        public SwitchParameter IncludeSkipped { get; set; }

        /// <summary>Opens the journal and resume set; a path problem is a terminating error.</summary>
        private protected RunRecorder OpenRecorder()
        {
            if (Resume && JournalPath == null)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException("-Resume needs -JournalPath: the journal is what tells which inputs already succeeded."), ErrorIds.ResumeNeedsJournal, ErrorCategory.InvalidArgument, null));
            }

            try
            {
                string? path = JournalPath == null ? null : OutputPaths.ToFileSystemPath(this, JournalPath);
                return RunRecorder.Open(path, Resume.IsPresent);
            }
            catch (Exception e) when (e is System.IO.IOException || e is UnauthorizedAccessException || OutputPaths.IsPathProblem(e))
            {
                ThrowTerminatingError(new ErrorRecord(e, ErrorIds.JournalFailed, ErrorCategory.OpenError, JournalPath));
                throw; // not reached
            }
        }

        private protected RequestDefaults BuildDefaults()
        {
            OpenSession();
            byte[]? body = null;
            FetchRequestBody? content = BuildContent(); // FetchCommandBase.Uploads.cs
            try
            {
                body = content == null ? RequestBody.ToBytes(this, Body, ContentType, Headers) : null;
            }
            catch (ArgumentException e)
            {
                ThrowTerminatingError(new ErrorRecord(e, ErrorIds.UnsupportedBody, ErrorCategory.InvalidArgument, Body));
            }

            return UseSession(new RequestDefaults
            {
                Method = Method.ToUpperInvariant(),
                Headers = RequestBuilder.HeaderList(Headers),
                Body = body,
                Content = content,
                OperationTimeout = EngineOperationTimeout,
                ContentType = ContentType,
                UserAgent = UserAgent,
                Timeout = TimeSpan.FromSeconds(TimeoutSec),
                ConnectTimeout = EngineConnectTimeout,
                DiscardBody = NoContent.IsPresent,
                SkipCertificateCheck = SkipCertificateCheck.IsPresent ? true : (bool?)null,
                ClientCertificates = Certificate == null ? null : new X509CertificateCollection { Certificate },
                MaximumRedirection = MaximumRedirection,
                PreserveAuthorizationOnRedirect = PreserveAuthorizationOnRedirect.IsPresent ? true : (bool?)null,
                AllowInsecureRedirect = AllowInsecureRedirect.IsPresent ? true : (bool?)null,
                MaximumRetryCount = MaximumRetryCount,
                RetryInterval = TimeSpan.FromSeconds(RetryIntervalSec),
                OutDirectory = OutDirectory == null ? null : OutputPaths.Resolve(this, OutDirectory),
                Force = Force.IsPresent,
                Proxy = SessionProxy() ?? BuildProxy(),
                Location = CurrentFileSystemLocation(),
                Credential = BuildCredential(),
                AllowUnencryptedAuthentication = AllowUnencryptedAuthentication.IsPresent ? true : (bool?)null,
            });
        }

        /// <summary>The caller's file-system location, or null where there is none (a runspace without a file system drive).</summary>
        private string? CurrentFileSystemLocation()
        {
            try
            {
                return SessionState.Path.CurrentFileSystemLocation.Path;
            }
            catch (PSInvalidOperationException)
            {
                return null;
            }
        }

        /// <summary>
        /// The run's proxy setting: -NoProxy (direct), -Proxy, or the environment's (read once, here, on the calling
        /// thread; its unusable values become warnings). Null: no proxy anywhere. A bad -Proxy is a terminating error.
        /// </summary>
        private FetchProxy? BuildProxy()
        {
            if (NoProxy.IsPresent)
            {
                if (Proxy != null)
                {
                    ThrowTerminatingError(new ErrorRecord(new ArgumentException("-Proxy and -NoProxy cannot be used together."), ErrorIds.InvalidProxy, ErrorCategory.InvalidArgument, RedactedProxy));
                }

                if (ProxyCredential != null)
                {
                    ThrowTerminatingError(new ErrorRecord(new ArgumentException("-ProxyCredential and -NoProxy cannot be used together: with -NoProxy no proxy is used."), ErrorIds.InvalidProxy, ErrorCategory.InvalidArgument, ProxyCredential.UserName));
                }

                return FetchProxy.Direct;
            }

            NetworkCredential? credential = ProxyCredential?.GetNetworkCredential();
            if (Proxy != null)
            {
                if (!FetchProxy.TryParseProxyUri(Proxy.OriginalString, out Uri? uri, out string? error))
                {
                    ThrowTerminatingError(new ErrorRecord(new ArgumentException("-Proxy: " + error), ErrorIds.InvalidProxy, ErrorCategory.InvalidArgument, RedactedProxy));
                }

                return new FetchProxy(uri!) { Credential = credential };
            }

            FetchProxy? environment = FetchProxy.FromEnvironment();
            if (environment == null)
            {
                if (credential != null)
                {
                    WriteWarning("-ProxyCredential is not used: there is no -Proxy and no HTTP_PROXY, HTTPS_PROXY or ALL_PROXY variable, so requests go directly.");
                }

                return null;
            }

            foreach (string warning in environment.Warnings)
            {
                WriteWarning(warning);
            }

            if (credential != null)
            {
                environment.Credential = credential;
            }

            WriteVerbose("Proxy from the environment: " + environment);
            return environment;
        }

        /// <summary>-Proxy as an error's target: without the "user:password@" it may hold (the record is shown and kept in $Error).</summary>
        private string RedactedProxy => FetchProxy.Redact(Proxy!.OriginalString);

        private protected FetchBatchOptions BuildBatchOptions(bool ordered) => new FetchBatchOptions
        {
            MaxConcurrency = ThrottleLimit,
            PerHostLimit = IsCrawl && !MyInvocation.BoundParameters.ContainsKey(nameof(PerHostLimit)) ? Math.Min(CrawlPerHostLimit, ThrottleLimit) : PerHostLimit,
            RateLimit = RateLimit,
            PerHostRateLimit = PerHostRateLimit,
            Ordered = ordered,
            CoalesceIdenticalGets = CoalesceRequests.IsPresent || IsCrawl,
            PrepareResult = IsCrawl ? FetchCrawl.PrepareResult : null, // links parsed and normalized on the pool as pages complete
        };

        /// <summary>Offers the common HTTP methods for -Method.</summary>
        public sealed class MethodCompleter : IArgumentCompleter
        {
            private static readonly string[] Methods = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS" };

            public System.Collections.Generic.IEnumerable<System.Management.Automation.CompletionResult> CompleteArgument(
                string commandName, string parameterName, string wordToComplete, System.Management.Automation.Language.CommandAst commandAst, IDictionary fakeBoundParameters)
            {
                foreach (string m in Methods)
                {
                    if (m.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
                    {
                        yield return new System.Management.Automation.CompletionResult(m);
                    }
                }
            }
        }
    }
}
