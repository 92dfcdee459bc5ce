using System;
using System.Collections;
using System.Management.Automation;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// New-FetchRequest: builds a request with its own method, headers, body and tag, to pipe into
    /// Invoke-AsyncFetch or Start-FetchJob. Takes URLs by value or by property name (Uri, Url, Link), so CSV rows
    /// work; the input object becomes the request's Tag unless -Tag is given, and comes back as the result's Input.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "FetchRequest", HelpUri = "https://github.com/AsyncFetch/AsyncFetch/blob/main/docs/en-US/New-FetchRequest.md")]
    [OutputType(typeof(FetchRequest))]
    public sealed class NewFetchRequestCommand : PSCmdlet
    {
        /// <summary>The URL of the request.</summary>
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

        /// <summary>A string (UTF-8), a byte array, or a hashtable (a urlencoded form).</summary>
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

        /// <summary>Anything to carry to the result (as its Input); by default the pipeline input object.</summary>
        [Parameter]
        public object? Tag { get; set; }

        /// <summary>The pipeline input object, kept as the Tag.</summary>
        [Parameter(ValueFromPipeline = true, DontShow = true)]
        public PSObject? InputObject { get; set; }

        protected override void ProcessRecord()
        {
            string? contentType = ContentType;
            byte[]? body;
            try
            {
                body = RequestBuilder.BodyBytes(Body, ref contentType);
            }
            catch (ArgumentException e)
            {
                ThrowTerminatingError(new ErrorRecord(e, ErrorIds.UnsupportedBody, ErrorCategory.InvalidArgument, Body));
                return;
            }

            var request = new FetchRequest(Uri.Trim())
            {
                Body = body,
                ContentType = contentType,
                UserAgent = UserAgent,
                Tag = MyInvocation.BoundParameters.ContainsKey(nameof(Tag)) ? Tag : (object?)InputObject ?? Uri,
            };
            if (MyInvocation.BoundParameters.ContainsKey(nameof(Method)))
            {
                request.Method = Method.ToUpperInvariant(); // unset: the fetching command's -Method applies
            }

            if (TimeoutSec > 0)
            {
                request.Timeout = TimeSpan.FromSeconds(TimeoutSec);
            }

            foreach (var header in RequestBuilder.HeaderList(Headers))
            {
                request.Headers.Add(header);
            }

            WriteObject(request);
        }
    }
}
