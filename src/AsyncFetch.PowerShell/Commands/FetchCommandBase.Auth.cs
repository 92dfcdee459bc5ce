using System.Management.Automation;
using System.Security;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// Server authentication, with Invoke-WebRequest's names and meanings: -Credential, -Authentication, -Token and
    /// -AllowUnencryptedAuthentication. The credentials are built once per command (<see cref="BuildCredential"/>) and
    /// shared by its requests; a request from New-FetchRequest with credentials of its own, or a URL with a user
    /// name and password in it, keeps those.
    /// </summary>
    public abstract partial class FetchCommandBase
    {
        /// <summary>
        /// The user name and password for the servers. With -Authentication Basic they go with every request; without
        /// -Authentication only to a server that asks for them (a 401 offering Basic), on that URL once more.
        /// </summary>
        [Parameter]
        [ValidateNotNull]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>How the credentials are sent: None (default: -Credential when asked), Basic (-Credential), Bearer or OAuth (-Token).</summary>
        [Parameter]
        public FetchAuthentication Authentication { get; set; }

        /// <summary>The token sent as "Authorization: Bearer token" with -Authentication Bearer or OAuth.</summary>
        [Parameter]
        [ValidateNotNull]
        public SecureString? Token { get; set; }

        /// <summary>
        /// Send credentials (-Credential, -Token, a user name and password in a URL) over plain http too. Without it a
        /// request that would do so fails with AsyncFetch.AllowUnencryptedAuthenticationRequired and is not sent.
        /// </summary>
        [Parameter]
        public SwitchParameter AllowUnencryptedAuthentication { get; set; }

        /// <summary>The command's credentials (null: none); a combination Invoke-WebRequest refuses is a terminating error.</summary>
        private FetchCredential? BuildCredential() => CredentialBuilder.Build(this, Credential, Authentication, Token);
    }
}
