
namespace AsyncFetch
{
    /// <summary>
    /// Why a request produced no (complete) HTTP response. HTTP 4xx/5xx are not errors: they have a status code.
    /// The underlying type is long so that ConvertTo-Json (Windows PowerShell 5.1 and PowerShell 7) writes the kind's
    /// name, "Timeout", not a number: it writes 64-bit enums as their names.
    /// </summary>
    public enum FetchErrorKind : long
    {
        /// <summary>A response arrived.</summary>
        None = 0,

        /// <summary>The request itself is unusable: not an absolute http URL, a CR/LF/NUL in the URL or a header, ...</summary>
        InvalidRequest,

        /// <summary>The host name could not be resolved.</summary>
        Dns,

        /// <summary>No connection could be made (refused, unreachable).</summary>
        Connect,

        /// <summary>The connect timeout or the total timeout of the attempt expired.</summary>
        Timeout,

        /// <summary>The connection was reset or closed before the response was complete.</summary>
        ConnectionLost,

        /// <summary>The server's response is not valid HTTP/1.1 (status line, headers, framing, encoding).</summary>
        Protocol,

        /// <summary>The response exceeds a limit: header section, header count, or body size (also after decompression).</summary>
        TooLarge,

        /// <summary>TLS failed: handshake, certificate validation.</summary>
        Tls,

        /// <summary>The request was cancelled (by its token, Stop-Job, Ctrl+C or the engine shutting down).</summary>
        Canceled,

        /// <summary>An unexpected failure inside the engine; the message has the details.</summary>
        Internal,

        /// <summary>Not fetched: a resumed run's journal shows it already succeeded (not an error).</summary>
        Skipped,

        /// <summary>
        /// A redirect could not be followed: more hops than MaximumRedirection, a loop (a URI and method seen
        /// before in the chain), a Location that is not a usable http(s) URL, or https to http without
        /// AllowInsecureRedirect. Appended last so stored numeric values of the other kinds stay stable.
        /// </summary>
        Redirect,

        /// <summary>
        /// The response could not be written to its output file: the file exists (without Force), a directory is
        /// missing or cannot be created, permission denied, disk full. Appended last: stored numeric values stay valid.
        /// </summary>
        File,

        /// <summary>
        /// The proxy would not open a tunnel (CONNECT, for an https target): it asked for credentials (407), refused
        /// the target (403), or could not reach it (502, 503, 504, which are retried like those statuses). The
        /// message has the proxy's status. A plain http request through a proxy gets the proxy's answer as its
        /// response instead (status 407, say). Appended last: stored numeric values stay valid.
        /// </summary>
        Proxy,
    }
}
