using System.Management.Automation;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// HTTP error statuses as Invoke-WebRequest reports them: a 4xx or 5xx response is written out as a result and
    /// also as a non-terminating AsyncFetch.HttpError (Output/ResultWriter.cs applies the rule for the cmdlet and the
    /// job alike), so $?, -ErrorAction and -ErrorVariable see it; -SkipHttpErrorCheck turns that off.
    /// </summary>
    public abstract partial class FetchCommandBase
    {
        /// <summary>
        /// Do not write an error for a 4xx or 5xx response: it is then only a result whose Succeeded is $false, as
        /// with Invoke-WebRequest -SkipHttpErrorCheck. Failures that got no response are errors either way.
        /// </summary>
        [Parameter]
        public SwitchParameter SkipHttpErrorCheck { get; set; }

        /// <summary>Whether a 4xx or 5xx response writes an AsyncFetch.HttpError.</summary>
        private protected bool CheckHttpStatus => !SkipHttpErrorCheck.IsPresent;
    }
}
