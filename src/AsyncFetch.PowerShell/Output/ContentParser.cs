using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Xml;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Output
{
    /// <summary>
    /// -ParseContent: what Invoke-RestMethod would return for a response, put on the result as its ParsedContent note
    /// property (on every result the command writes, $null where there is nothing to parse), so a script moving from
    /// <c>$x = Invoke-RestMethod $u</c> reads <c>$result.ParsedContent</c> and finds the same object.
    ///
    /// The rules are InvokeRestMethodCommand's, the same in 5.1 and 7. A body whose first elements include an rss or
    /// feed element is a feed: its item and entry elements are the value. Otherwise the text is tried as JSON and as
    /// XML (JSON first when Content-Type is a JSON type, XML first otherwise), and text that is neither stays text;
    /// Content-Type only orders the attempts. Both attempts cannot succeed (XML begins with '&lt;', JSON never does),
    /// so only the one that can is made: a JSON body costs no failed XML parse.
    ///
    /// One addition: when Content-Type declares JSON or XML and a 1xx-3xx response's body is neither, the result also
    /// gets a non-terminating error (AsyncFetch.ParseError), where Invoke-RestMethod would silently return the text.
    /// Error statuses are parsed the same way (an API's JSON error document is useful) but never get a parse error:
    /// their failure is the status itself.
    ///
    /// Threading: called on the one thread that writes a command's results (Invoke-AsyncFetch's pipeline thread, a
    /// job's pump thread); it runs no user code and needs no runspace.
    /// </summary>
    internal static class ContentParser
    {
        /// <summary>The name of the note property that carries the parsed body.</summary>
        public const string PropertyName = "ParsedContent";

        private static readonly string[] JsonTypes =
        {
            "application/json", "text/json", "application/x-javascript", "text/x-javascript", "application/javascript", "text/javascript",
        };

        private static readonly string[] XmlTypes = { "application/xml", "application/xml-external-parsed-entity", "application/xml-dtd" };

        private enum Declared
        {
            Other,
            Json,
            Xml,
        }

        /// <summary>
        /// Sets the result's ParsedContent; returns the parse error of a body that is not what its Content-Type
        /// declares (null otherwise).
        /// </summary>
        public static ErrorRecord? Attach(FetchResult result)
        {
            object? parsed = null;
            ErrorRecord? error = null;
            if (result.IsResponse && result.GetBody() is byte[] body)
            {
                Declared declared = Classify(result.ContentType);
                string text = result.Content ?? string.Empty;
                parsed = Parse(body, text, out bool isText);
                if (isText && declared != Declared.Other && result.StatusCode < 400 && !IsBlank(text))
                {
                    error = ParseError(result, declared, text);
                }
            }

            PSObject wrapper = PSObject.AsPSObject(result);
            PSPropertyInfo? existing = wrapper.Properties[PropertyName];
            if (existing != null)
            {
                existing.Value = parsed;
            }
            else
            {
                var property = new PSNoteProperty(PropertyName, parsed);
                Hide(property);
                wrapper.Properties.Add(property);
            }

            return error;
        }

        /// <summary>
        /// Leaves the parsed body out of what Export-Csv, Format-List * and Get-Member list, as the body (Content) is,
        /// so a CSV row never holds a parsed document; $result.ParsedContent still reads it. PSMemberInfo.IsHidden (what
        /// a class's "hidden" keyword sets) is not in the PowerShell 5.1 reference assemblies: set through reflection
        /// where the running PowerShell has it.
        /// </summary>
        private static void Hide(PSMemberInfo member)
        {
            try
            {
                HiddenSetter?.Invoke(member, new object[] { true });
            }
            catch (TargetInvocationException)
            {
                // Listed, then: the value is the same either way.
            }
        }

        private static readonly MethodInfo? HiddenSetter =
            typeof(PSMemberInfo).GetProperty("IsHidden", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetSetMethod(nonPublic: true);

        /// <summary>Invoke-RestMethod's value for a body; <paramref name="isText"/> when it is the text itself.</summary>
        internal static object? Parse(byte[] body, string text, out bool isText)
        {
            isText = false;
            int first = FirstSignificant(text);
            if (first < 0)
            {
                isText = true;
                return text; // empty or blank: neither JSON nor XML
            }

            if (text[first] == '<')
            {
                if (TryReadFeed(body, out object? items))
                {
                    return items;
                }

                if (TryReadXml(text, out XmlDocument? document, out _))
                {
                    return document;
                }
            }
            else if (PowerShellJson.TryFromJson(text, out object? value, out _))
            {
                return value;
            }

            isText = true;
            return text;
        }

        private static ErrorRecord ParseError(FetchResult result, Declared declared, string text)
        {
            // Only on this failure path is the declared kind tried, for its own reason (a JSON body that begins with
            // '<' is not tried as JSON above).
            Exception? reason = null;
            if (declared == Declared.Json)
            {
                PowerShellJson.TryFromJson(text, out _, out reason);
            }
            else
            {
                TryReadXml(text, out _, out reason);
            }

            string message = string.Format(
                CultureInfo.CurrentCulture,
                Strings.ParseFailed,
                result.RequestedUri,
                declared == Declared.Json ? "JSON" : "XML",
                result.ContentType,
                reason?.Message);
            return new ErrorRecord(new FetchException(message, reason, result), ErrorIds.ParseError, ErrorCategory.ParserError, result);
        }

        /// <summary>
        /// InvokeRestMethodCommand.TryProcessFeedStream: an rss or feed element among the first ten nodes makes the
        /// body a feed, whose item and entry elements are the value (one node, or an array of them, or null for none,
        /// as <c>$x = Invoke-RestMethod</c> holds them). A feed that breaks off keeps the items read before the break.
        /// </summary>
        private static bool TryReadFeed(byte[] body, out object? items)
        {
            items = null;
            var found = new List<object>();
            bool isFeed = false;
            try
            {
                using (XmlReader reader = XmlReader.Create(new MemoryStream(body, false), SecureSettings()))
                {
                    for (int read = 0; read < 10 && reader.Read(); read++)
                    {
                        if (IsName(reader, "rss") || IsName(reader, "feed"))
                        {
                            isFeed = true;
                            break;
                        }
                    }

                    if (!isFeed)
                    {
                        return false;
                    }

                    var document = new XmlDocument();
                    reader.Read();
                    while (!reader.EOF)
                    {
                        if (reader.NodeType == XmlNodeType.Element && (IsName(reader, "Item") || IsName(reader, "Entry")))
                        {
                            found.Add(document.ReadNode(reader)!);
                        }
                        else
                        {
                            reader.Read();
                        }
                    }
                }
            }
            catch (XmlException)
            {
                // Not XML, or a feed that breaks off: what was read stands.
            }

            items = found.Count == 0 ? null : found.Count == 1 ? found[0] : found.ToArray();
            return isFeed;
        }

        /// <summary>InvokeRestMethodCommand.TryConvertToXml: an XmlDocument, white space preserved, DTDs ignored.</summary>
        private static bool TryReadXml(string text, out XmlDocument? document, out Exception? failure)
        {
            document = null;
            failure = null;
            try
            {
                using (XmlReader reader = XmlReader.Create(new StringReader(text), SecureSettings()))
                {
                    var loaded = new XmlDocument { PreserveWhitespace = true };
                    loaded.Load(reader);
                    document = loaded;
                    return true;
                }
            }
            catch (XmlException e)
            {
                failure = e;
                return false;
            }
        }

        /// <summary>Invoke-RestMethod's reader settings: no DTD processing, no resolver, bounded entity expansion.</summary>
        private static XmlReaderSettings SecureSettings() => new XmlReaderSettings
        {
            CheckCharacters = false,
            CloseInput = false,
            IgnoreProcessingInstructions = true,
            MaxCharactersFromEntities = 1024,
            DtdProcessing = DtdProcessing.Ignore,
            XmlResolver = null,
        };

        private static bool IsName(XmlReader reader, string name) => string.Equals(name, reader.Name, StringComparison.OrdinalIgnoreCase);

        /// <summary>
        /// What Content-Type declares. JSON: Invoke-RestMethod's JSON types and any "+json" type (problem+json and
        /// the like). XML: its XML types ("+xml" included) and text/xml. Only the parse error depends on it.
        /// </summary>
        private static Declared Classify(string? contentType)
        {
            if (contentType == null)
            {
                return Declared.Other;
            }

            int semicolon = contentType.IndexOf(';');
            string media = (semicolon < 0 ? contentType : contentType.Substring(0, semicolon)).Trim();
            if (media.EndsWith("+json", StringComparison.OrdinalIgnoreCase) || IsOneOf(media, JsonTypes))
            {
                return Declared.Json;
            }

            return media.EndsWith("+xml", StringComparison.OrdinalIgnoreCase) || IsOneOf(media, XmlTypes) || media.Equals("text/xml", StringComparison.OrdinalIgnoreCase)
                ? Declared.Xml
                : Declared.Other;
        }

        private static bool IsOneOf(string media, string[] types)
        {
            foreach (string type in types)
            {
                if (media.Equals(type, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The index of the first character that is not white space (nor a byte order mark); -1 for none.</summary>
        private static int FirstSignificant(string text)
        {
            for (int i = 0; i < text.Length; i++)
            {
                if (!char.IsWhiteSpace(text[i]) && text[i] != '\uFEFF')
                {
                    return i;
                }
            }

            return -1;
        }

        private static bool IsBlank(string text) => FirstSignificant(text) < 0;
    }
}
