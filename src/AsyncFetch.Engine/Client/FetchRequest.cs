using System;
using System.Collections.Generic;
using System.Security.Cryptography.X509Certificates;

namespace AsyncFetch
{
    /// <summary>One HTTP request. Values left null fall back to the engine's <see cref="FetchEngineOptions"/>.</summary>
    public sealed class FetchRequest
    {
        public FetchRequest(Uri uri)
        {
            Uri = uri ?? throw new ArgumentNullException(nameof(uri));
        }

        /// <summary>A request for a URL string. A string that is not an absolute URI fails at submission as InvalidRequest.</summary>
        public FetchRequest(string uri)
        {
            if (uri == null)
            {
                throw new ArgumentNullException(nameof(uri));
            }

            RawUri = uri;
            Uri = Uri.TryCreate(uri, UriKind.RelativeOrAbsolute, out Uri? parsed) ? parsed : null;
        }

        /// <summary>The target; null when <see cref="RawUri"/> could not be parsed at all.</summary>
        public Uri? Uri { get; }

        /// <summary>The URL text as given, when the request was made from a string.</summary>
        public string? RawUri { get; }

        private string _method = "GET";

        /// <summary>The HTTP method (GET unless set).</summary>
        public string Method
        {
            get => _method;
            set
            {
                _method = value;
                IsMethodSet = true;
            }
        }

        /// <summary>True once <see cref="Method"/> has been set explicitly (a command may then not replace it).</summary>
        public bool IsMethodSet { get; private set; }

        /// <summary>Extra request header fields, sent in this order after the defaults they do not replace.</summary>
        public IList<KeyValuePair<string, string>> Headers { get; } = new List<KeyValuePair<string, string>>();

        public byte[]? Body { get; set; }

        public string? ContentType { get; set; }

        public string? UserAgent { get; set; }

        /// <summary>Total time allowed for one attempt, from its start to the end of the response.</summary>
        public TimeSpan? Timeout { get; set; }

        public TimeSpan? ConnectTimeout { get; set; }

        /// <summary>Limit on the (decoded) response body; a larger body fails with TooLarge.</summary>
        public long? MaxResponseBytes { get; set; }

        /// <summary>Read and count the body but do not keep it (the result's Body is null).</summary>
        public bool DiscardBody { get; set; }

        /// <summary>
        /// https: true accepts any server certificate (no chain, expiry or name check), false validates it; null
        /// uses <see cref="FetchEngineOptions.SkipCertificateCheck"/>. Connections made without the check are
        /// pooled apart and never carry a request that wants it.
        /// </summary>
        public bool? SkipCertificateCheck { get; set; }

        /// <summary>
        /// https: client certificates to offer when the server asks for one (see
        /// <see cref="FetchEngineOptions.ClientCertificates"/>); null uses the engine's. Connections are pooled per
        /// set of certificates (by thumbprint).
        /// </summary>
        public X509CertificateCollection? ClientCertificates { get; set; }

        /// <summary>Anything the caller wants back on the result (the cmdlets put the pipeline input here).</summary>
        public object? Tag { get; set; }

        /// <summary>Adds a header field (validated when the request is sent).</summary>
        public FetchRequest WithHeader(string name, string value)
        {
            Headers.Add(new KeyValuePair<string, string>(name, value));
            return this;
        }

        /// <summary>A copy with its own header list, so defaults can be filled in without touching the caller's object.</summary>
        public FetchRequest Clone()
        {
            FetchRequest copy = RawUri != null ? new FetchRequest(RawUri) : new FetchRequest(Uri!);
            copy._method = _method;
            copy.IsMethodSet = IsMethodSet;
            copy.Body = Body;
            copy.ContentType = ContentType;
            copy.UserAgent = UserAgent;
            copy.Timeout = Timeout;
            copy.ConnectTimeout = ConnectTimeout;
            copy.MaxResponseBytes = MaxResponseBytes;
            copy.DiscardBody = DiscardBody;
            copy.SkipCertificateCheck = SkipCertificateCheck;
            copy.ClientCertificates = ClientCertificates;
            copy.Tag = Tag;
            foreach (KeyValuePair<string, string> h in Headers)
            {
                copy.Headers.Add(h);
            }

            return copy;
        }

        public override string ToString() => Method + " " + (Uri?.OriginalString ?? RawUri);
    }
}
