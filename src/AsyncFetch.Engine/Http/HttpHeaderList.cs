using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// Header fields as name/value pairs in the order received, looked up case-insensitively; the lookup joins repeated
    /// fields with ", " (RFC 9110 section 5.3). The parser fills a new one per response, so a finished response keeps
    /// its own. One array that grows as a List does (4, then doubling); enumerating it while it changes throws, as a
    /// List's enumerator does.
    /// </summary>
    internal sealed class HttpHeaderList : IEnumerable<KeyValuePair<string, string>>
    {
        private KeyValuePair<string, string>[] _fields = Array.Empty<KeyValuePair<string, string>>();
        private int _count;
        private int _version;

        public HttpHeaderList()
        {
        }

        /// <summary>A list holding a copy of <paramref name="fields"/>, in their order.</summary>
        public HttpHeaderList(IEnumerable<KeyValuePair<string, string>> fields)
        {
            if (fields == null)
            {
                throw new ArgumentNullException(nameof(fields));
            }

            foreach (KeyValuePair<string, string> f in fields)
            {
                Add(f.Key, f.Value);
            }
        }

        public int Count => _count;

        /// <summary>The field's value, repeated fields joined with ", "; null when absent.</summary>
        public string? this[string name]
        {
            get
            {
                string? first = null;
                StringBuilder? joined = null;
                KeyValuePair<string, string>[] fields = _fields;
                int count = _count;
                for (int i = 0; i < count; i++)
                {
                    KeyValuePair<string, string> f = fields[i];
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

        /// <summary>Appends a field. Small enough to be inlined into the parser, as List.Add is; growing is out of line.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(string name, string value)
        {
            _version++;
            KeyValuePair<string, string>[] fields = _fields;
            int count = _count;
            if ((uint)count < (uint)fields.Length)
            {
                _count = count + 1;
                fields[count] = new KeyValuePair<string, string>(name, value);
            }
            else
            {
                AddWithResize(name, value);
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private void AddWithResize(string name, string value)
        {
            Array.Resize(ref _fields, _fields.Length == 0 ? 4 : _fields.Length * 2);
            _fields[_count++] = new KeyValuePair<string, string>(name, value);
        }

        public bool Contains(string name)
        {
            for (int i = 0; i < _count; i++)
            {
                if (string.Equals(_fields[i].Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The values of the fields named <paramref name="name"/>, one by one, in order.</summary>
        public IEnumerable<string> GetValues(string name)
        {
            foreach (KeyValuePair<string, string> f in this)
            {
                if (string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    yield return f.Value;
                }
            }
        }

        /// <summary>Removes every field named <paramref name="name"/> (case-insensitive); returns how many.</summary>
        public int RemoveAll(string? name)
        {
            int kept = 0;
            for (int i = 0; i < _count; i++)
            {
                if (!string.Equals(_fields[i].Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    _fields[kept++] = _fields[i];
                }
            }

            int removed = _count - kept;
            if (removed > 0)
            {
                Array.Clear(_fields, kept, removed);
                _count = kept;
                _version++;
            }

            return removed;
        }

        public void Clear()
        {
            Array.Clear(_fields, 0, _count);
            _count = 0;
            _version++;
        }

        public Enumerator GetEnumerator() => new Enumerator(this);

        IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        /// <summary>The fields as "Name: value" lines, as they would appear on the wire.</summary>
        public override string ToString()
        {
            var sb = new StringBuilder();
            for (int i = 0; i < _count; i++)
            {
                if (i > 0)
                {
                    sb.Append("\r\n");
                }

                sb.Append(_fields[i].Key).Append(": ").Append(_fields[i].Value);
            }

            return sb.ToString();
        }

        /// <summary>The fields in order; MoveNext throws once the list has changed.</summary>
        public struct Enumerator : IEnumerator<KeyValuePair<string, string>>
        {
            private readonly HttpHeaderList _list;
            private readonly int _version;
            private int _index;
            private KeyValuePair<string, string> _current;

            internal Enumerator(HttpHeaderList list)
            {
                _list = list;
                _version = list._version;
                _index = 0;
                _current = default;
            }

            public KeyValuePair<string, string> Current => _current;

            object IEnumerator.Current
            {
                get
                {
                    if (_index == 0 || _index == _list._count + 1)
                    {
                        throw new InvalidOperationException("Enumeration has either not started or has already finished.");
                    }

                    return _current;
                }
            }

            public bool MoveNext()
            {
                if (_version != _list._version)
                {
                    throw new InvalidOperationException("Collection was modified; enumeration operation may not execute.");
                }

                if (_index < _list._count)
                {
                    _current = _list._fields[_index++];
                    return true;
                }

                _index = _list._count + 1;
                _current = default;
                return false;
            }

            public void Reset()
            {
                if (_version != _list._version)
                {
                    throw new InvalidOperationException("Collection was modified; enumeration operation may not execute.");
                }

                _index = 0;
                _current = default;
            }

            public void Dispose()
            {
            }
        }
    }
}
