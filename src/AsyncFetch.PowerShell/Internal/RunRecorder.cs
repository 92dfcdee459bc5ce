using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Batch;
using AsyncFetch.Engine.Journal;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// What a run keeps beside its output: the journal (-JournalPath), the resume set (-Resume) and the summary
    /// (-SummaryVariable, Receive-FetchJob -Summary). Used on the one thread that takes results.
    /// </summary>
    /// <summary>The decision <see cref="RunRecorder.Admit"/> makes about one input.</summary>
    internal readonly struct Admission
    {
        public Admission(FetchRequest? request, FetchResult? immediate)
        {
            Request = request;
            Immediate = immediate;
        }

        /// <summary>The request to send, if any.</summary>
        public FetchRequest? Request { get; }

        /// <summary>A result to emit without sending anything (its error id: <see cref="RunRecorder.TakeErrorId"/>).</summary>
        public FetchResult? Immediate { get; }
    }

    internal sealed class RunRecorder : IDisposable
    {
        private FetchJournal? _journal;
        private readonly FetchJournalContents? _done;
        private readonly FetchSummaryBuilder _summary = new FetchSummaryBuilder();
        private long _skipped;
        private readonly Dictionary<FetchResult, string> _errorIds = new Dictionary<FetchResult, string>(); // of immediate results whose id is not AsyncFetch.<Kind>

        private RunRecorder(FetchJournal? journal, FetchJournalContents? done)
        {
            _journal = journal;
            _done = done;
        }

        /// <summary>Opens the journal (reading it first when resuming). Throws IOException/UnauthorizedAccessException on a bad path.</summary>
        public static RunRecorder Open(string? journalPath, bool resume)
        {
            if (journalPath == null)
            {
                return new RunRecorder(null, null);
            }

            FetchJournalContents? done = resume ? FetchJournal.Read(journalPath) : null;
            return new RunRecorder(FetchJournal.OpenForAppend(journalPath), done);
        }

        /// <summary>Entries the resumed journal holds, and torn lines it ignored (for -Verbose).</summary>
        public string? ResumeDescription => _done == null ? null
            : $"Resuming from {_journal!.Path}: {_done.Entries} entries, {_done.Succeeded.Count} succeeded requests will be skipped, {_done.TornLines} torn lines ignored.";

        /// <summary>Inputs skipped so far because the journal shows they already succeeded (readable from any thread).</summary>
        public long Skipped => System.Threading.Interlocked.Read(ref _skipped);

        /// <summary>
        /// What one input becomes: a request to send; a result at once (not a URL, credentials over plain http, or
        /// skipped by -Resume when <paramref name="includeSkipped"/>); or nothing (a blank or comment line, a skip nobody asked to see).
        /// <paramref name="problem"/>: the message of a NotAUrl input, when RequestBuilder had a better one.
        /// <paramref name="resumable"/> false: never skipped by -Resume (a crawl's URLs, its start URLs included: its saved state decides).
        /// </summary>
        [MethodImpl(Hot.Path)]
        public Admission Admit(RequestBuilder.Outcome outcome, FetchRequest? request, bool includeSkipped, string? problem = null, bool resumable = true)
        {
            if (outcome == RequestBuilder.Outcome.Skip)
            {
                return default;
            }

            if (outcome == RequestBuilder.Outcome.NotAUrl)
            {
                string message = problem ?? string.Format(System.Globalization.CultureInfo.CurrentCulture, Strings.NoUriProperty, request!.RawUri);
                FetchResult notAUrl = FetchResult.CreateFailure(request!, FetchErrorKind.InvalidRequest, message);
                _errorIds[notAUrl] = ErrorIds.NoUriProperty;
                return new Admission(null, notAUrl);
            }

            if (resumable && _done != null && _done.Succeeded.Contains(FetchIdentity.Of(request!)))
            {
                _summary.AddSkipped();
                System.Threading.Interlocked.Increment(ref _skipped);
                return includeSkipped ? new Admission(null, FetchResult.CreateFailure(request!, FetchErrorKind.Skipped, Strings.Skipped)) : default;
            }

            if (FetchCredential.IsRefusedOverHttp(request!))
            {
                // Refused here rather than by the engine, to say it with the parameter's name and a stable ErrorId.
                FetchResult refused = FetchResult.CreateFailure(request!, FetchErrorKind.InvalidRequest, CredentialBuilder.UnencryptedMessage(request!));
                _errorIds[refused] = ErrorIds.AllowUnencryptedAuthenticationRequired;
                return new Admission(null, refused);
            }

            return new Admission(request, null);
        }

        /// <summary>The ErrorId for a result this recorder created in <see cref="Admit"/> (null: the usual AsyncFetch.&lt;Kind&gt;).</summary>
        public string? TakeErrorId(FetchResult result)
        {
            if (_errorIds.Count == 0 || !_errorIds.TryGetValue(result, out string? id))
            {
                return null;
            }

            _errorIds.Remove(result);
            return id;
        }

        /// <summary>
        /// Records a finished request (not a skipped one) in the journal and the summary. A journal that cannot be
        /// written (disk full, say) is closed and its error returned once; the run goes on without it.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public ErrorRecord? Record(FetchResult result)
        {
            _summary.Add(result);
            if (_journal == null)
            {
                return null;
            }

            try
            {
                _journal.Append(result, InputText(result.Input) ?? result.RequestedUri);
                return null;
            }
            catch (Exception e) when (e is System.IO.IOException || e is UnauthorizedAccessException)
            {
                return CloseFailedJournal(e);
            }
        }

        /// <summary>The run's summary so far; with a batch's statistics (a job), its queue, in-flight and time too. Any thread.</summary>
        public FetchSummary BuildSummary(AsyncFetch.Engine.Batch.FetchBatchStatistics? live = null) => _summary.Build(live);

        /// <summary>Called while the consumer waits: keeps journal lines reaching the disk within a second.</summary>
        public ErrorRecord? Tick()
        {
            if (_journal == null)
            {
                return null;
            }

            try
            {
                _journal.SyncIfDue();
                return null;
            }
            catch (Exception e) when (e is System.IO.IOException || e is UnauthorizedAccessException)
            {
                return CloseFailedJournal(e);
            }
        }

        /// <summary>The journal could not be written: it is closed, the run goes on without it, and this is its one error.</summary>
        private ErrorRecord CloseFailedJournal(Exception e)
        {
            string path = _journal!.Path;
            try
            {
                _journal.Dispose();
            }
            catch (Exception)
            {
                // It failed already; closing is best effort.
            }

            _journal = null;
            return new ErrorRecord(new System.IO.IOException($"Writing the journal {path} failed, so this run can no longer be resumed from it: {e.Message}", e), ErrorIds.JournalFailed, ErrorCategory.WriteError, path);
        }

        public void Dispose()
        {
            try
            {
                _journal?.Dispose();
            }
            catch (Exception e) when (e is System.IO.IOException || e is UnauthorizedAccessException)
            {
                // The last sync failed; the lines written so far are what the journal holds.
            }

            _journal = null;
        }

        private static string? InputText(object? input)
        {
            object? value = input is PSObject p ? p.BaseObject : input;
            return value is string s ? s : value is Uri u ? u.OriginalString : null;
        }
    }
}
