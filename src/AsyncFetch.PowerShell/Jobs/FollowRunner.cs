using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using AsyncFetch.PowerShell.Commands;

namespace AsyncFetch.PowerShell.Jobs
{
    /// <summary>
    /// A script block -Follow in a fetch job: run for each page, synchronously, on the job's pump thread, in a
    /// runspace of its own (opened on first use, closed with the job), with the result as $_. Its errors go to the
    /// job's error stream. $using: variables are not available in it.
    /// </summary>
    internal sealed class FollowRunner : IDisposable
    {
        private readonly string _script;
        private readonly Action<ErrorRecord> _error;
        private Runspace? _runspace;
        private System.Management.Automation.PowerShell? _shell;

        public FollowRunner(string script, Action<ErrorRecord> error)
        {
            _script = "param($__asyncFetchPage) $_ = $__asyncFetchPage; $PSItem = $__asyncFetchPage\n" + script;
            _error = error;
        }

        public IEnumerable<string>? Run(FetchResult result)
        {
            if (_shell == null)
            {
                _runspace = RunspaceFactory.CreateRunspace();
                _runspace.Open();
                _shell = System.Management.Automation.PowerShell.Create();
                _shell.Runspace = _runspace;
            }

            _shell.Commands.Clear();
            _shell.Streams.Error.Clear();
            try
            {
                var output = _shell.AddScript(_script).AddArgument(result).Invoke();
                return new List<string>(FetchCommandBase.UrlsOf(output));
            }
            catch (RuntimeException e)
            {
                string message = string.Format(System.Globalization.CultureInfo.CurrentCulture, Strings.FollowFailed, result.RequestedUri, e.Message);
                _error(new ErrorRecord(new FetchException(message, e, result), Internal.ErrorIds.FollowFailed, ErrorCategory.InvalidResult, result));
                return null;
            }
        }

        public void Dispose()
        {
            _shell?.Dispose();
            _runspace?.Dispose();
        }
    }
}
