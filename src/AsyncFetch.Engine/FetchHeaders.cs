using System;
using System.Collections;
using System.Collections.Generic;
using AsyncFetch.Engine.Http;

namespace AsyncFetch
{
    /// <summary>
    /// HTTP header fields in the order received, looked up case-insensitively. The indexer joins repeated fields
    /// with ", " (RFC 9110 5.3); <see cref="GetValues"/> returns them one by one.
    ///
    /// It is also a (non-generic) dictionary of name → joined value, so PowerShell shows it as a Name/Value table,
    /// $h.'Content-Type' works, and ConvertTo-Json writes an object of strings. Enumerated from C# as
    /// KeyValuePairs it gives the fields one by one, in order; ToString gives them on one line, credentials masked (what
    /// Export-Csv and the screen show).
    /// </summary>
    public sealed class FetchHeaders : IEnumerable<KeyValuePair<string, string>>, IDictionary
    {
        private readonly HttpHeaderList _fields;

        /// <summary>An empty list.</summary>
        public FetchHeaders()
        {
            _fields = new HttpHeaderList();
        }

        /// <summary>A list holding <paramref name="fields"/> in order.</summary>
        public FetchHeaders(IEnumerable<KeyValuePair<string, string>> fields)
        {
            _fields = new HttpHeaderList(fields);
        }

        private FetchHeaders(HttpHeaderList fields)
        {
            _fields = fields;
        }

        /// <summary>The number of fields (a repeated name counts once per field).</summary>
        public int Count => _fields.Count;

        /// <summary>The field's value, repeated fields joined with ", "; null when absent.</summary>
        public string? this[string name] => _fields[name];

        /// <summary>Adds a field at the end; a name may repeat.</summary>
        public void Add(string name, string value) => _fields.Add(name, value);

        /// <summary>True when a field of that name (case-insensitive) is present.</summary>
        public bool Contains(string name) => _fields.Contains(name);

        /// <summary>The values of every field of that name (case-insensitive), in order.</summary>
        public IEnumerable<string> GetValues(string name) => _fields.GetValues(name);

        /// <summary>Removes every field.</summary>
        public void Clear() => _fields.Clear();

        /// <inheritdoc/>
        public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _fields.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        /// <summary>The distinct field names, in order of first appearance.</summary>
        public List<string> Names
        {
            get
            {
                var names = new List<string>();
                foreach (KeyValuePair<string, string> f in _fields)
                {
                    if (!names.Exists(n => string.Equals(n, f.Key, StringComparison.OrdinalIgnoreCase)))
                    {
                        names.Add(f.Key);
                    }
                }

                return names;
            }
        }

        bool IDictionary.IsFixedSize => false;

        bool IDictionary.IsReadOnly => false;

        ICollection IDictionary.Keys => (ICollection)Names;

        ICollection IDictionary.Values => Names.ConvertAll(n => this[n]!);

        int ICollection.Count => Names.Count;

        bool ICollection.IsSynchronized => false;

        object ICollection.SyncRoot => this;

        object? IDictionary.this[object key]
        {
            get => key is string name ? this[name] : null;
            set
            {
                string name = key?.ToString() ?? throw new ArgumentNullException(nameof(key));
                ((IDictionary)this).Remove(name);
                Add(name, value?.ToString() ?? string.Empty);
            }
        }

        void IDictionary.Add(object key, object? value) => Add(key?.ToString() ?? throw new ArgumentNullException(nameof(key)), value?.ToString() ?? string.Empty);

        bool IDictionary.Contains(object key) => key is string name && Contains(name);

        void IDictionary.Remove(object key) => _fields.RemoveAll(key?.ToString());

        IDictionaryEnumerator IDictionary.GetEnumerator()
        {
            var ordered = new List<DictionaryEntry>();
            foreach (string name in Names)
            {
                ordered.Add(new DictionaryEntry(name, this[name]));
            }

            return new EntryEnumerator(ordered);
        }

        void ICollection.CopyTo(Array array, int index)
        {
            foreach (string name in Names)
            {
                array.SetValue(new DictionaryEntry(name, this[name]), index++);
            }
        }

        private sealed class EntryEnumerator : IDictionaryEnumerator
        {
            private readonly List<DictionaryEntry> _entries;
            private int _index = -1;

            public EntryEnumerator(List<DictionaryEntry> entries) => _entries = entries;

            public DictionaryEntry Entry => _entries[_index];

            public object Key => Entry.Key;

            public object? Value => Entry.Value;

            public object Current => Entry;

            public bool MoveNext() => ++_index < _entries.Count;

            public void Reset() => _index = -1;
        }

        /// <summary>
        /// The fields on one line, "Name: value; Name: value", with the values of credential fields (Authorization,
        /// Cookie, Set-Cookie, Proxy-Authorization) shown as "***": a CSV cell or a table column, never a secret.
        /// </summary>
        public override string ToString()
        {
            var line = new System.Text.StringBuilder();
            foreach (KeyValuePair<string, string> field in _fields)
            {
                if (line.Length > 0)
                {
                    line.Append("; ");
                }

                line.Append(field.Key).Append(": ").Append(FetchRedaction.HeaderValue(field.Key, field.Value));
            }

            return line.ToString();
        }

        /// <summary>Headers over <paramref name="fields"/> itself, not a copy (a response's, which nothing else changes afterwards).</summary>
        internal static FetchHeaders Wrap(HttpHeaderList fields) => new FetchHeaders(fields);
    }
}
