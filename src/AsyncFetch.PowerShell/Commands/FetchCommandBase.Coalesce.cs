using System.Management.Automation;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// -CoalesceRequests: identical GETs of one call (or job) that are in flight at the same time share one request,
    /// the engine's FetchBatchOptions.CoalesceIdenticalGets. Invoke-WebRequest has nothing like it: it sends one request
    /// at a time.
    /// </summary>
    public abstract partial class FetchCommandBase
    {
        /// <summary>
        /// Identical GET requests in flight at the same time share one request: a GET for a URL that is already being
        /// fetched (the same URL once normalized, the same headers and settings) waits for that response instead of
        /// sending its own. Each input still gets its own result (its own Input; the same status, headers, body or
        /// error), with Coalesced set on those that shared. A GET sent after the first has finished is sent again.
        /// </summary>
        [Parameter]
        public SwitchParameter CoalesceRequests { get; set; }
    }
}
