using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>Invoke-AsyncFetch -Follow: the crawl run on the pipeline thread, which also runs a script block -Follow.</summary>
    public sealed partial class InvokeAsyncFetchCommand
    {
        private CrawlRun? _crawl;

        /// <summary>Sets up the crawl of -Follow (after the defaults and the recorder exist).</summary>
        private void OpenCrawl()
        {
            CheckCrawlParameters();
            if (!IsCrawl)
            {
                return;
            }

            ScriptBlock? script = FollowScript;
            Func<FetchResult, IEnumerable<string>?>? follow = script == null ? null : result => RunFollow(script, result);
            _crawl = OpenCrawlRun(_defaults, follow);
            if (_verbose && _crawl.ResumeDescription != null)
            {
                WriteVerbose(_crawl.ResumeDescription);
            }
        }

        /// <summary>A script block -Follow for one page: what it returns, or nothing (and an error) when it throws.</summary>
        private IEnumerable<string>? RunFollow(ScriptBlock script, FetchResult result)
        {
            Collection<PSObject> output;
            try
            {
                output = script.InvokeWithContext(null, new List<PSVariable> { new PSVariable("_", result) }, result);
            }
            catch (RuntimeException e) when (!(e is PipelineStoppedException) && !(e is ActionPreferenceStopException))
            {
                string message = string.Format(CultureInfo.CurrentCulture, Strings.FollowFailed, result.RequestedUri, e.Message);
                WriteError(new ErrorRecord(new FetchException(message, e, result), ErrorIds.FollowFailed, ErrorCategory.InvalidResult, result));
                return null;
            }

            return new List<string>(UrlsOf(output));
        }

        /// <summary>Hands the crawl's requests to the batch while it has room (no-op outside a crawl).</summary>
        private void FeedCrawl()
        {
            if (_crawl?.Feed(_batch!, _recorder!, IncludeSkipped.IsPresent) is ErrorRecord error)
            {
                WriteError(error); // the crawl state could not be saved beside the journal; the crawl goes on
            }
        }

        /// <summary>True while a crawl still has URLs of its own to send.</summary>
        private bool CrawlBusy => _crawl != null && !_crawl.IsIdle;

        /// <summary>At the end of the run: the crawl's state saved beside the journal, and its figures for -Verbose.</summary>
        private void CloseCrawl()
        {
            if (_crawl == null)
            {
                return;
            }

            if (_crawl.SaveIfDue(force: true) is ErrorRecord error)
            {
                WriteError(error);
            }

            if (_verbose)
            {
                WriteVerbose(_crawl.Describe());
            }
        }
    }
}
