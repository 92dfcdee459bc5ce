using System;
using System.Globalization;
using System.Management.Automation;
using System.Security;
using AsyncFetch.PowerShell.Commands;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// -Credential, -Authentication and -Token turned into one <see cref="FetchCredential"/>, with Invoke-WebRequest's
    /// checks (a terminating error with a stable ErrorId for a combination it refuses), for the fetching commands and
    /// New-FetchRequest alike. Runs on the pipeline thread, once per command (or per New-FetchRequest input).
    /// </summary>
    internal static class CredentialBuilder
    {
        /// <summary>The credentials the parameters ask for, or null for none.</summary>
        public static FetchCredential? Build(PSCmdlet cmdlet, PSCredential? credential, FetchAuthentication authentication, SecureString? token)
        {
            if (authentication != FetchAuthentication.None && token != null && credential != null)
            {
                Refuse(cmdlet, Strings.AuthenticationTokenConflict, ErrorIds.AuthenticationTokenConflict);
            }

            switch (authentication)
            {
                case FetchAuthentication.Basic:
                    if (credential == null)
                    {
                        Refuse(cmdlet, Strings.AuthenticationCredentialNotSupplied, ErrorIds.AuthenticationCredentialNotSupplied);
                    }

                    return FetchCredential.Basic(credential!.GetNetworkCredential());
                case FetchAuthentication.Bearer:
                case FetchAuthentication.OAuth:
                    if (token == null)
                    {
                        Refuse(cmdlet, Strings.AuthenticationTokenNotSupplied, ErrorIds.AuthenticationTokenNotSupplied);
                    }

                    try
                    {
                        return FetchCredential.Bearer(token!);
                    }
                    catch (ArgumentException e)
                    {
                        // The message says what is wrong with the token, never the token itself.
                        cmdlet.ThrowTerminatingError(new ErrorRecord(e, ErrorIds.InvalidToken, ErrorCategory.InvalidArgument, null));
                        return null;
                    }
            }

            if (token != null)
            {
                // Invoke-WebRequest ignores -Token without -Authentication silently; a word about it saves a long search.
                cmdlet.WriteWarning(Strings.TokenNotUsed);
            }

            return credential == null ? null : FetchCredential.OnChallenge(credential.GetNetworkCredential());
        }

        /// <summary>The message of the per-request error for credentials refused over plain http (the URL without its password).</summary>
        public static string UnencryptedMessage(FetchRequest request) =>
            string.Format(CultureInfo.CurrentCulture, Strings.AllowUnencryptedAuthenticationRequired, FetchRedaction.Text(request.Uri?.AbsoluteUri ?? request.RawUri));

        private static void Refuse(PSCmdlet cmdlet, string message, string errorId) =>
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, null));
    }
}
