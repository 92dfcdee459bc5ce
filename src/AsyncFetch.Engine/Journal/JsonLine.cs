using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace AsyncFetch.Engine.Journal
{
    /// <summary>
    /// The little JSON the journal needs: one flat object per line with string, number, boolean and null values.
    /// Hand-written so the module carries no JSON library (one DLL set for PowerShell 5.1 and 7).
    /// </summary>
    internal static class JsonLine
    {
        public static void AppendString(StringBuilder sb, string name, string? value)
        {
            AppendName(sb, name);
            if (value == null)
            {
                sb.Append("null");
                return;
            }

            sb.Append('"');
            foreach (char c in value)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < 0x20 || c == '\u2028' || c == '\u2029')
                        {
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            sb.Append(c);
                        }

                        break;
                }
            }

            sb.Append('"');
        }

        public static void AppendNumber(StringBuilder sb, string name, double value)
        {
            AppendName(sb, name);
            sb.Append(value.ToString("R", CultureInfo.InvariantCulture));
        }

        public static void AppendBool(StringBuilder sb, string name, bool value)
        {
            AppendName(sb, name);
            sb.Append(value ? "true" : "false");
        }

        /// <summary>Parses one line; null when it is not a complete flat JSON object (e.g. a torn last line).</summary>
        public static Dictionary<string, object?>? Parse(string line)
        {
            var result = new Dictionary<string, object?>(StringComparer.Ordinal);
            int i = 0;
            SkipSpace(line, ref i);
            if (i >= line.Length || line[i] != '{')
            {
                return null;
            }

            i++;
            SkipSpace(line, ref i);
            if (i < line.Length && line[i] == '}')
            {
                return End(line, i + 1) ? result : null;
            }

            while (true)
            {
                SkipSpace(line, ref i);
                string? name = ReadString(line, ref i);
                if (name == null)
                {
                    return null;
                }

                SkipSpace(line, ref i);
                if (i >= line.Length || line[i] != ':')
                {
                    return null;
                }

                i++;
                SkipSpace(line, ref i);
                if (!ReadValue(line, ref i, out object? value))
                {
                    return null;
                }

                result[name] = value;
                SkipSpace(line, ref i);
                if (i >= line.Length)
                {
                    return null;
                }

                if (line[i] == ',')
                {
                    i++;
                    continue;
                }

                return line[i] == '}' && End(line, i + 1) ? result : null;
            }
        }

        private static void AppendName(StringBuilder sb, string name)
        {
            sb.Append(sb.Length > 1 ? ",\"" : "\"").Append(name).Append("\":");
        }

        private static bool End(string line, int i)
        {
            SkipSpace(line, ref i);
            return i == line.Length;
        }

        private static void SkipSpace(string s, ref int i)
        {
            while (i < s.Length && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
            {
                i++;
            }
        }

        private static bool ReadValue(string s, ref int i, out object? value)
        {
            value = null;
            if (i >= s.Length)
            {
                return false;
            }

            char c = s[i];
            if (c == '"')
            {
                value = ReadString(s, ref i);
                return value != null;
            }

            foreach (var (word, v) in new (string, object?)[] { ("null", null), ("true", true), ("false", false) })
            {
                if (string.CompareOrdinal(s, i, word, 0, word.Length) == 0)
                {
                    i += word.Length;
                    value = v;
                    return true;
                }
            }

            int start = i;
            while (i < s.Length && "+-0123456789.eE".IndexOf(s[i]) >= 0)
            {
                i++;
            }

            if (i > start && double.TryParse(s.Substring(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            {
                value = d;
                return true;
            }

            return false;
        }

        private static string? ReadString(string s, ref int i)
        {
            if (i >= s.Length || s[i] != '"')
            {
                return null;
            }

            var sb = new StringBuilder();
            for (i++; i < s.Length; i++)
            {
                char c = s[i];
                if (c == '"')
                {
                    i++;
                    return sb.ToString();
                }

                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }

                if (++i >= s.Length)
                {
                    return null;
                }

                switch (s[i])
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (i + 4 >= s.Length || !int.TryParse(s.Substring(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
                        {
                            return null;
                        }

                        sb.Append((char)code);
                        i += 4;
                        break;
                    default:
                        return null;
                }
            }

            return null; // unterminated: a torn line
        }
    }
}
