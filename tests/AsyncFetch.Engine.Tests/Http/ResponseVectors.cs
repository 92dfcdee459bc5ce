using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Tests.Http
{
    /// <summary>One response vector from vectors/*.md: the raw bytes and the expected outcome lines.</summary>
    internal sealed class ResponseVector
    {
        public string Id { get; init; } = string.Empty;

        public byte[] Input { get; init; } = Array.Empty<byte>();

        /// <summary>Lower-case key, raw value; a key may repeat (header).</summary>
        public List<KeyValuePair<string, string>> Expect { get; } = new List<KeyValuePair<string, string>>();

        public string? Get(string key) => Expect.Where(e => e.Key == key).Select(e => e.Value).LastOrDefault();

        public bool Flag(string key) => Get(key) is string v && (v == "yes" || v == "true");

        public bool Eof => Flag("eof");

        public bool Head => Flag("head");

        public HttpParseStatus ExpectedStatus => (Get("result") ?? throw new FormatException(Id + ": no result line")).StartsWith("Complete", StringComparison.Ordinal)
            ? HttpParseStatus.Complete
            : HttpParseStatus.Error;

        public override string ToString() => Id;
    }

    /// <summary>Loads the Markdown vector files from the source tree (the csproj is not ours to change, so they are not copied).</summary>
    internal static class ResponseVectors
    {
        private static readonly Lazy<IReadOnlyDictionary<string, ResponseVector>> All = new Lazy<IReadOnlyDictionary<string, ResponseVector>>(Load);

        public static IReadOnlyDictionary<string, ResponseVector> ById => All.Value;

        public static ResponseVector Get(string id) => All.Value[id];

        /// <summary>Theory data: one row per vector id.</summary>
        public static IEnumerable<object[]> Ids() => All.Value.Keys.Select(k => new object[] { k });

        public static string VectorDirectory()
        {
            const string Relative = "tests/AsyncFetch.Engine.Tests/Http/vectors";
            for (DirectoryInfo? dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, Relative);
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new DirectoryNotFoundException("No " + Relative + " above " + AppContext.BaseDirectory);
        }

        private static IReadOnlyDictionary<string, ResponseVector> Load()
        {
            var result = new SortedDictionary<string, ResponseVector>(StringComparer.Ordinal);
            foreach (string file in Directory.GetFiles(VectorDirectory(), "*.md").Where(f => Path.GetFileName(f) != "README.md").OrderBy(f => f, StringComparer.Ordinal))
            {
                foreach (ResponseVector v in Parse(Path.GetFileNameWithoutExtension(file), File.ReadAllLines(file)))
                {
                    result.Add(v.Id, v);
                }
            }

            return result;
        }

        /// <summary>"## name", then a ``` block (the raw response), then "- key: value" lines.</summary>
        internal static IEnumerable<ResponseVector> Parse(string fileName, string[] lines)
        {
            ResponseVector? current = null;
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i];
                if (line.StartsWith("## ", StringComparison.Ordinal))
                {
                    if (current != null)
                    {
                        yield return Check(current);
                    }

                    current = new ResponseVector { Id = fileName + "/" + line.Substring(3).Trim() };
                }
                else if (current != null && line.StartsWith("```", StringComparison.Ordinal))
                {
                    var bytes = new List<byte>();
                    for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
                    {
                        bytes.AddRange(Escaping.Decode(lines[i], out bool terminated));
                        if (!terminated)
                        {
                            bytes.Add(13);
                            bytes.Add(10);
                        }
                    }

                    current = new ResponseVector { Id = current.Id, Input = bytes.ToArray() };
                }
                else if (current != null && line.StartsWith("- ", StringComparison.Ordinal))
                {
                    int colon = line.IndexOf(':');
                    current.Expect.Add(new KeyValuePair<string, string>(line.Substring(2, colon - 2).Trim().ToLowerInvariant(), line.Substring(colon + 1).Trim()));
                }
            }

            if (current != null)
            {
                yield return Check(current);
            }
        }

        private static ResponseVector Check(ResponseVector v)
        {
            _ = v.ExpectedStatus; // every vector states its result
            return v;
        }

        /// <summary>Compares a parse result with the vector's expectation lines.</summary>
        public static void AssertExpected(ResponseVector v, DriveResult r)
        {
            HttpResponseParser p = r.Parser;
            string context = v.Id + "\n" + r.Summary;
            string result = v.Get("result")!;
            if (result == "Complete")
            {
                Assert.True(r.Status == HttpParseStatus.Complete, "expected Complete\n" + context);
            }
            else
            {
                Assert.True(r.Status == HttpParseStatus.Error, "expected " + result + "\n" + context);
                Assert.Equal(Enum.Parse<HttpParseError>(result.Substring("Error ".Length)), p.Error);
            }

            // With "eof: yes" the result needs FinishAtEndOfStream; without it Parse alone must reach it.
            Assert.True(v.Eof == (r.StatusBeforeEof == HttpParseStatus.NeedMore), "eof flag vs. Parse result " + r.StatusBeforeEof + "\n" + context);

            foreach (KeyValuePair<string, string> e in v.Expect)
            {
                string value = e.Value;
                switch (e.Key)
                {
                    case "result":
                    case "eof":
                    case "head":
                        break;
                    case "status":
                        Assert.Equal(int.Parse(value, CultureInfo.InvariantCulture), p.StatusCode);
                        break;
                    case "reason":
                        Assert.Equal(Latin1(Escaping.Decode(value)), p.ReasonPhrase);
                        break;
                    case "version":
                        Assert.Equal(value, "1." + p.MinorVersion);
                        break;
                    case "headers":
                        Assert.Equal(int.Parse(value, CultureInfo.InvariantCulture), p.Headers.Count);
                        break;
                    case "header":
                        int colon = value.IndexOf(':');
                        Assert.Equal(Latin1(Escaping.Decode(value.Substring(colon + 1).Trim())), p.Headers[value.Substring(0, colon)]);
                        break;
                    case "no-header":
                        Assert.Null(p.Headers[value]);
                        break;
                    case "body":
                        Assert.Equal(Escaping.Describe(Escaping.Decode(value)), Escaping.Describe(r.Body));
                        Assert.Equal(r.Body.Length, p.BodyBytes);
                        break;
                    case "keep-alive":
                        Assert.True((value == "yes") == p.KeepAlive, "keep-alive\n" + context);
                        break;
                    case "chunked":
                        Assert.True((value == "yes") == p.IsChunked, "chunked\n" + context);
                        break;
                    case "transfer-codings":
                        Assert.True((value == "none" ? string.Empty : value) == string.Join(", ", p.TransferCodings), "transfer-codings\n" + context);
                        break;
                    case "content-length":
                        Assert.Equal(value == "none" ? null : long.Parse(value, CultureInfo.InvariantCulture), p.ContentLength);
                        break;
                    case "leftover":
                        Assert.Equal(Escaping.Escape(Escaping.Decode(value)), Escaping.Escape(r.Leftover));
                        break;
                    default:
                        throw new FormatException(v.Id + ": unknown expectation '" + e.Key + "'");
                }
            }

            if (r.Status == HttpParseStatus.Complete && v.Get("body") == null)
            {
                Assert.True(r.Body.Length == 0, "unexpected body\n" + context);
            }

            if (r.Status == HttpParseStatus.Complete && v.Get("leftover") == null)
            {
                Assert.True(r.Leftover.Length == 0, "unexpected leftover\n" + context);
            }
        }

        private static string Latin1(byte[] bytes) => System.Text.Encoding.Latin1.GetString(bytes);
    }
}
