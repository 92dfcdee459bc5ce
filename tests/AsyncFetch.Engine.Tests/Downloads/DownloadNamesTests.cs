using System;
using System.Text;

namespace AsyncFetch.Engine.Tests.Downloads
{
    /// <summary>Names for downloaded files: where they come from and that a hostile one is made safe.</summary>
    public sealed class DownloadNamesTests
    {
        [Theory]
        [InlineData("../../etc/passwd", "passwd")]
        [InlineData("..\\..\\x", "x")]
        [InlineData("/etc/shadow", "shadow")]
        [InlineData("C:\\Windows\\win.ini", "win.ini")]
        [InlineData("dir/", null)]
        [InlineData("..", null)]
        [InlineData(".", null)]
        [InlineData("...", null)]
        [InlineData("", null)]
        [InlineData("   ", null)]
        [InlineData("a<b>c:d\"e|f?g*h.txt", "a_b_c_d_e_f_g_h.txt")]
        [InlineData("tab\there\u0000nul\u001b[31m.txt", "tabherenul[31m.txt")]
        [InlineData("c1\u0085control", "c1control")]
        [InlineData("trailing. . .", "trailing")]
        [InlineData("  spaced name.txt  ", "spaced name.txt")]
        [InlineData(".htaccess", ".htaccess")]
        [InlineData("report 2024.pdf", "report 2024.pdf")]
        [InlineData("\u00fcber \u20ac.txt", "\u00fcber \u20ac.txt")]
        public void Sanitize_keeps_a_safe_last_component(string input, string? expected)
        {
            Assert.Equal(expected, DownloadNames.Sanitize(input));
        }

        [Theory]
        [InlineData("CON", "_CON")]
        [InlineData("con", "_con")]
        [InlineData("nul.txt", "_nul.txt")]
        [InlineData("Aux.tar.gz", "_Aux.tar.gz")]
        [InlineData("PRN ", "_PRN")]
        [InlineData("COM1", "_COM1")]
        [InlineData("com9.log", "_com9.log")]
        [InlineData("LPT1", "_LPT1")]
        [InlineData("lpt0.x", "_lpt0.x")]
        [InlineData("COM\u00b9", "_COM\u00b9")]
        [InlineData("CONOUT$", "_CONOUT$")]
        [InlineData("CONSOLE", "CONSOLE")]
        [InlineData("COM10", "COM10")]
        [InlineData("LPT", "LPT")]
        [InlineData("xcon", "xcon")]
        public void Windows_device_names_get_a_prefix(string input, string expected)
        {
            Assert.Equal(expected, DownloadNames.Sanitize(input));
        }

        [Fact]
        public void A_very_long_name_is_shortened_keeping_its_extension()
        {
            string name = new string('a', 500) + ".tar";
            string result = DownloadNames.Sanitize(name)!;
            Assert.True(Encoding.UTF8.GetByteCount(result) <= DownloadNames.MaxNameBytes, result.Length.ToString());
            Assert.EndsWith(".tar", result, StringComparison.Ordinal);
            Assert.StartsWith("aaaa", result, StringComparison.Ordinal);
        }

        [Fact]
        public void A_long_multibyte_name_is_cut_on_a_character_boundary()
        {
            string name = string.Concat(System.Linq.Enumerable.Repeat("\u20ac\U0001F600", 100)) + ".txt"; // 3 + 4 bytes each
            string result = DownloadNames.Sanitize(name)!;
            int bytes = Encoding.UTF8.GetByteCount(result);
            Assert.True(bytes <= DownloadNames.MaxNameBytes && bytes > DownloadNames.MaxNameBytes - 8, bytes.ToString());
            Assert.EndsWith(".txt", result, StringComparison.Ordinal);
            Assert.Equal(result, new UTF8Encoding(false, true).GetString(new UTF8Encoding(false, true).GetBytes(result))); // no lone surrogate
        }

