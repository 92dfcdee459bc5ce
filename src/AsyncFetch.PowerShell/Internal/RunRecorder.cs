using System;
using System.Management.Automation;

namespace AsyncFetch.PowerShell
{
    /// <summary>
    /// What a run keeps beside its output: the journal (-JournalPath), the resume set (-Resume) and the summary
    /// (-SummaryVariable, Receive-FetchJob -Summary). Used on the one thread that takes results.
    /// </summary>
    internal sealed class RunRecorder : IDisposable
    {
        private readonly FetchJournal? _journal;
        private readonly FetchJournalContents? _done;
        private readonly FetchSummaryBuilder _summary = new FetchSummaryBuilder();

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

        /// <summary>True (and counted) when the journal shows this request already succeeded.</summary>
        public bool ShouldSkip(FetchRequest request)
        {
            if (_done == null || !_done.Succeeded.Contains(FetchIdentity.Of(request)))
            {
                return false;
            }

            _summary.AddSkipped();
            return true;
        }

        /// <summary>Records a finished request (not a skipped one) in the journal and the summary.</summary>
        public void Record(FetchResult result)
        {
            _summary.Add(result);
            _journal?.Append(result, InputText(result.Input) ?? result.RequestedUri);
        }

        public FetchSummary BuildSummary() => _summary.Build();

        public void Dispose() => _journal?.Dispose();

        private static string? InputText(object? input)
        {
            object? value = input is PSObject p ? p.BaseObject : input;
            return value is string s ? s : value is Uri u ? u.OriginalString : null;
        }
    }
}
