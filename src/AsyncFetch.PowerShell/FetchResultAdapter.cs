using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Management.Automation;

namespace AsyncFetch.PowerShell
{
    /// <summary>
    /// How PowerShell sees a <see cref="FetchResult"/> (registered for the type in AsyncFetch.Types.ps1xml), so that
    /// results travel well:
    /// <list type="bullet">
    /// <item>Content is what Invoke-WebRequest's Content is: a string for a text body (text/*, JSON, XML, JavaScript),
    /// a byte[] for any other body (an image, a zip, a body with no Content-Type).</item>
    /// <item>The listed properties (what Get-Member, Format-List *, Export-Csv and ConvertTo-Json enumerate) are
    /// scalars and one-line values: the body (Content), the pipeline input (Input) and the links (Links) are not
    /// listed, so a CSV row never holds a body or a multi-line cell. They are still there by name:
    /// <c>$r.Content</c>, <c>Select-Object RequestedUri, Content</c>.</item>
    /// </list>
    /// Methods (GetBody, GetRequest, GetException, ...) are the .NET ones. Any thread: it keeps no state.
    /// </summary>
    public sealed class FetchResultAdapter : PSPropertyAdapter
    {
        private sealed class Member
        {
            public Member(string name, string typeName, bool listed, Func<FetchResult, object?> get)
            {
                Name = name;
                TypeName = typeName;
                Listed = listed;
                Get = get;
            }

            public string Name { get; }

            public string TypeName { get; }

            public bool Listed { get; }

            public Func<FetchResult, object?> Get { get; }
        }

        private static readonly Member[] Members =
        {
            new Member("RequestedUri", "System.String", true, r => r.RequestedUri),
            new Member("Uri", "System.Uri", true, r => r.Uri),
            new Member("Method", "System.String", true, r => r.Method),
            new Member("StatusCode", "System.Int32", true, r => r.StatusCode),
            new Member("ReasonPhrase", "System.String", true, r => r.ReasonPhrase),
            new Member("HttpVersion", "System.String", true, r => r.HttpVersion),
            new Member("ContentType", "System.String", true, r => r.ContentType),
            new Member("ContentLength", "System.Int64", true, r => r.ContentLength),
            new Member("CharsetFallback", "System.String", true, r => r.CharsetFallback),
            new Member("OutFile", "System.String", true, r => r.OutFile),
            new Member("ErrorKind", typeof(FetchErrorKind).FullName!, true, r => r.ErrorKind),
            new Member("ErrorMessage", "System.String", true, r => r.ErrorMessage),
            new Member("Succeeded", "System.Boolean", true, r => r.Succeeded),
            new Member("IsResponse", "System.Boolean", true, r => r.IsResponse),
            new Member("ElapsedMs", "System.Double", true, r => r.ElapsedMs),
            new Member("Attempts", "System.Int32", true, r => r.Attempts),
            new Member("RedirectCount", "System.Int32", true, r => r.RedirectCount),
            new Member("RemoteEndPoint", "System.String", true, r => r.RemoteEndPoint),
            new Member("Proxy", "System.String", true, r => r.Proxy),
            new Member("Headers", typeof(FetchHeaders).FullName!, true, r => r.Headers),
            new Member("Timings", typeof(FetchTimings).FullName!, true, r => r.Timings),
            new Member("Coalesced", "System.Boolean", true, r => r.Coalesced),
            new Member("Depth", "System.Int32", true, r => r.Depth),
            new Member("Referrer", "System.String", true, r => r.Referrer),
            new Member("Content", "System.Object", false, ContentOf),
            new Member("Input", "System.Object", false, r => r.Input),
            new Member("Links", "System.Collections.Generic.IReadOnlyList`1[[AsyncFetch.FetchLink]]", false, r => r.GetLinks()),
        };

        private static readonly Dictionary<string, Member> ByName = Index();

        /// <summary>Content as Invoke-WebRequest gives it: the text for a text body, the bytes otherwise; null without a body in memory.</summary>
        public static object? ContentOf(FetchResult result)
        {
            byte[]? body = result.GetBody();
            if (body == null)
            {
                return null;
            }

            return IsText(result.ContentType) ? result.Content : body;
        }

        /// <summary>
        /// Invoke-WebRequest's rule for a text body: text/*, the XML types (application/xml, ...+xml) and the JSON and
        /// JavaScript types (application/json, ...+json, application/javascript, ...). No Content-Type is not text.
        /// </summary>
        public static bool IsText(string? contentType)
        {
            if (string.IsNullOrWhiteSpace(contentType))
            {
                return false;
            }

            string media = contentType!;
            int semicolon = media.IndexOf(';');
            media = (semicolon >= 0 ? media.Substring(0, semicolon) : media).Trim().ToLowerInvariant();
            if (media.StartsWith("text/", StringComparison.Ordinal) || media.EndsWith("+xml", StringComparison.Ordinal) || media.EndsWith("+json", StringComparison.Ordinal))
            {
                return true;
            }

            switch (media)
            {
                case "application/xml":
                case "application/xml-external-parsed-entity":
                case "application/xml-dtd":
                case "application/json":
                case "application/javascript":
                case "application/x-javascript":
                case "application/ecmascript":
                    return true;
                default:
                    return false;
            }
        }

        /// <inheritdoc/>
        public override Collection<PSAdaptedProperty> GetProperties(object baseObject)
        {
            var listed = new Collection<PSAdaptedProperty>();
            foreach (Member member in Members)
            {
                if (member.Listed)
                {
                    listed.Add(new PSAdaptedProperty(member.Name, member));
                }
            }

            return listed;
        }

        /// <inheritdoc/>
        public override PSAdaptedProperty? GetProperty(object baseObject, string propertyName) =>
            propertyName != null && ByName.TryGetValue(propertyName, out Member? member) ? new PSAdaptedProperty(member.Name, member) : null;

        /// <inheritdoc/>
        public override bool IsGettable(PSAdaptedProperty adaptedProperty) => true;

        /// <inheritdoc/>
        public override bool IsSettable(PSAdaptedProperty adaptedProperty) => false;

        /// <inheritdoc/>
        public override object? GetPropertyValue(PSAdaptedProperty adaptedProperty) =>
            ((Member)adaptedProperty.Tag).Get((FetchResult)adaptedProperty.BaseObject);

        /// <inheritdoc/>
        public override void SetPropertyValue(PSAdaptedProperty adaptedProperty, object value) =>
            throw new SetValueException($"The {adaptedProperty.Name} property of a fetch result is read-only.");

        /// <inheritdoc/>
        public override string GetPropertyTypeName(PSAdaptedProperty adaptedProperty) => ((Member)adaptedProperty.Tag).TypeName;

        private static Dictionary<string, Member> Index()
        {
            var byName = new Dictionary<string, Member>(StringComparer.OrdinalIgnoreCase);
            foreach (Member member in Members)
            {
                byName.Add(member.Name, member);
            }

            return byName;
        }
    }
}
