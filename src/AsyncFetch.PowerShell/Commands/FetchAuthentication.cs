namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>The values of -Authentication, as Invoke-WebRequest's (WebAuthenticationType) has them.</summary>
    public enum FetchAuthentication
    {
        /// <summary>No explicit scheme: -Credential, when given, is sent as Basic only after the server asks for it (a 401).</summary>
        None = 0,

        /// <summary>-Credential sent as Basic with every request.</summary>
        Basic,

        /// <summary>-Token sent as "Authorization: Bearer token" with every request.</summary>
        Bearer,

        /// <summary>The same as Bearer (OAuth 2.0 bearer tokens).</summary>
        OAuth,
    }
}
