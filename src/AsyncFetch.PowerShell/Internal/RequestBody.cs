using System;
using System.Collections;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Text;
using System.Xml;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// Turns a command's -Body into the bytes of the request body, as Invoke-WebRequest would send it where it sends
    /// something, plus JSON for objects. Threading: the cmdlet's pipeline thread only (a collection is joined with the
    /// caller's $OFS, and JSON is written by ConvertTo-Json in the caller's runspace).
    /// </summary>
    internal static class RequestBody
    {
        /// <summary>The Content-Type of a urlencoded form: a hashtable's default, and Invoke-WebRequest's for any POST.</summary>
        public const string FormContentType = "application/x-www-form-urlencoded";

        /// <summary>
        /// A -Body as bytes. A string goes as UTF-8, a byte[] as it is, an XML document as its markup. With a JSON Content-Type (-ContentType, or
        /// a Content-Type in <paramref name="headers"/>: application/json, text/json or any "+json" type) any other
        /// object is written as JSON by ConvertTo-Json, except a collection of strings (Get-Content of a JSON file),
        /// which is joined as below. Otherwise a dictionary is a urlencoded form (setting
        /// <paramref name="contentType"/> when none is given), and any other collection is joined into one string the
        /// way Invoke-WebRequest converts it (its items' text, separated by $OFS, a space unless set). Streams and file
        /// objects, and single objects of other types, throw ArgumentException.
        /// </summary>
        public static byte[]? ToBytes(PSCmdlet cmdlet, object? body, ref string? contentType, IDictionary? headers)
        {
            object? value = body is PSObject pso ? pso.BaseObject : body;
            switch (value)
            {
                case null:
                    return null;
                case byte[] bytes:
                    return bytes;
                case string text:
                    return Utf8(text);
                case XmlNode node:
                    return XmlBytes(node);
                case Stream _:
                case FileSystemInfo _:
                    throw Unsupported(value);
            }

            if (IsJson(contentType ?? HeaderValue(headers, "Content-Type")) && !IsStrings(value))
            {
                try
                {
                    return Utf8(PowerShellJson.ToJson(cmdlet, body!));
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentException(string.Format(CultureInfo.CurrentCulture, Strings.JsonBodyFailed, contentType ?? HeaderValue(headers, "Content-Type"), e.Message), e);
                }
            }

            switch (value)
            {
                case IDictionary form:
                    contentType ??= FormContentType;
                    return Encoding.ASCII.GetBytes(FormText(form));
                case IEnumerable _:
                    // Invoke-WebRequest's conversion of any other body: LanguagePrimitives, which joins with $OFS.
                    return Utf8((string)LanguagePrimitives.ConvertTo(value, typeof(string), CultureInfo.InvariantCulture));
                default:
                    throw Unsupported(value);
            }
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

        private static string FormText(IDictionary form)
        {
            var sb = new StringBuilder();
            foreach (DictionaryEntry e in form)
            {
                if (sb.Length > 0)
                {
                    sb.Append('&');
                }

                sb.Append(Uri.EscapeDataString(Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? string.Empty))
                  .Append('=')
                  .Append(Uri.EscapeDataString(Convert.ToString(e.Value is PSObject v ? v.BaseObject : e.Value, CultureInfo.InvariantCulture) ?? string.Empty));
            }

            return sb.ToString();
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

            return Utf8(node.OuterXml);
        }

        private static byte[] Utf8(string text) => new UTF8Encoding(false).GetBytes(text);

        private static ArgumentException Unsupported(object value) =>
            new ArgumentException(string.Format(CultureInfo.CurrentCulture, Strings.UnsupportedBody, value.GetType().FullName));
    }
}
