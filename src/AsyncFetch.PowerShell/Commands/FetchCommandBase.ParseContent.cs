using System.Management.Automation;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>-ParseContent: Invoke-RestMethod's parsed bodies on the results (Output/ContentParser.cs).</summary>
    public abstract partial class FetchCommandBase
    {
        /// <summary>
        /// Give every result a ParsedContent property: for a response, what Invoke-RestMethod returns for it (an
        /// object from JSON, an XmlDocument from XML, the item nodes of an RSS or Atom feed, else the text), converted
        /// by the running PowerShell's own JSON reader; $null for a failure or a body not kept in memory. A body that
        /// is not the JSON or XML its Content-Type declares writes an AsyncFetch.ParseError error (2xx and 3xx only);
        /// the result is still written.
        /// </summary>
        [Parameter]
        public SwitchParameter ParseContent { get; set; }
    }
}
