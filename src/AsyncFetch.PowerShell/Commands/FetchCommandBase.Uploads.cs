using System;
using System.Collections;
using System.Management.Automation;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// Uploads and the operation timeout under Invoke-WebRequest 7.4's names: -InFile (a file sent as the body, read
    /// while it is sent), -Form (multipart/form-data), a -Body that is a file or a stream (UploadBody), and
    /// -OperationTimeoutSeconds (the longest wait for the next response bytes).
    /// </summary>
    public abstract partial class FetchCommandBase
    {
        /// <summary>A file sent as the request body of every request, read from disk while it is sent (never loaded whole).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? InFile { get; set; }

        /// <summary>
        /// A multipart/form-data body, as Invoke-WebRequest -Form: each key is a field; a FileInfo value (Get-Item) is
        /// a file part read while it is sent, a collection gives one field per item, any other value is sent as text.
        /// </summary>
        [Parameter]
        [ValidateNotNull]
        public IDictionary? Form { get; set; }

        /// <summary>
        /// Seconds the response may go without any new bytes (also the wait for its first byte once the request is
        /// sent): a server that stalls or trickles slower fails the attempt as a timeout. 0 (the default): no limit.
        /// </summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int OperationTimeoutSeconds { get; set; }

        /// <summary>The streamed body of -InFile, -Form or a file or stream -Body; null when the body (if any) goes as bytes.</summary>
        private protected FetchRequestBody? BuildContent() => UploadBody.ForCommand(this, Body, InFile, Form);

        /// <summary>-OperationTimeoutSeconds for the engine (zero: none).</summary>
        private protected TimeSpan? EngineOperationTimeout => OperationTimeoutSeconds > 0 ? TimeSpan.FromSeconds(OperationTimeoutSeconds) : (TimeSpan?)null;
    }
}
