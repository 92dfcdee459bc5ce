using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using static AsyncFetch.Engine.Tests.Support.JournalTestUtil;

namespace AsyncFetch.Engine.Tests.Journal
{
    /// <summary>FetchJournal: one whole JSON line per Append; torn tails are ignored on reading and closed on reopening.</summary>
    public sealed class FetchJournalTests : IDisposable
    {
        private static readonly string[] Fields =
        {
            "id", "time", "input", "method", "uri", "finalUri", "status", "errorKind", "error", "bytes", "elapsedMs", "attempts", "succeeded", "outFile",
        };

        private readonly ScratchDir _dir = new ScratchDir();

        public void Dispose() => _dir.Dispose();

        [TmpfsTheory]
        [InlineData(false)]
        [InlineData(true)]
        public void A_full_disk_is_reported_as_the_journal_that_cannot_be_opened_not_as_one_in_use(bool journalExists)
        {
            // A file system with no inode left: the journal (or its lock file) cannot be created.
            string mount = _dir.File("small");
            Directory.CreateDirectory(mount);
            FileSystemTraps.MountTmpfs(mount, "size=64k,nr_inodes=16");
            try
            {
                string path = Path.Combine(mount, "j.jsonl");
                if (journalExists)
                {
                    File.WriteAllText(path, "");
                }

                for (int i = 0; i < 64; i++)
                {
                    try
                    {
                        File.WriteAllText(Path.Combine(mount, "f" + i.ToString(CultureInfo.InvariantCulture)), "");
                    }
                    catch (IOException)
                    {
                        break; // no inode left
                    }
                }

                var e = Assert.Throws<IOException>(() => FetchJournal.OpenForAppend(path));
                Assert.StartsWith($"The journal '{path}' cannot be opened for appending: ", e.Message, StringComparison.Ordinal);
                Assert.Contains("No space left on device", e.Message, StringComparison.Ordinal);
            }
            finally
            {
                FileSystemTraps.Unmount(mount);
            }
        }

        [Fact]
        public void A_journal_held_by_another_run_says_so()
        {
            string path = _dir.File("held.jsonl");
            using (FetchJournal.OpenForAppend(path))
            {
                var e = Assert.Throws<JournalInUseException>(() => FetchJournal.OpenForAppend(path));
                Assert.Equal($"The journal '{Path.GetFullPath(path)}' is in use by another run (its lock file {Path.GetFullPath(path)}.lock is held).", e.Message);
            }
        }

