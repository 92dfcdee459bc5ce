using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;

namespace AsyncFetch.Engine.Tests.Journal
{
    /// <summary>The journal's hand-written JSON: what it writes is valid JSON on one line, and parses back to the same values.</summary>
    public sealed class JsonLineTests
    {
        public static IEnumerable<object[]> TrickyStrings()
        {
            string[] values =
            {
                string.Empty,
                "plain",
                "\"",
                "\\",
                "\\\"",
                "\"\\\"\\\\",
                "end with backslash\\",
                "a\nb",
                "a\r\nb",
                "\r",
                "\t tab",
                "\0",
                "\u0001\u0002\u0007\b\f\u000b\u001b\u001f",
                "\u007f del",
                "/ slash \\/ escaped",
                "é ü ß ñ",
                "日本語のテキスト",
                "emoji 😀 👩‍👩‍👧",
                "line\u2028separator",
                "para\u2029separator",
                "\u2028\u2029",
                "\u0085 next line",
                "\ufeff bom",
                "\\u0041 not an escape",
                "{\"nested\":\"json\"}",
                "http://host/path?q=\"a b\"&x=\\y#frag",
                new string('x', 10000),
            };
            foreach (string v in values)
            {
                yield return new object[] { v };
            }
        }

        [Theory]
        [MemberData(nameof(TrickyStrings))]
        public void String_round_trips_and_stays_on_one_line(string value)
        {
            var sb = new StringBuilder("{");
            JsonLine.AppendString(sb, "s", value);
            JsonLine.AppendString(sb, "after", "z");
            sb.Append('}');
            string line = sb.ToString();

            // One line: no raw line breaks of any kind a line reader (or a JavaScript consumer) splits on.
            Assert.DoesNotContain('\n', line);
            Assert.DoesNotContain('\r', line);
            Assert.DoesNotContain('\u2028', line);
            Assert.DoesNotContain('\u2029', line);

            Dictionary<string, object?>? parsed = JsonLine.Parse(line);
            Assert.NotNull(parsed);
            Assert.Equal(value, parsed!["s"]);
            Assert.Equal("z", parsed["after"]);

            // Valid JSON for any other reader too.
            using JsonDocument doc = JsonDocument.Parse(line);
            Assert.Equal(value, doc.RootElement.GetProperty("s").GetString());
        }

        [Fact]
        public void Null_numbers_and_booleans_round_trip()
        {
            var sb = new StringBuilder("{");
            JsonLine.AppendString(sb, "n", null);
            JsonLine.AppendNumber(sb, "zero", 0);
            JsonLine.AppendNumber(sb, "int", 404);
            JsonLine.AppendNumber(sb, "neg", -1.5);
            JsonLine.AppendNumber(sb, "frac", 123.456);
            JsonLine.AppendNumber(sb, "big", 1e300);
            JsonLine.AppendNumber(sb, "tiny", 1.25e-7);
            JsonLine.AppendNumber(sb, "long", 9007199254740993L);
            JsonLine.AppendBool(sb, "t", true);
            JsonLine.AppendBool(sb, "f", false);
            sb.Append('}');
            string line = sb.ToString();

            Dictionary<string, object?>? p = JsonLine.Parse(line);
            Assert.NotNull(p);
            Assert.Null(p!["n"]);
            Assert.Equal(0.0, p["zero"]);
            Assert.Equal(404.0, p["int"]);
            Assert.Equal(-1.5, p["neg"]);
            Assert.Equal(123.456, p["frac"]);
            Assert.Equal(1e300, p["big"]);
            Assert.Equal(1.25e-7, p["tiny"]);
            Assert.Equal((double)9007199254740993L, p["long"]);
            Assert.Equal(true, p["t"]);
            Assert.Equal(false, p["f"]);

            using JsonDocument doc = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("n").ValueKind);
            Assert.Equal(123.456, doc.RootElement.GetProperty("frac").GetDouble());
            Assert.True(doc.RootElement.GetProperty("t").GetBoolean());
        }

        [Theory]
        [InlineData("{}")]
        [InlineData("  { }  ")]
        [InlineData("{\"a\":1}")]
        [InlineData("{ \"a\" : \"x\" , \"b\" : null }\r")]
        [InlineData("{\"a\":\"\\u0041\\/\"}")]
        public void Whole_objects_parse(string line)
        {
            Assert.NotNull(JsonLine.Parse(line));
        }

        [Theory]
        [InlineData("")]
        [InlineData("   ")]
        [InlineData("{")]
        [InlineData("{\"a\"")]
        [InlineData("{\"a\":")]
        [InlineData("{\"a\":1")]
        [InlineData("{\"a\":1,")]
        [InlineData("{\"a\":\"x")]
        [InlineData("{\"a\":\"x\\")]
        [InlineData("{\"a\":\"\\u00")]
        [InlineData("{\"a\":tru")]
        [InlineData("{\"a\":1}}")]
        [InlineData("{\"a\":1} trailing")]
        [InlineData("[1,2]")]
        [InlineData("\"just a string\"")]
        [InlineData("{\"a\":\"\\q\"}")]
        [InlineData("{\"a\":-}")]
        [InlineData("{a:1}")]
        public void Incomplete_or_invalid_lines_do_not_parse(string line)
        {
            Assert.Null(JsonLine.Parse(line));
        }
    }
}
