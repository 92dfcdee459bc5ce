using System.Management.Automation;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// Stable ErrorIds (the part before the comma of FullyQualifiedErrorId). A failed request's id is
    /// "AsyncFetch." + its <see cref="FetchErrorKind"/>, so scripts can test for, say, AsyncFetch.Timeout.
    /// </summary>
    public static class ErrorIds
    {
        public const string Prefix = "AsyncFetch.";
        public const string NoUriProperty = Prefix + "NoUriProperty";
        public const string OnCompleteFailed = Prefix + "OnCompleteFailed";
        public const string UnsupportedBody = Prefix + "UnsupportedBody";
        public const string BodyConflict = Prefix + "BodyConflict";
        public const string InFileFailed = Prefix + "InFileFailed";
        public const string JobFailed = Prefix + "JobFailed";
        public const string NotAFetchJob = Prefix + "NotAFetchJob";
        public const string JobNotFound = Prefix + "JobNotFound";
        public const string AutoRemoveNeedsWait = Prefix + "AutoRemoveNeedsWait";
        public const string UsingNotSupported = Prefix + "UsingNotSupported";
        public const string ResumeNeedsJournal = Prefix + "ResumeNeedsJournal";
        public const string JournalFailed = Prefix + "JournalFailed";
        public const string InvalidOutputPath = Prefix + "InvalidOutputPath";
        public const string InvalidProxy = Prefix + "InvalidProxy";
        public const string AuthenticationTokenConflict = Prefix + "AuthenticationTokenConflict";
        public const string AuthenticationCredentialNotSupplied = Prefix + "AuthenticationCredentialNotSupplied";
        public const string AuthenticationTokenNotSupplied = Prefix + "AuthenticationTokenNotSupplied";
        public const string InvalidToken = Prefix + "InvalidToken";
        public const string AllowUnencryptedAuthenticationRequired = Prefix + "AllowUnencryptedAuthenticationRequired";
        public const string SessionConflict = Prefix + "SessionConflict";

        /// <summary>-Depth, -MaxPages, -Include, -Exclude or -IgnoreRobots without -Follow (terminating).</summary>
        public const string CrawlParameterNeedsFollow = Prefix + "CrawlParameterNeedsFollow";

        /// <summary>-Follow with -OutFile or -OutDirectory: the pages' links would be in files (terminating).</summary>
        public const string FollowWithOutFile = Prefix + "FollowWithOutFile";
        public const string FollowWithBody = Prefix + "FollowWithBody";

        /// <summary>An -Include or -Exclude wildcard that cannot be matched (terminating).</summary>
        public const string InvalidCrawlPattern = Prefix + "InvalidCrawlPattern";

        /// <summary>-Follow is neither a scope name nor a script block (terminating).</summary>
        public const string InvalidFollow = Prefix + "InvalidFollow";

        /// <summary>A script block -Follow threw for a page (non-terminating; the crawl goes on without that page's links).</summary>
        public const string FollowFailed = Prefix + "FollowFailed";

        /// <summary>-SessionPath names a file that is not a saved session, or that cannot be read (terminating).</summary>
        public const string SessionLoadFailed = Prefix + "SessionLoadFailed";

        /// <summary>The session could not be written to -SessionPath when the run ended (non-terminating; the results stand).</summary>
        public const string SessionSaveFailed = Prefix + "SessionSaveFailed";

        /// <summary>A response with a 4xx or 5xx status (not a failure: its ErrorKind is None), unless -SkipHttpErrorCheck.</summary>
        public const string HttpError = Prefix + "HttpError";

        /// <summary>Invoke-AsyncFetch -OutFile was given more than one URL (it names one file).</summary>
        public const string OutFileNeedsOneUrl = Prefix + "OutFileNeedsOneUrl";

        /// <summary>-PassThru without -OutFile (Invoke-WebRequest's WebCmdletOutFileMissingException).</summary>
        public const string OutFileMissing = Prefix + "OutFileMissing";

        /// <summary>-OutFile together with -OutDirectory.</summary>
        public const string OutFileConflict = Prefix + "OutFileConflict";

        /// <summary>-ParseContent: a body that is not the JSON or XML its Content-Type declares (the result is still written).</summary>
        public const string ParseError = Prefix + "ParseError";

        public static string For(FetchErrorKind kind) => Prefix + kind;

        public static ErrorCategory CategoryOf(FetchErrorKind kind)
        {
            switch (kind)
            {
                case FetchErrorKind.InvalidRequest:
                    return ErrorCategory.InvalidArgument;
                case FetchErrorKind.Dns:
                    return ErrorCategory.ResourceUnavailable;
                case FetchErrorKind.Connect:
                case FetchErrorKind.ConnectionLost:
                case FetchErrorKind.Proxy: // the proxy refused the tunnel (403, 407, 502 ...)
                    return ErrorCategory.ConnectionError;
                case FetchErrorKind.Timeout:
                    return ErrorCategory.OperationTimeout;
                case FetchErrorKind.Protocol:
                    return ErrorCategory.ProtocolError;
                case FetchErrorKind.TooLarge:
                    return ErrorCategory.LimitsExceeded;
                case FetchErrorKind.Tls:
                    return ErrorCategory.SecurityError;
                case FetchErrorKind.Redirect:
                    // Too many hops, a loop, an unusable Location, https to http: the answer was a redirect that
                    // could not be followed, not a failure to reach the server.
                    return ErrorCategory.InvalidResult;
                case FetchErrorKind.File:
                    return ErrorCategory.WriteError;
                case FetchErrorKind.Canceled:
                    return ErrorCategory.OperationStopped;
                default:
                    return ErrorCategory.NotSpecified;
            }
        }
    }
}
