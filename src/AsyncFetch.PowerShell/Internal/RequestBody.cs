using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Text;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>Turns a command's -Body into the bytes of the request body.</summary>
    internal static class RequestBody
    {
        /// <summary>A -Body as bytes: string as UTF-8, byte[] as is, a dictionary as a urlencoded form.</summary>
        public static byte[]? BodyBytes(object? body, ref string? contentType)
        {
            object? value = body is PSObject pso ? pso.BaseObject : body;
            switch (value)
            {
                case null:
                    return null;
                case byte[] bytes:
                    return bytes;
                case string text:
                    return new UTF8Encoding(false).GetBytes(text);
                case IDictionary form:
                    contentType ??= "application/x-www-form-urlencoded";
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

                    return Encoding.ASCII.GetBytes(sb.ToString());
                default:
                    throw new ArgumentException(string.Format(CultureInfo.CurrentCulture, Strings.UnsupportedBody, value.GetType().FullName));
            }
        }
    }
}
