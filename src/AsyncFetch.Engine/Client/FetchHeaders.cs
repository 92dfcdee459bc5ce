using System;
using System.Collections;
using System.Collections.Generic;
using System.Text;

namespace AsyncFetch
{
    /// <summary>
    /// HTTP header fields in the order received, looked up case-insensitively. The indexer joins repeated fields
    /// with ", " (RFC 9110 5.3); <see cref="GetValues"/> returns them one by one.
    /// </summary>
    public sealed class FetchHeaders : IEnumerable<KeyValuePair<string, string>>
    {
        private readonly List<KeyValuePair<string, string>> _fields;

        public FetchHeaders()
        {
            _fields = new List<KeyValuePair<string, string>>();
        }

        public FetchHeaders(IEnumerable<KeyValuePair<string, string>> fields)
        {
            _fields = new List<KeyValuePair<string, string>>(fields);
        }

        public int Count => _fields.Count;

        /// <summary>The field's value, repeated fields joined with ", "; null when absent.</summary>
        public string? this[string name]
        {
            get
            {
                string? first = null;
                StringBuilder? joined = null;
                foreach (KeyValuePair<string, string> f in _fields)
                {
                    if (!string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }

                    if (first == null)
                    {
                        first = f.Value;
                    }
                    else
                    {
                        joined ??= new StringBuilder(first);
                        joined.Append(", ").Append(f.Value);
                    }
                }

                return joined?.ToString() ?? first;
            }
        }

        public void Add(string name, string value) => _fields.Add(new KeyValuePair<string, string>(name, value));

        public bool Contains(string name)
        {
            foreach (KeyValuePair<string, string> f in _fields)
            {
                if (string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        public IEnumerable<string> GetValues(string name)
        {
            foreach (KeyValuePair<string, string> f in _fields)
            {
                if (string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    yield return f.Value;
                }
            }
        }

        public void Clear() => _fields.Clear();

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _fields.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        /// <summary>The fields as "Name: value" lines, as they would appear on the wire.</summary>
        public override string ToString()
        {
            var sb = new StringBuilder();
            foreach (KeyValuePair<string, string> f in _fields)
            {
                if (sb.Length > 0)
                {
                    sb.Append("\r\n");
                }

                sb.Append(f.Key).Append(": ").Append(f.Value);
            }

            return sb.ToString();
        }
    }
}
