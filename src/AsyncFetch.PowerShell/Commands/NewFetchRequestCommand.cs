using System;
using System.Collections;
using System.Management.Automation;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// New-FetchRequest: builds a request with its own method, headers, body and tag, to pipe into
    /// Invoke-AsyncFetch or Start-FetchJob. Takes URLs by value or by property name (Uri, Url, Link), so CSV rows
    /// work; the input object becomes the request's Tag unless -Tag is given, and comes back as the result's Input.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "FetchRequest", HelpUri = "https://github.com/AsyncFetch/AsyncFetch/blob/main/docs/en-US/New-FetchRequest.md")]
    [OutputType(typeof(FetchRequest))]
    public sealed partial class NewFetchRequestCommand : PSCmdlet
    {
        /// <summary>The URL of the request; one without a scheme (example.com/x, 127.0.0.1:8080/x) gets http://, as with Invoke-WebRequest.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Url", "Link")]
        [ValidateNotNullOrEmpty]
        public string Uri { get; set; } = string.Empty;

        /// <summary>The HTTP method. When not given, the -Method of the fetching command applies (GET by default).</summary>
        [Parameter(Position = 1)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(FetchCommandBase.MethodCompleter))]
        public string Method { get; set; } = "GET";

        /// <summary>Header fields of this request.</summary>
        [Parameter]
        public IDictionary? Headers { get; set; }

        /// <summary>A string (in the charset of the Content-Type, UTF-8 without one), a byte array, an XML document, a hashtable (a urlencoded form; a GET sends it in the URL's query), or a collection (joined with $OFS); with a JSON -ContentType, objects as JSON.</summary>
        [Parameter]
        public object? Body { get; set; }

        /// <summary>The Content-Type of the body.</summary>
        [Parameter]
        public string? ContentType { get; set; }

        /// <summary>The User-Agent header.</summary>
        [Parameter]
        public string? UserAgent { get; set; }

        /// <summary>Seconds one attempt may take (unset: the fetching command's -TimeoutSec).</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int TimeoutSec { get; set; }

        /// <summary>
        /// Write the body of a successful (2xx) response to exactly this file instead of memory. Its directory must
        /// exist; an existing file makes the request fail with ErrorKind File unless -Force. A relative path is
        /// relative to the current location when New-FetchRequest runs. Wins over the fetching command's -OutDirectory.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? OutFile { get; set; }

        /// <summary>Replace an existing output file (-OutFile, or a name taken in the fetching command's -OutDirectory).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>https: accept any server certificate for this request (not set: the fetching command's -SkipCertificateCheck).</summary>
        [Parameter]
        public SwitchParameter SkipCertificateCheck { get; set; }

        /// <summary>Redirects this request follows at most; 0 returns the 3xx response itself (not set: the fetching command's -MaximumRedirection).</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaximumRedirection { get; set; }

        /// <summary>Retries of this request after a transient failure (not set: the fetching command's -MaximumRetryCount).</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaximumRetryCount { get; set; }

        /// <summary>Seconds before this request's first retry (not set: the fetching command's -RetryIntervalSec).</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int RetryIntervalSec { get; set; }

        /// <summary>
        /// The user name and password for this request's server (not set: the fetching command's -Credential). With
        /// -Authentication Basic they go with the request; without it only when the server asks (a 401 offering Basic).
        /// </summary>
        [Parameter]
        [ValidateNotNull]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>How this request's credentials are sent: None (default), Basic (-Credential), Bearer or OAuth (-Token).</summary>
        [Parameter]
        public FetchAuthentication Authentication { get; set; }

        /// <summary>The token of this request, sent as "Authorization: Bearer token" with -Authentication Bearer or OAuth.</summary>
        [Parameter]
        [ValidateNotNull]
        public System.Security.SecureString? Token { get; set; }

        /// <summary>Send this request's credentials over plain http too (not set: the fetching command's -AllowUnencryptedAuthentication).</summary>
        [Parameter]
        public SwitchParameter AllowUnencryptedAuthentication { get; set; }

        /// <summary>Anything to carry to the result (as its Input); by default the pipeline input object.</summary>
        [Parameter]
        public object? Tag { get; set; }

        /// <summary>The pipeline input object (a URL string or an object with a Uri, Url or Link property), kept as the Tag unless -Tag is given.</summary>
        [Parameter(ValueFromPipeline = true)]
        public PSObject? InputObject { get; set; }

        private string? _outFile;
        private FetchCredential? _credential;
        private bool _credentialBuilt;

        private bool IsBound(string name) => MyInvocation.BoundParameters.ContainsKey(name);

        protected override void ProcessRecord()
        {
            byte[]? body;
            FetchRequestBody? content = _content ??= BuildContent(); // once: the same body for every input (NewFetchRequestCommand.Uploads.cs)
            try
            {
                body = content == null ? RequestBody.ToBytes(this, Body, ContentType, Headers) : null;
            }
            catch (ArgumentException e)
            {
                ThrowTerminatingError(new ErrorRecord(e, ErrorIds.UnsupportedBody, ErrorCategory.InvalidArgument, Body));
                return;
            }

            FetchRequest request = RequestBuilder.ForUrl(Uri.Trim()); // without a scheme: http://, as Invoke-WebRequest
            request.Body = body;
            request.Content = content;
            if (OperationTimeoutSeconds > 0)
            {
                request.OperationTimeout = TimeSpan.FromSeconds(OperationTimeoutSeconds);
            }
            request.ContentType = ContentType;
            request.UserAgent = UserAgent;
            request.Tag = MyInvocation.BoundParameters.ContainsKey(nameof(Tag)) ? Tag : (object?)InputObject ?? Uri;
            if (MyInvocation.BoundParameters.ContainsKey(nameof(Method)))
            {
                request.Method = Method.ToUpperInvariant(); // unset: the fetching command's -Method applies
            }

            if (TimeoutSec > 0)
            {
                request.Timeout = TimeSpan.FromSeconds(TimeoutSec);
            }

            // Set only what was given: the rest stays null, and the fetching command fills it in.
            if (OutFile != null)
            {
                _outFile ??= OutputPaths.Resolve(this, OutFile); // once: the same file for every input
                request.OutFile = _outFile;
            }

            request.Force = Force.IsPresent;
            if (IsBound(nameof(SkipCertificateCheck)))
            {
                request.SkipCertificateCheck = SkipCertificateCheck.IsPresent;
            }

            if (IsBound(nameof(MaximumRedirection)))
            {
                request.MaximumRedirection = MaximumRedirection;
            }

            if (IsBound(nameof(MaximumRetryCount)))
            {
                request.MaximumRetryCount = MaximumRetryCount;
            }

            if (IsBound(nameof(RetryIntervalSec)))
            {
                request.RetryInterval = TimeSpan.FromSeconds(RetryIntervalSec);
            }

            if (!_credentialBuilt)
            {
                _credential = CredentialBuilder.Build(this, Credential, Authentication, Token); // once: the same for every input
                _credentialBuilt = true;
            }

            request.Credential = _credential;
            if (IsBound(nameof(AllowUnencryptedAuthentication)))
            {
                request.AllowUnencryptedAuthentication = AllowUnencryptedAuthentication.IsPresent;
            }

            foreach (var header in RequestBuilder.HeaderList(Headers))
            {
                request.Headers.Add(header);
            }

            UseSession(request); // NewFetchRequestCommand.Session.cs
            if (request.IsMethodSet)
            {
                // A GET sends a hashtable -Body in its URL's query. Without -Method, the sending command's decides.
                request = RequestBody.FormInQuery(request);
            }

            WriteObject(request);
        }
    }
}
