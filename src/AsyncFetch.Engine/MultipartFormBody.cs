using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using AsyncFetch.Engine.Uploads;

namespace AsyncFetch
{
    /// <summary>
    /// A multipart/form-data body (RFC 7578) laid out as HttpClient's MultipartFormDataContent writes Invoke-WebRequest's
    /// -Form: a text field is a part with "Content-Type: text/plain; charset=utf-8" and
    /// "Content-Disposition: form-data; name=..." (a value quoted only when it is not a token); a file is a part with "Content-Disposition: form-data; name=...;
    /// filename=...; filename*=utf-8''..." and "Content-Type: application/octet-stream", its bytes read from disk while
    /// the body is sent. The length is known (files are measured when added), so it goes with a Content-Length.
    /// Threading: built on one thread before the request is submitted; not changed afterwards.
    /// </summary>
    public sealed class MultipartFormBody : FetchRequestBody
    {
        private readonly List<Part> _parts = new List<Part>();

        /// <summary>A form with a new random boundary.</summary>
        public MultipartFormBody()
            : this(Guid.NewGuid().ToString())
        {
        }

        /// <summary>A form with the given <paramref name="boundary"/> (1 to 70 characters that never occur in the parts).</summary>
        public MultipartFormBody(string boundary)
        {
            if (string.IsNullOrEmpty(boundary) || boundary.Length > 70 || boundary.IndexOf('"') >= 0)
            {
                throw new ArgumentException("A boundary is 1 to 70 characters without quotes.", nameof(boundary));
            }

            Boundary = boundary;
        }

        /// <summary>The boundary between parts.</summary>
        public string Boundary { get; }

        /// <summary>The number of parts added.</summary>
        public int Count => _parts.Count;

        /// <inheritdoc/>
        public override long? Length
        {
            get
            {
                long total = 0;
                foreach (Part part in _parts)
                {
                    total += part.Head.Length + part.Length;
                }

                return total + Ascii(End()).Length;
            }
        }

        /// <summary>multipart/form-data with the quoted boundary.</summary>
        public override string ContentType => "multipart/form-data; boundary=\"" + Boundary + "\"";

        /// <summary>Adds a text field <paramref name="name"/> with <paramref name="value"/> (sent as UTF-8).</summary>
        public MultipartFormBody AddField(string name, string value)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(value ?? string.Empty);
            string head = "Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: form-data; name=" + Quote(name) + "\r\n\r\n";
            _parts.Add(new Part(Ascii(Separator(_parts.Count) + head), bytes, null, bytes.Length));
            return this;
        }

        /// <summary>Adds the file at <paramref name="path"/> as field <paramref name="name"/>, named by its file name; it is measured now and read when sent.</summary>
        public MultipartFormBody AddFile(string name, string path)
        {
            var file = new FileBody(path);
            string fileName = System.IO.Path.GetFileName(file.Path);
            string head = "Content-Disposition: form-data; name=" + Quote(name) + "; filename=" + Quote(fileName) + "; filename*=utf-8''" + Rfc5987(fileName)
                + "\r\nContent-Type: application/octet-stream\r\n\r\n";
            _parts.Add(new Part(Ascii(Separator(_parts.Count) + head), null, file, file.FileLength));
            return this;
        }

        internal override BodyReader Open() => new MultipartReader(_parts, Ascii(End()));

        private string Separator(int index) => (index == 0 ? "--" : "\r\n--") + Boundary + "\r\n";

        private string End() => (_parts.Count == 0 ? "--" : "\r\n--") + Boundary + "--\r\n";

        /// <summary>Header text is ASCII here (non-ASCII names are MIME-encoded first), as HttpClient writes it.</summary>
        private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

        /// <summary>
        /// A header parameter value as ContentDispositionHeaderValue writes it: bare when it is a token, quoted
        /// otherwise, and non-ASCII text as a quoted MIME encoded-word (UTF-8, base64).
        /// </summary>
        internal static string Quote(string value)
        {
            value ??= string.Empty;
            bool token = value.Length > 0;
            foreach (char c in value)
            {
                if (c > 127)
                {
                    return "\"=?utf-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) + "?=\"";
                }

                token &= c > ' ' && c < 127 && "()<>@,;:\\\"/[]?={}".IndexOf(c) < 0;
            }

            return token ? value : "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        }

        /// <summary>RFC 5987 ext-value text: UTF-8, every byte outside attr-char percent-encoded.</summary>
        internal static string Rfc5987(string value)
        {
            var sb = new StringBuilder();
            foreach (byte b in Encoding.UTF8.GetBytes(value))
            {
                char c = (char)b;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$&+-.^_`|~".IndexOf(c) >= 0)
                {
                    sb.Append(c);
                }
                else
                {
                    sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
                }
            }

            return sb.ToString();
        }

        /// <summary>One part: its separator and headers, then its bytes or its file.</summary>
        internal sealed class Part
        {
            public Part(byte[] head, byte[]? bytes, FileBody? file, long length)
            {
                Head = head;
                Bytes = bytes;
                File = file;
                Length = length;
            }

            public byte[] Head { get; }

            public byte[]? Bytes { get; }

            public FileBody? File { get; }

            public long Length { get; }
        }
    }
}