        [Fact]
        public void A_long_extension_is_not_kept_whole()
        {
            string name = "x." + new string('e', 400);
            string result = DownloadNames.Sanitize(name)!;
            Assert.True(Encoding.UTF8.GetByteCount(result) <= DownloadNames.MaxNameBytes);
            Assert.StartsWith("x.eee", result, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("attachment; filename=\"report 2024.pdf\"", "report 2024.pdf")]
        [InlineData("attachment; filename=plain.txt", "plain.txt")]
        [InlineData("attachment;filename=plain.txt;size=3", "plain.txt")]
        [InlineData("attachment; filename=\"quo\\\"te.txt\"", "quo\"te.txt")]
        [InlineData("attachment; filename=\"a;b.txt\"", "a;b.txt")]
        [InlineData("attachment; FILENAME=\"upper.txt\"", "upper.txt")]
        [InlineData("attachment; filename*=UTF-8''%E2%82%AC%20rates.txt", "\u20ac rates.txt")]
        [InlineData("attachment; filename=\"fallback.txt\"; filename*=UTF-8''%C3%BCber.txt", "\u00fcber.txt")]
        [InlineData("attachment; filename*=utf-8'en'na%C3%AFve.txt; filename=\"naive.txt\"", "na\u00efve.txt")]
        [InlineData("attachment; filename*=iso-8859-1''%E9t%E9.txt", "\u00e9t\u00e9.txt")]
        [InlineData("attachment; filename*=UTF-8''%FF%FE.txt; filename=\"ok.txt\"", "ok.txt")] // invalid UTF-8: filename* ignored
        [InlineData("attachment; filename*=KOI8-R''%C1.txt; filename=\"ok.txt\"", "ok.txt")] // unknown charset
        [InlineData("attachment", null)]
        [InlineData("inline; size=10", null)]
        [InlineData("", null)]
        public void Content_disposition_gives_the_name(string value, string? expected)
        {
            Assert.Equal(expected, DownloadNames.FromContentDisposition(value));
        }

        [Fact]
        public void A_raw_utf8_filename_arriving_as_latin1_is_read_as_utf8()
        {
            byte[] utf8 = Encoding.UTF8.GetBytes("attachment; filename=\"caf\u00e9.txt\"");
            string latin1 = Encoding.Latin1.GetString(utf8); // what the parser makes of the header bytes
            Assert.Equal("caf\u00e9.txt", DownloadNames.FromContentDisposition(latin1));
            Assert.Equal("caf\u00e9.txt", DownloadNames.FromContentDisposition("attachment; filename=\"caf\u00e9.txt\"")); // Latin-1 that is not UTF-8 stays
        }

        [Theory]
        [InlineData(null, "http://h/files/report.pdf", "report.pdf")]
        [InlineData(null, "http://h/files/my%20file.txt?x=1#f", "my file.txt")]
        [InlineData(null, "http://h/", "index.html")]
        [InlineData(null, "http://h/dir/", "index.html")]
        [InlineData(null, "http://h/a/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "passwd")]
        [InlineData(null, "http://h/a/%2e%2e", "index.html")] // the URI parser resolves the decoded "..": the path is "/"
        [InlineData(null, "http://h/x/..%5C..%5Cboot.ini", "boot.ini")]
        [InlineData(null, "http://h/CON", "_CON")]
        [InlineData(null, "http://h/x/%00%01", "download")]
        [InlineData("attachment; filename=\"../../evil.sh\"", "http://h/file.bin", "evil.sh")]
        [InlineData("attachment; filename=\"..\"", "http://h/file.bin", "file.bin")] // unusable: the URL's name
        [InlineData("attachment; filename*=UTF-8''%2e%2e%2f%2e%2e%2fx", "http://h/file.bin", "x")]
        [InlineData("attachment; filename=\"\"", "http://h/", "index.html")]
        public void Derive_prefers_the_server_name_then_the_url(string? disposition, string url, string expected)
        {
            Assert.Equal(expected, DownloadNames.Derive(disposition, new Uri(url)));
        }

        [Theory]
        [InlineData("report.pdf", 1, "report (1).pdf")]
        [InlineData("archive.tar.gz", 2, "archive.tar (2).gz")]
        [InlineData("noext", 3, "noext (3)")]
        [InlineData(".profile", 1, ".profile (1)")]
        public void Collision_suffixes_go_before_the_extension(string name, int n, string expected)
        {
            Assert.Equal(expected, DownloadNames.WithSuffix(name, n));
        }
    }
}
