using System.Globalization;
using System.IO;
using System.Management.Automation;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// -OutFile and -PassThru as Invoke-WebRequest has them, for one URL: the body of a successful response goes to
    /// that file (replacing it) or, for an existing folder, to a file in it named from the response; nothing is
    /// written out unless -PassThru. -OutFile names one file, so a second URL is a terminating error: before anything
    /// is sent when the URLs come through -Uri, at the second URL when they come from the pipeline (which cancels
    /// the first if it is still in flight).
    /// </summary>
    public sealed partial class InvokeAsyncFetchCommand
    {
        private long _outFileInputs;

        /// <summary>
        /// Write the body of the response (a successful, 2xx one) to this file, replacing an existing file, instead
        /// of memory, as Invoke-WebRequest -OutFile does. For an existing folder, the file goes into it, named as
        /// -OutDirectory names files. Takes one URL. Without -PassThru nothing is written to the output.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? OutFile { get; set; }

        /// <summary>With -OutFile: write the result to the output as well.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>False with -OutFile and without -PassThru: the results are not written out (-OnComplete still runs).</summary>
        private bool WritesResults => OutFile == null || PassThru.IsPresent;

        /// <summary>Checks -OutFile and -PassThru (terminating errors) and puts the file into the request defaults.</summary>
        private void PrepareOutFile(RequestDefaults defaults)
        {
            if (OutFile == null)
            {
                if (PassThru.IsPresent)
                {
                    ThrowTerminatingError(new ErrorRecord(new System.ArgumentException(Strings.OutFileMissing), ErrorIds.OutFileMissing, ErrorCategory.InvalidArgument, null));
                }

                return;
            }

            if (OutDirectory != null)
            {
                ThrowTerminatingError(new ErrorRecord(new System.ArgumentException(Strings.OutFileConflict), ErrorIds.OutFileConflict, ErrorCategory.InvalidArgument, OutFile));
            }

            defaults.OutFile = OutputPaths.Resolve(this, OutFile);
            defaults.OutFileIsFolder = Directory.Exists(defaults.OutFile);
        }

        /// <summary>With -OutFile: a terminating error when this record's inputs make more than one URL in all.</summary>
        private void CountOutFileInputs()
        {
            if (OutFile == null)
            {
                return;
            }

            foreach (PSObject? input in Uri)
            {
                if (!RequestBuilder.GivesNothing(input) && ++_outFileInputs > 1)
                {
                    string message = string.Format(CultureInfo.CurrentCulture, Strings.OutFileNeedsOneUrl, FetchRedaction.Text(input?.ToString() ?? string.Empty));
                    ThrowTerminatingError(new ErrorRecord(new System.ArgumentException(message), ErrorIds.OutFileNeedsOneUrl, ErrorCategory.InvalidArgument, input));
                }
            }
        }
    }
}
