using System.Collections;
using System.Management.Automation;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>New-FetchRequest's uploads and operation timeout, with the meanings of Invoke-AsyncFetch's (FetchCommandBase.Uploads.cs).</summary>
    public sealed partial class NewFetchRequestCommand
    {
        private FetchRequestBody? _content;

        /// <summary>A file sent as the request body, read from disk while it is sent.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? InFile { get; set; }

        /// <summary>A multipart/form-data body, as Invoke-WebRequest -Form (FileInfo values are file parts).</summary>
        [Parameter]
        [ValidateNotNull]
        public IDictionary? Form { get; set; }

        /// <summary>Seconds the response may go without new bytes before the attempt fails as a timeout; 0 (the default): the fetching command's.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int OperationTimeoutSeconds { get; set; }

        private FetchRequestBody? BuildContent() => UploadBody.ForCommand(this, Body, InFile, Form);
    }
}
