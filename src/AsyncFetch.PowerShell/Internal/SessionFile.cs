using System;
using System.Globalization;
using System.Management.Automation;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// A session and the file (-SessionPath) it goes back to when a run ends: Invoke-AsyncFetch saves it at the end of
    /// the command (also when stopped), a fetch job when it finishes. Saved once; the thread that ends the run.
    /// </summary>
    internal sealed class SessionFile
    {
        private int _saved;

        public SessionFile(FetchSession session, string path)
        {
            Session = session;
            Path = path;
        }

        public FetchSession Session { get; }

        public string Path { get; }

        /// <summary>Saves the session the first time it is called; returns the error to write when it cannot, else null.</summary>
        public ErrorRecord? Save()
        {
            if (System.Threading.Interlocked.Exchange(ref _saved, 1) != 0)
            {
                return null;
            }

            try
            {
                Session.Save(Path);
                return null;
            }
            catch (Exception e) when (e is System.IO.IOException || e is UnauthorizedAccessException || e is NotSupportedException || e is System.Xml.XmlException)
            {
                string message = string.Format(CultureInfo.CurrentCulture, Strings.SessionSaveFailed, Path, e.Message);
                return new ErrorRecord(new System.IO.IOException(message, e), ErrorIds.SessionSaveFailed, ErrorCategory.WriteError, Path);
            }
        }
    }
}
