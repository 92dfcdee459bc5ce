using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>The request values a command was given, applied to each request it builds or receives.</summary>
    internal sealed class RequestDefaults
    {
        public string? Method { get; set; }

        public List<KeyValuePair<string, string>> Headers { get; set; } = new List<KeyValuePair<string, string>>();

        public byte[]? Body { get; set; }

        /// <summary>A streamed body (-InFile, -Form, a file or stream -Body), instead of <see cref="Body"/>.</summary>
        public FetchRequestBody? Content { get; set; }

        /// <summary>The longest wait for the next response bytes (-OperationTimeoutSeconds); null: none.</summary>
        public TimeSpan? OperationTimeout { get; set; }

        public string? ContentType { get; set; }

        public string? UserAgent { get; set; }

        public TimeSpan? Timeout { get; set; }

        public TimeSpan? ConnectTimeout { get; set; }

        public bool DiscardBody { get; set; }

        public bool? SkipCertificateCheck { get; set; }

        public X509CertificateCollection? ClientCertificates { get; set; }

        /// <summary>The run's proxy (FetchProxy.Direct for -NoProxy); null: none.</summary>
        public FetchProxy? Proxy { get; set; }

        public int? MaximumRedirection { get; set; }

        public bool? PreserveAuthorizationOnRedirect { get; set; }

        public bool? AllowInsecureRedirect { get; set; }

        public int? MaximumRetryCount { get; set; }

        public TimeSpan? RetryInterval { get; set; }

        /// <summary>A full path (resolved by the command against the caller's location).</summary>
        public string? OutDirectory { get; set; }

        public bool Force { get; set; }

        /// <summary>The command's server credentials (-Credential, -Authentication, -Token); null: none.</summary>
        public FetchCredential? Credential { get; set; }

        public bool? AllowUnencryptedAuthentication { get; set; }

        /// <summary>The cookie jar of the command's requests (its session's, or one of its own).</summary>
        public System.Net.CookieContainer? Cookies { get; set; }

        /// <summary>Invoke-AsyncFetch -OutFile as a full path: where its one request's body goes, replacing what is there.</summary>
        public string? OutFile { get; set; }

        /// <summary>-OutFile names an existing folder: the file in it is named as -OutDirectory names files.</summary>
        public bool OutFileIsFolder { get; set; }

        /// <summary>
        /// The caller's file-system location when the command started: a FetchRequest built by hand with a relative
        /// OutFile or OutDirectory is taken relative to it, as New-FetchRequest's paths are (the engine would use the
        /// process's directory, which is not PowerShell's $PWD). Null: leave such paths alone.
        /// </summary>
        public string? Location { get; set; }

        /// <summary>
        /// Fills the request. For a request built from a URL the command's values are the request's values
        /// (<paramref name="overrideExisting"/>); a FetchRequest from New-FetchRequest keeps what it set and only
        /// takes what it left open. Headers: the request's own win over the command's of the same name. A POST that
        /// ends up with no Content-Type gets Invoke-WebRequest's, application/x-www-form-urlencoded. A GET whose body
        /// was a hashtable sends it in its URL's query instead, as Invoke-WebRequest does: the request returned is then
        /// a copy aimed at that URL (<see cref="RequestBody.FormInQuery"/>).
        /// </summary>
        [MethodImpl(Hot.Path)]
        public FetchRequest Apply(FetchRequest request, bool overrideExisting)
        {
            if (Method != null && (overrideExisting || !request.IsMethodSet))
            {
                request.Method = Method; // a FetchRequest whose method was set explicitly (even GET) keeps it
            }

            if ((Body != null || Content != null) && (overrideExisting || (request.Body == null && request.Content == null)))
            {
                request.Body = Body; // one of the two: a request given a body of either kind keeps it
                request.Content = Content;
            }

            request.ContentType = overrideExisting ? ContentType ?? request.ContentType : request.ContentType ?? ContentType;
            request.UserAgent = overrideExisting ? UserAgent ?? request.UserAgent : request.UserAgent ?? UserAgent;
            request.Timeout ??= Timeout;
            request.ConnectTimeout ??= ConnectTimeout;
            request.OperationTimeout ??= OperationTimeout;
            request.DiscardBody |= DiscardBody;

            // The values New-FetchRequest can set stay as it set them (they are null until set); switches only add.
            request.SkipCertificateCheck ??= SkipCertificateCheck;
            request.ClientCertificates ??= ClientCertificates;
            request.MaximumRedirection ??= MaximumRedirection;
            request.PreserveAuthorizationOnRedirect ??= PreserveAuthorizationOnRedirect;
            request.AllowInsecureRedirect ??= AllowInsecureRedirect;
            request.MaximumRetryCount ??= MaximumRetryCount;
            request.RetryInterval ??= RetryInterval;
            if (!overrideExisting && Location != null)
            {
                request.OutFile = Rooted(request.OutFile);
                request.OutDirectory = Rooted(request.OutDirectory);
            }

            if (OutFile != null && request.OutFile == null && request.OutDirectory == null)
            {
                // As Invoke-WebRequest -OutFile: an existing file is replaced, and a folder gets a file named from the response.
                if (OutFileIsFolder)
                {
                    request.OutDirectory = OutFile;
                }
                else
                {
                    request.OutFile = OutFile;
                }

                request.Force = true;
            }

            request.OutDirectory ??= OutDirectory; // a request with its own OutFile ignores it (the engine's rule)
            request.Force |= Force;
            request.Proxy ??= Proxy;
            request.CookieContainer ??= Cookies;
            request.AllowUnencryptedAuthentication ??= AllowUnencryptedAuthentication;
            if (Credential != null && request.GetCredential() == null)
            {
                request.Credential = Credential; // a New-FetchRequest credential, or a user name and password in the URL, wins
            }

            foreach (KeyValuePair<string, string> h in Headers)
            {
                if (!HasHeader(request, h.Key))
                {
                    request.Headers.Add(h);
                }
            }

            if (request.ContentType == null && request.Content?.ContentType == null && string.Equals(request.Method, "POST", StringComparison.OrdinalIgnoreCase) && !HasHeader(request, "Content-Type"))
            {
                request.ContentType = RequestBody.FormContentType; // Invoke-WebRequest's Content-Type for a POST given none
            }

            return RequestBody.FormInQuery(request);
        }

        private string? Rooted(string? path) =>
            path == null || path.Length == 0 || Path.IsPathRooted(path) ? path : Path.Combine(Location!, path);

        private static bool HasHeader(FetchRequest request, string name)
        {
            foreach (KeyValuePair<string, string> h in request.Headers)
            {
                if (string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
