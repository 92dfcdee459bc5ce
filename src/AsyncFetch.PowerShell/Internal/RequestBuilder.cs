using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using System.Text;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// Turns pipeline input into requests. Strings and [uri] are URLs (blank lines and lines starting with '#'
    /// are skipped: URL files have them); a FetchRequest is used as given, with the command's values filling what
    /// it leaves unset; any other object is used through its Uri, Url or Link property. The input object
    /// rides along as the request's Tag, which the result shows as Input. A URL without a scheme gets http://, as
    /// Invoke-WebRequest gives it (<see cref="ForUrl(string)"/>).
    /// </summary>
    internal static class RequestBuilder
    {
        private static readonly string[] UriProperties = { "Uri", "Url", "Link" };

        public enum Outcome
        {
            Request,
            Skip,
            NotAUrl,
        }

        /// <summary>
        /// Converts one input item. On NotAUrl, <paramref name="request"/> is a stand-in for the failed result, and
        /// <paramref name="problem"/> says why when it is not simply the lack of a URL property (one that throws when read).
        /// </summary>
        [MethodImpl(Hot.Path)]
        public static Outcome FromInput(object? input, RequestDefaults defaults, out FetchRequest? request, out string? problem)
        {
            request = null;
            problem = null;
            object? value = input is PSObject pso ? pso.BaseObject : input;
            switch (value)
            {
                case null:
                    return Outcome.Skip;
                case FetchRequest given:
                    request = defaults.Apply(given.Clone(), overrideExisting: false);
                    return Outcome.Request;
                case string text:
                    string trimmed = text.Trim();
                    if (IsBlankOrComment(trimmed))
                    {
                        return Outcome.Skip;
                    }

                    request = FromUrl(ForUrl(trimmed), input, defaults);
                    return Outcome.Request;
                case Uri uri:
                    request = FromUrl(ForUrl(uri), input, defaults);
                    return Outcome.Request;
            }

            PSObject wrapped = input as PSObject ?? PSObject.AsPSObject(value);
            foreach (string name in UriProperties)
            {
                object? inner;
                try
                {
                    PSPropertyInfo? property = wrapped.Properties[name];
                    object? raw = property?.Value;
                    inner = raw is PSObject p ? p.BaseObject : raw;
                }
                catch (GetValueException e)
                {
                    // A getter that throws (a ScriptProperty, a .NET property) is this input's problem, not the batch's.
                    problem = string.Format(CultureInfo.CurrentCulture, Strings.UriPropertyFailed, name, e.InnerException?.Message ?? e.Message);
                    request = new FetchRequest(wrapped.ToString()) { Tag = input };
                    return Outcome.NotAUrl;
                }

                if (inner is string s && s.Trim().Length > 0)
                {
                    request = FromUrl(ForUrl(s.Trim()), input, defaults);
                    return Outcome.Request;
                }

                if (inner is Uri u)
                {
                    request = FromUrl(ForUrl(u), input, defaults);
                    return Outcome.Request;
                }
            }

            // Shown in the error and as RequestedUri: the object as PowerShell prints it, e.g. @{Name=x; Size=3}.
            request = new FetchRequest(wrapped.ToString()) { Tag = input };
            return Outcome.NotAUrl;
        }

        /// <summary>A request made from a URL input: the input rides along as its Tag, and the command's values are its values.</summary>
        [MethodImpl(Hot.Path)]
        private static FetchRequest FromUrl(FetchRequest request, object? input, RequestDefaults defaults)
        {
            request.Tag = input;
            return defaults.Apply(request, overrideExisting: true);
        }

        /// <summary>True for the inputs <see cref="FromInput"/> skips ($null, a blank line, a '#' comment), without converting anything.</summary>
        public static bool GivesNothing(object? input)
        {
            object? value = input is PSObject pso ? pso.BaseObject : input;
            return value == null || (value is string text && IsBlankOrComment(text.Trim()));
        }

        private static bool IsBlankOrComment(string trimmed) => trimmed.Length == 0 || trimmed[0] == '#';

        /// <summary>
        /// A request for a URL as a user typed it. Text that is not an absolute URI, such as 127.0.0.1:8090/get,
        /// localhost/x or example.com, is taken as http://text, as Invoke-WebRequest does (its PrepareUri: a relative
        /// [uri] gets "http://" in front). Its edge cases are Invoke-WebRequest's too: localhost:8090/x parses as a URI
        /// whose scheme is "localhost", so it stays as it is and fails as InvalidRequest; text that does not make an
        /// http URL with the prefix either (/x, //host/x, "not a url") also stays, and fails with its own text.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public static FetchRequest ForUrl(string text)
        {
            var request = new FetchRequest(text);
            return request.Uri != null && !request.Uri.IsAbsoluteUri && WithHttp(text) is Uri withScheme
                ? new FetchRequest(withScheme.OriginalString)
                : request;
        }

        /// <summary>A request for a [uri]; a relative one gets http:// as in <see cref="ForUrl(string)"/>.</summary>
        public static FetchRequest ForUrl(Uri uri) =>
            !uri.IsAbsoluteUri && WithHttp(uri.OriginalString) is Uri withScheme ? new FetchRequest(withScheme.OriginalString) : new FetchRequest(uri);

        private static Uri? WithHttp(string text) =>
            Uri.TryCreate("http://" + text, UriKind.Absolute, out Uri? uri) ? uri : null;

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

        /// <summary>Header fields from a hashtable (values joined if they are lists).</summary>
        public static List<KeyValuePair<string, string>> HeaderList(IDictionary? headers)
        {
            var list = new List<KeyValuePair<string, string>>();
            if (headers == null)
            {
                return list;
            }

            foreach (DictionaryEntry e in headers)
            {
                string name = Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? string.Empty;
                object? v = e.Value is PSObject p ? p.BaseObject : e.Value;
                string value = v is IEnumerable items && !(v is string)
                    ? string.Join(", ", ToStrings(items))
                    : Convert.ToString(v, CultureInfo.InvariantCulture) ?? string.Empty;
                list.Add(new KeyValuePair<string, string>(name, value));
            }

            return list;
        }

        private static IEnumerable<string> ToStrings(IEnumerable items)
        {
            foreach (object? item in items)
            {
                yield return Convert.ToString(item is PSObject p ? p.BaseObject : item, CultureInfo.InvariantCulture) ?? string.Empty;
            }
        }
    }
}
