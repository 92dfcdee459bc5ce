using System;
using System.Collections;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Xml;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// Turns a command's -Body into the bytes of the request body, as Invoke-WebRequest would send it where it sends
    /// something, plus JSON for objects; a dictionary's form goes into the URL's query instead when the request is a
    /// GET (<see cref="FormInQuery"/>). Threading: <see cref="ToBytes"/> on the cmdlet's pipeline thread only (a
    /// collection is joined with the caller's $OFS, and JSON is written by ConvertTo-Json in the caller's runspace);
    /// <see cref="FormInQuery"/> on any thread.
    /// </summary>
    internal static class RequestBody
    {
        /// <summary>The Content-Type Invoke-WebRequest gives a POST that has none, whatever its body.</summary>
        public const string FormContentType = "application/x-www-form-urlencoded";

        /// <summary>
        /// The form text of each body made from a dictionary, by its bytes (the very array a request carries): the
        /// method that decides between body and query may be known only when the request is sent (a New-FetchRequest
        /// request without -Method takes the -Method of the command that sends it).
        /// </summary>
        private static readonly ConditionalWeakTable<byte[], string> Forms = new ConditionalWeakTable<byte[], string>();

        private static readonly Encoding Utf8 = new UTF8Encoding(false);

        /// <summary>
        /// A -Body as bytes. Text is encoded with the charset of the Content-Type the request is sent with (a
        /// Content-Type in <paramref name="headers"/>, else <paramref name="contentType"/>), UTF-8 when it names none,
        /// as Invoke-WebRequest encodes it; a charset this system does not know throws ArgumentException. A string is
        /// that text, a byte[] goes as it is, an XML document as its markup (in the encoding its declaration names,
        /// UTF-8 otherwise). With a JSON Content-Type (application/json, text/json or any "+json" type) any other
        /// object is written as JSON by ConvertTo-Json, except a collection of strings (Get-Content of a JSON file),
        /// which is joined as below. Otherwise a dictionary is a urlencoded form (<see cref="FormText"/>), sent in the
        /// URL's query instead by a GET (<see cref="FormInQuery"/>), and any other collection is joined into one
        /// string the way Invoke-WebRequest converts it (its items' text, separated by $OFS, a space unless set).
        /// Streams and file objects, and single objects of other types, throw ArgumentException. No Content-Type is
        /// chosen here: a POST without one gets <see cref="FormContentType"/> when it is sent
        /// (RequestDefaults.Apply), whatever its body, as from Invoke-WebRequest.
        /// </summary>
        public static byte[]? ToBytes(PSCmdlet cmdlet, object? body, string? contentType, IDictionary? headers)
        {
            object? value = body is PSObject pso ? pso.BaseObject : body;
            switch (value)
            {
                case null:
                    return null;
                case byte[] bytes:
                    return bytes;
                case XmlNode node:
                    return XmlBytes(node);
                case Stream _:
                case FileSystemInfo _:
                    throw Unsupported(value);
            }

            string? type = HeaderValue(headers, "Content-Type") ?? contentType; // the one sent: -Headers wins on the wire
            Encoding encoding = CharsetEncoding(type) ?? Utf8;
            if (value is string text)
            {
                return encoding.GetBytes(text);
            }

            if (IsJson(type) && !IsStrings(value))
            {
                try
                {
                    return encoding.GetBytes(PowerShellJson.ToJson(cmdlet, body!));
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentException(string.Format(CultureInfo.CurrentCulture, Strings.JsonBodyFailed, type, e.Message), e);
                }
            }

            switch (value)
            {
                case IDictionary dictionary:
                    string form = FormText(dictionary);
                    // An array of its own even when empty (an encoder may hand out one shared empty array): it is the key.
                    byte[] formBytes = form.Length == 0 ? new byte[0] : encoding.GetBytes(form);
                    Forms.Add(formBytes, form);
                    return formBytes;
                case IEnumerable _:
                    // Invoke-WebRequest's conversion of any other body: LanguagePrimitives, which joins with $OFS.
                    return encoding.GetBytes((string)LanguagePrimitives.ConvertTo(value, typeof(string), CultureInfo.InvariantCulture));
                default:
                    throw Unsupported(value);
            }
        }

        /// <summary>
        /// Invoke-WebRequest's rule for a dictionary -Body: a GET sends the form in its URL's query, after the query
        /// the URL has ("?a=1" and @{ b = 2 } make "?a=1&amp;b=2"), and sends no body. <paramref name="request"/>
        /// when it is not a GET whose body <see cref="ToBytes"/> made from a dictionary (or has no absolute URL);
        /// otherwise a copy aimed at the URL with the query, without the body.
        /// </summary>
        public static FetchRequest FormInQuery(FetchRequest request)
        {
            if (request.Body == null
                || !string.Equals(request.Method, "GET", StringComparison.OrdinalIgnoreCase)
                || !Forms.TryGetValue(request.Body, out string? form)
                || request.Uri == null
                || !request.Uri.IsAbsoluteUri)
            {
                return request;
            }

            // As Invoke-WebRequest's PrepareUri builds it (UriBuilder.Query holds the '?').
            var uri = new UriBuilder(request.Uri);
            uri.Query = uri.Query != null && uri.Query.Length > 1 ? uri.Query.Substring(1) + "&" + form : form;
            FetchRequest moved = request.Clone(uri.Uri);
            moved.Body = null;
            return moved;
        }

        /// <summary>True for application/json, text/json and "+json" media types (parameters after ';' ignored).</summary>
        internal static bool IsJson(string? contentType)
        {
            if (contentType == null)
            {
                return false;
            }

            int semicolon = contentType.IndexOf(';');
            string media = (semicolon < 0 ? contentType : contentType.Substring(0, semicolon)).Trim();
            return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || media.Equals("text/json", StringComparison.OrdinalIgnoreCase)
                || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>
        /// A dictionary as Invoke-WebRequest's FormatDictionary writes it: name=value pairs joined with '&amp;', each
        /// encoded by WebUtility.UrlEncode (a space is '+', other reserved and non-ASCII characters %XX of their UTF-8),
        /// a value as its ToString() (a collection value is its type name, System.Object[], as there), $null as
        /// nothing. A key that is not a string, which Invoke-WebRequest refuses, is written as its text.
        /// </summary>
        internal static string FormText(IDictionary form)
        {
            var sb = new StringBuilder();
            foreach (DictionaryEntry e in form)
            {
                if (sb.Length > 0)
                {
                    sb.Append('&');
                }

                string key = e.Key as string ?? Convert.ToString(e.Key is PSObject k ? k.BaseObject : e.Key, CultureInfo.InvariantCulture) ?? string.Empty;
                sb.Append(WebUtility.UrlEncode(key)).Append('=');
                if (e.Value != null)
                {
                    sb.Append(WebUtility.UrlEncode(e.Value.ToString()));
                }
            }

            return sb.ToString();
        }

        /// <summary>
        /// The encoding the charset parameter of <paramref name="contentType"/> names, as Invoke-WebRequest takes it
        /// for a text body (quotes around the name are allowed); null when there is no charset, or no Content-Type
        /// that parses. A charset this system does not know throws ArgumentException.
        /// </summary>
        internal static Encoding? CharsetEncoding(string? contentType)
        {
            if (contentType == null || !MediaTypeHeaderValue.TryParse(contentType, out MediaTypeHeaderValue? media) || media == null)
            {
                return null;
            }

            string? charset = media.CharSet?.Trim().Trim('"').Trim();
            if (string.IsNullOrEmpty(charset))
            {
                return null;
            }

            try
            {
                return Encoding.GetEncoding(charset);
            }
            catch (Exception e) when (e is ArgumentException || e is NotSupportedException)
            {
                throw new ArgumentException(string.Format(CultureInfo.CurrentCulture, Strings.UnknownBodyCharset, charset, contentType), e);
            }
        }

        /// <summary>A non-empty collection whose items are all strings (what Get-Content gives for a file).</summary>
        private static bool IsStrings(object value)
        {
            if (!(value is IEnumerable items) || value is IDictionary)
            {
                return false;
            }

            bool any = false;
            foreach (object? item in items)
            {
                if (!((item is PSObject p ? p.BaseObject : item) is string))
                {
                    return false;
                }

                any = true;
            }

            return any;
        }

        private static string? HeaderValue(IDictionary? headers, string name)
        {
            if (headers == null)
            {
                return null;
            }

            foreach (DictionaryEntry e in headers)
            {
                if (string.Equals(Convert.ToString(e.Key, CultureInfo.InvariantCulture), name, StringComparison.OrdinalIgnoreCase))
                {
                    return Convert.ToString(e.Value is PSObject p ? p.BaseObject : e.Value, CultureInfo.InvariantCulture);
                }
            }

            return null;
        }

        /// <summary>Invoke-WebRequest's XML body: the markup, in the encoding its declaration names (UTF-8 otherwise).</summary>
        private static byte[] XmlBytes(XmlNode node)
        {
            if (node is XmlDocument document && document.FirstChild is XmlDeclaration declaration && declaration.Encoding.Length > 0)
            {
                return Encoding.GetEncoding(declaration.Encoding).GetBytes(document.OuterXml);
            }

            return Utf8.GetBytes(node.OuterXml);
        }

        private static ArgumentException Unsupported(object value) =>
            new ArgumentException(string.Format(CultureInfo.CurrentCulture, Strings.UnsupportedBody, value.GetType().FullName));
    }
}