        [Fact]
        public void Each_append_writes_one_parseable_line_with_the_documented_fields()
        {
            string path = _dir.File("j.jsonl");
            FetchResult ok = Response("http://example.test/a?x=1", 200, bytes: 1234, elapsedMs: 45.678, input: "  http://example.test/a?x=1  ");
            FetchResult notFound = Response("http://example.test/missing", 404, bytes: 9, elapsedMs: 2);
            FetchResult lost = Failure("http://example.test/reset", FetchErrorKind.ConnectionLost, "reset \"by\" peer\nline 2");
            FetchResult post = Response("http://example.test/post", 201, method: "POST", body: Encoding.UTF8.GetBytes("payload"), input: "é 日本 \u2028");
            DateTime before = DateTime.UtcNow.AddSeconds(-1);
            using (FetchJournal journal = FetchJournal.OpenForAppend(path))
            {
                Assert.Equal(Path.GetFullPath(path), journal.Path);
                journal.Append(ok, "  http://example.test/a?x=1  ");
                Assert.Single(File.ReadAllLines(path)); // reaches the file at once, before Sync/Dispose
                journal.Append(notFound, null);
                journal.Append(lost, "reset-input");
                journal.Append(post, "é 日本 \u2028");
            }

            DateTime after = DateTime.UtcNow.AddSeconds(1);
            byte[] raw = File.ReadAllBytes(path);
            Assert.Equal((byte)'\n', raw[^1]);
            Assert.DoesNotContain((byte)'\r', raw);
            Assert.False(raw.Length >= 3 && raw[0] == 0xEF && raw[1] == 0xBB && raw[2] == 0xBF, "no byte order mark");
            string[] lines = Encoding.UTF8.GetString(raw).Split('\n');
            Assert.Equal(5, lines.Length); // four lines and the empty rest after the last newline
            Assert.Equal(string.Empty, lines[4]);

            FetchResult[] results = { ok, notFound, lost, post };
            string?[] inputs = { "  http://example.test/a?x=1  ", null, "reset-input", "é 日本 \u2028" };
            for (int i = 0; i < 4; i++)
            {
                using JsonDocument doc = JsonDocument.Parse(lines[i]);
                JsonElement e = doc.RootElement;
                string[] names = e.EnumerateObject().Select(p => p.Name).ToArray();
                Assert.Equal(names.Length, names.Distinct().Count());
                Assert.Subset(names.ToHashSet(), Fields.ToHashSet());
                FetchResult r = results[i];
                Assert.Equal(FetchIdentity.Of(r.GetRequest()).ToString(), e.GetProperty("id").GetString());
                Assert.Matches("^[0-9a-f]{32}$", e.GetProperty("id").GetString());
                DateTime time = DateTime.Parse(e.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                Assert.Equal(DateTimeKind.Utc, time.Kind);
                Assert.InRange(time, before, after);
                Assert.Equal(inputs[i], e.GetProperty("input").GetString());
                Assert.Equal(r.Method, e.GetProperty("method").GetString());
                Assert.Equal(r.RequestedUri, e.GetProperty("uri").GetString());
                Assert.Equal(r.Uri?.AbsoluteUri, e.GetProperty("finalUri").GetString());
                Assert.Equal(r.StatusCode, e.GetProperty("status").GetInt32());
                Assert.Equal(r.ErrorKind.ToString(), e.GetProperty("errorKind").GetString());
                Assert.Equal(r.ErrorMessage, e.GetProperty("error").GetString());
                Assert.Equal(r.ContentLength, e.GetProperty("bytes").GetInt64());
                Assert.Equal(r.ElapsedMs, e.GetProperty("elapsedMs").GetDouble());
                Assert.Equal(r.Attempts, e.GetProperty("attempts").GetInt32());
                Assert.Equal(r.Succeeded, e.GetProperty("succeeded").GetBoolean());
                Assert.Equal(r.OutFile, e.GetProperty("outFile").GetString()); // null: none of these wrote a file
            }

            FetchJournalContents contents = FetchJournal.Read(path);
            Assert.Equal(4, contents.Entries);
            Assert.Equal(0, contents.TornLines);
            Assert.Equal(2, contents.Succeeded.Count); // 200 and 201; not the 404 nor the lost connection
            Assert.Contains(FetchIdentity.Of(ok.GetRequest()), contents.Succeeded);
            Assert.Contains(FetchIdentity.Of(post.GetRequest()), contents.Succeeded);
            Assert.DoesNotContain(FetchIdentity.Of(notFound.GetRequest()), contents.Succeeded);
            Assert.DoesNotContain(FetchIdentity.Of(lost.GetRequest()), contents.Succeeded);
        }

        [Fact]
        public void No_password_of_a_url_reaches_the_file_and_resuming_still_finds_the_request()
        {
            string path = _dir.File("secret.jsonl");
            const string url = "http://alice:secretpw@h.test/a";
            FetchResult ok = Response(url, input: url);
            FetchResult failed = Failure("http://bob:secretpw2@h.test/b", FetchErrorKind.Connect, "Could not reach 'http://bob:secretpw2@h.test/b'.");
            using (FetchJournal journal = FetchJournal.OpenForAppend(path))
            {
                journal.Append(ok, url);
                journal.Append(failed, "@{Url=http://bob:secretpw2@h.test/b}");
            }

            string text = File.ReadAllText(path);
            Assert.DoesNotContain("secretpw", text, StringComparison.Ordinal);
            Assert.Contains("alice:***@h.test", text, StringComparison.Ordinal);
            Assert.Contains("bob:***@h.test", text, StringComparison.Ordinal);
            Assert.Contains(FetchIdentity.Of(new FetchRequest(url)), FetchJournal.Read(path).Succeeded);
        }

        [Fact]
        public void Reopening_appends_after_what_is_there_and_a_later_success_counts()
        {
            string path = _dir.File("sub/dir/j.jsonl"); // the folder is created
            using (FetchJournal j = FetchJournal.OpenForAppend(path))
            {
                j.Append(Response("http://h.test/1", 500), null);
            }

            using (FetchJournal j = FetchJournal.OpenForAppend(path))
            {
                j.Append(Response("http://h.test/1", 200), null);
                j.Append(Response("http://h.test/1", 200), null);
            }

            string text = File.ReadAllText(path);
            Assert.Equal(3, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.DoesNotContain("\n\n", text);
            FetchJournalContents c = FetchJournal.Read(path);
            Assert.Equal(3, c.Entries);
            Assert.Equal(0, c.TornLines);
            Assert.Single(c.Succeeded);
        }

        [Fact]
        public void A_missing_file_reads_as_empty_and_is_not_created()
        {
            string path = _dir.File("nope/missing.jsonl");
            FetchJournalContents c = FetchJournal.Read(path);
            Assert.Equal(0, c.Entries);
            Assert.Equal(0, c.TornLines);
            Assert.Empty(c.Succeeded);
            Assert.False(File.Exists(path));
            Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
        }

        [Fact]
        public void An_empty_file_or_blank_lines_are_not_torn_lines()
        {
            string path = _dir.File("empty.jsonl");
            File.WriteAllBytes(path, Array.Empty<byte>());
            FetchJournalContents c = FetchJournal.Read(path);
            Assert.Equal(0, c.Entries);
            Assert.Equal(0, c.TornLines);

            using (FetchJournal j = FetchJournal.OpenForAppend(path))
            {
                j.Append(Response("http://h.test/x"), null);
            }

            Assert.False(File.ReadAllText(path).StartsWith("\n", StringComparison.Ordinal), "an empty journal gets no leading newline");
            File.AppendAllText(path, "\n   \n");
            c = FetchJournal.Read(path);
            Assert.Equal(1, c.Entries);
            Assert.Equal(0, c.TornLines);
        }

        /// <summary>Two whole lines, then the last line cut at every byte position: that line alone is ignored.</summary>
        [Fact]
        public void A_torn_last_line_cut_anywhere_is_ignored_and_the_others_kept()
        {
            string full = _dir.File("full.jsonl");
            FetchResult first = Response("http://h.test/first");
            FetchResult second = Response("http://h.test/second");
            // The last line has multi-byte UTF-8, escapes and numbers, so cuts land inside each kind of token.
            FetchResult last = Response("http://h.test/last?q=%22x%22", 200, bytes: 987654, elapsedMs: 1234.567, input: "ünïcödé \"quoted\" \\ 日本 😀 \t");
            using (FetchJournal j = FetchJournal.OpenForAppend(full))
            {
                j.Append(first, null);
                j.Append(second, null);
                j.Append(last, last.Input as string);
            }

            byte[] all = File.ReadAllBytes(full);
            int lastStart = Array.LastIndexOf(all, (byte)'\n', all.Length - 2) + 1;
            int lastLength = all.Length - lastStart; // including its newline
            Assert.True(lastLength > 200);
            FetchIdentity firstId = FetchIdentity.Of(first.GetRequest());
            FetchIdentity secondId = FetchIdentity.Of(second.GetRequest());
            FetchIdentity lastId = FetchIdentity.Of(last.GetRequest());

            string torn = _dir.File("torn.jsonl");
            for (int cut = 1; cut < lastLength; cut++)
            {
                File.WriteAllBytes(torn, all.AsSpan(0, lastStart + cut).ToArray());
                FetchJournalContents c = FetchJournal.Read(torn);
                bool wholeObject = cut == lastLength - 1; // everything but the newline: a complete entry
                Assert.True(c.Entries == (wholeObject ? 3 : 2), $"cut {cut}/{lastLength}: {c.Entries} entries");
                Assert.True(c.TornLines == (wholeObject ? 0 : 1), $"cut {cut}/{lastLength}: {c.TornLines} torn lines");
                Assert.Contains(firstId, c.Succeeded);
                Assert.Contains(secondId, c.Succeeded);
                Assert.Equal(wholeObject, c.Succeeded.Contains(lastId));
            }
        }

        /// <summary>Reopening after a torn tail starts the next entry on a new line; the fragment stays a line of its own, still ignored.</summary>
        [Fact]
        public void Reopening_after_a_torn_tail_starts_a_new_line()
        {
            string full = _dir.File("full.jsonl");
            FetchResult first = Response("http://h.test/first");
            FetchResult last = Response("http://h.test/last", 200, input: "ä \"q\" 😀");
            FetchResult next = Response("http://h.test/next");
            using (FetchJournal j = FetchJournal.OpenForAppend(full))
            {
                j.Append(first, null);
                j.Append(last, "ä \"q\" 😀");
            }

            byte[] all = File.ReadAllBytes(full);
            int lastStart = Array.LastIndexOf(all, (byte)'\n', all.Length - 2) + 1;
            int lastLength = all.Length - lastStart;
            string torn = _dir.File("torn.jsonl");
            for (int cut = 1; cut < lastLength - 1; cut++)
            {
                byte[] prefix = all.AsSpan(0, lastStart + cut).ToArray();
                File.WriteAllBytes(torn, prefix);
                using (FetchJournal j = FetchJournal.OpenForAppend(torn))
                {
                    j.Append(next, "next");
                }

                byte[] after = File.ReadAllBytes(torn);
                Assert.True(after.AsSpan(0, prefix.Length).SequenceEqual(prefix), $"cut {cut}: the fragment must stay as it was");
                Assert.True(after[prefix.Length] == (byte)'\n', $"cut {cut}: the torn tail must be ended with a newline");
                string appended = Encoding.UTF8.GetString(after, prefix.Length + 1, after.Length - prefix.Length - 1);
                Assert.EndsWith("\n", appended);
                Assert.Single(appended.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                using (JsonDocument.Parse(appended.TrimEnd('\n')))
                {
                }

                FetchJournalContents c = FetchJournal.Read(torn);
                Assert.True(c.Entries == 2, $"cut {cut}: {c.Entries} entries");
                Assert.True(c.TornLines == 1, $"cut {cut}: {c.TornLines} torn lines");
                Assert.Contains(FetchIdentity.Of(first.GetRequest()), c.Succeeded);
                Assert.Contains(FetchIdentity.Of(next.GetRequest()), c.Succeeded);
                Assert.DoesNotContain(FetchIdentity.Of(last.GetRequest()), c.Succeeded);
            }
        }

        [Fact]
        public void Lines_with_a_bad_or_missing_id_count_as_torn()
        {
            string path = _dir.File("odd.jsonl");
            using (FetchJournal j = FetchJournal.OpenForAppend(path))
            {
                j.Append(Response("http://h.test/ok"), null);
            }

            File.AppendAllText(path, "{\"succeeded\":true}\n{\"id\":\"xyz\",\"succeeded\":true}\nnot json at all\n");
            FetchJournalContents c = FetchJournal.Read(path);
            Assert.Equal(1, c.Entries);
            Assert.Equal(3, c.TornLines);
            Assert.Single(c.Succeeded);
        }

        [Fact]
        public void The_journal_can_be_read_while_open_for_append()
        {
            string path = _dir.File("live.jsonl");
            using FetchJournal j = FetchJournal.OpenForAppend(path);
            j.Append(Response("http://h.test/1"), null);
            j.Append(Response("http://h.test/2"), null);
            FetchJournalContents c = FetchJournal.Read(path);
            Assert.Equal(2, c.Entries);
            Assert.Equal(2, c.Succeeded.Count);
        }
    }
}
