using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Management.Automation;
using AsyncFetch.Engine.Batch;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// A crawl as Invoke-AsyncFetch and Start-FetchJob run it (-Follow): start URLs from the input go to the
    /// <see cref="FetchCrawl"/>, which hands requests to the batch while it has room; every result goes through the
    /// crawl (its links become requests) before it is written. With a journal, the crawl's seen-set and open URLs are
    /// saved beside it (journal path + ".crawl") every few seconds and when the run ends, and -Resume takes them up.
    /// One thread: the one that takes the results (the pipeline thread, or the job's pump).
    /// </summary>
    internal sealed class CrawlRun
    {
        private static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(5);

        private readonly FetchCrawl _crawl;
        private readonly string? _statePath;
        private readonly bool _dropBodies;
        private readonly Stopwatch _sinceSave = Stopwatch.StartNew();

        public CrawlRun(FetchCrawl crawl, string? statePath, bool dropBodies)
        {
            _crawl = crawl;
            _statePath = statePath;
            _dropBodies = dropBodies;
        }

        public FetchCrawl Crawl => _crawl;

        /// <summary>A description of what a resumed crawl took up, for -Verbose; null when nothing was resumed.</summary>
        public string? ResumeDescription { get; private set; }

        /// <summary>Takes up the state a stopped run saved, if there is one (before any start URL).</summary>
        public void Resume()
        {
            if (_statePath == null || !File.Exists(_statePath))
            {
                return;
            }

            using (var stream = new FileStream(_statePath, FileMode.Open, FileAccess.Read, FileShare.Read))
            {
                _crawl.LoadState(stream);
            }

            ResumeDescription = $"Resuming the crawl from {_statePath}: {_crawl.SeenUrls} URLs seen, {_crawl.Waiting} still to fetch.";
        }

        /// <summary>A start URL from the input (a duplicate is dropped).</summary>
        public void AddStart(FetchRequest request) => _crawl.AddStart(request);

        /// <summary>Gives a result to the crawl; true when it is to be written (robots.txt files are not).</summary>
        public bool Take(FetchResult result)
        {
            bool write = _crawl.TakeResult(result);
            if (_dropBodies && write)
            {
                FetchCrawl.DropBody(result); // -NoContent: the body was kept only for its links
            }

            return write;
        }

        /// <summary>Hands the crawl's next requests to the batch while it has room; saves the state when due and returns the error to write when that fails.</summary>
        public ErrorRecord? Feed(FetchBatch batch, RunRecorder recorder, bool includeSkipped)
        {
            while (batch.CanSubmit && _crawl.TryNext(out FetchRequest request))
            {
                if (_crawl.IsControl(request))
                {
                    batch.TrySubmit(request);
                    continue;
                }

                Admission admission = recorder.Admit(RequestBuilder.Outcome.Request, request, includeSkipped, resumable: false);
                if (admission.Immediate != null)
                {
                    batch.TryAddCompleted(admission.Immediate);
                }
                else if (admission.Request != null)
                {
                    batch.TrySubmit(admission.Request);
                }
            }

            return SaveIfDue(force: false);
        }

        /// <summary>True when the crawl has nothing more to send (with the batch drained, the run is over).</summary>
        public bool IsIdle => _crawl.IsIdle;

        /// <summary>The longest wait before the next <see cref="Feed"/> (a crawl delay may free a URL sooner than a result comes).</summary>
        public TimeSpan WaitHint(TimeSpan usual)
        {
            TimeSpan? delay = _crawl.NextDelay(DateTime.UtcNow);
            return delay != null && delay.Value < usual ? (delay.Value < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : delay.Value) : usual;
        }

        /// <summary>Saves the crawl state beside the journal every few seconds, or now when <paramref name="force"/>; the error to write when it cannot.</summary>
        public ErrorRecord? SaveIfDue(bool force)
        {
            if (_statePath == null || (!force && _sinceSave.Elapsed < SaveInterval))
            {
                return null;
            }

            _sinceSave.Restart();
            string temporary = _statePath + ".tmp";
            try
            {
                using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    _crawl.SaveState(stream);
                }

                SessionStore.Replace(temporary, _statePath);
                return null;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return new ErrorRecord(e, ErrorIds.JournalFailed, ErrorCategory.WriteError, _statePath);
            }
        }

        /// <summary>The "seen" and "found" figures of a crawl, for -Verbose at the end.</summary>
        public string Describe() =>
            $"Crawl: {_crawl.Requested} URLs requested, {_crawl.LinksFound} links found, {_crawl.Duplicates} already seen, {_crawl.CanonicalDuplicates} pages whose canonical URL was seen, "
            + $"{_crawl.OutOfScope} out of scope, {_crawl.Disallowed} disallowed by robots.txt ({_crawl.RobotsFetched} fetched); "
            + $"{_crawl.SeenUrls} distinct URLs in a seen-set of {_crawl.SeenBytes / 1024} KiB.";
    }
}
