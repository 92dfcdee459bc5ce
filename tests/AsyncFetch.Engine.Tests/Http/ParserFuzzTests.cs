using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Http;
using Xunit.Abstractions;

namespace AsyncFetch.Engine.Tests.Http
{
    /// <summary>
    /// Mutates the valid vectors at random (fixed seed: every case is reproducible from its number) and parses each
    /// result in one go and in random pieces. Allowed: Complete with consistent fields, or a typed Error; NeedMore only
    /// until end of stream. Never an exception, never a hang, never consumed beyond the input.
    /// </summary>
    public sealed class ParserFuzzTests
    {
        public const int Seed = 0x5EED_2025;
        public const int Cases = 200_000;

        private static readonly byte[] Interesting = "\r\n\0 \t:;,-+0123456789abcdefABCDEFHTTP/1."u8.ToArray().Concat(new byte[] { 0x7F, 0x80, 0xFF }).ToArray();

        private readonly ITestOutputHelper _output;

        public ParserFuzzTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void Mutated_vectors_complete_consistently_or_fail_with_a_typed_error()
        {
            ResponseVector[] seeds = ResponseVectors.ById.Values
                .Where(v => v.ExpectedStatus == HttpParseStatus.Complete && v.Input.Length <= 4096)
                .ToArray();
            Assert.True(seeds.Length >= 30);

            int current = -1;
            var outcomes = new Dictionary<string, int>();
            var stopwatch = Stopwatch.StartNew();
            Task run = Task.Run(() =>
            {
                for (int i = 0; i < Cases; i++)
                {
                    Volatile.Write(ref current, i);
                    string outcome = RunCase(seeds, i);
                    outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                }
            });

            if (!run.Wait(TimeSpan.FromSeconds(120)))
            {
                int stuck = Volatile.Read(ref current);
                Assert.Fail($"Parse did not return (or the run is far too slow): case {stuck} (seed {Seed}):\n{CaseDescription(seeds, stuck)}");
            }

            run.GetAwaiter().GetResult();
            _output.WriteLine($"{Cases} fuzz cases from {seeds.Length} vectors in {stopwatch.Elapsed.TotalSeconds:F2} s");
            _output.WriteLine(string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => o.Key + "=" + o.Value)));
            Assert.True(outcomes.GetValueOrDefault("Complete") > Cases / 20, "too few mutants still parse: the fuzz is not exploring");
        }

        /// <summary>Reproduces one case by number (handy when the big test reports one).</summary>
        [Theory]
        [InlineData(0)]
        [InlineData(12345)]
        public void Single_case_is_reproducible(int caseNumber)
        {
            ResponseVector[] seeds = ResponseVectors.ById.Values.Where(v => v.ExpectedStatus == HttpParseStatus.Complete && v.Input.Length <= 4096).ToArray();
            Assert.Equal(CaseDescription(seeds, caseNumber), CaseDescription(seeds, caseNumber));
            RunCase(seeds, caseNumber);
        }

        private sealed class FuzzCase
        {
            public string VectorId = string.Empty;
            public byte[] Input = Array.Empty<byte>();
            public int[] Plan = Array.Empty<int>();
            public bool Head;
            public HttpParserLimits Limits = new HttpParserLimits();
        }

        private static FuzzCase Make(ResponseVector[] seeds, int caseNumber)
        {
            var r = new Random(Seed ^ (caseNumber * 7919));
            ResponseVector v = seeds[r.Next(seeds.Length)];
            var bytes = new List<byte>(v.Input);
            int mutations = 1 + r.Next(3);
            for (int m = 0; m < mutations; m++)
            {
                Mutate(bytes, r);
            }

            var c = new FuzzCase { VectorId = v.Id, Input = bytes.ToArray(), Head = v.Head || r.Next(20) == 0 };
            int splits = r.Next(5);
            c.Plan = Enumerable.Range(0, splits).Select(_ => r.Next(c.Input.Length + 1)).OrderBy(x => x).ToArray();
            for (int i = c.Plan.Length - 1; i > 0; i--)
            {
                c.Plan[i] -= c.Plan[i - 1]; // split points to piece sizes
            }

            if (r.Next(5) == 0)
            {
                c.Limits = new HttpParserLimits
                {
                    MaxHeaderBytes = 1 + r.Next(200),
                    MaxHeaderCount = r.Next(6),
                    MaxChunkLineBytes = 1 + r.Next(12),
                    MaxBodyBytes = r.Next(-1, 40),
                };
            }

            return c;
        }

        private static void Mutate(List<byte> b, Random r)
        {
            int n = b.Count;
            int at = r.Next(n + 1);
            switch (r.Next(9))
            {
                case 0 when n > 0: // flip a bit or replace a byte
                    int i = r.Next(n);
                    b[i] = r.Next(2) == 0 ? (byte)(b[i] ^ (1 << r.Next(8))) : (byte)r.Next(256);
                    break;
                case 1: // insert random bytes
                    b.InsertRange(at, Enumerable.Range(0, 1 + r.Next(8)).Select(_ => r.Next(2) == 0 ? (byte)r.Next(256) : Interesting[r.Next(Interesting.Length)]));
                    break;
                case 2 when n > 0: // delete a range
                    int start = r.Next(n);
                    b.RemoveRange(start, Math.Min(n - start, 1 + r.Next(16)));
                    break;
                case 3 when n > 0: // duplicate a range
                    int from = r.Next(n);
                    b.InsertRange(at, b.GetRange(from, Math.Min(n - from, 1 + r.Next(32))));
                    break;
                case 4: // truncate
                    b.RemoveRange(at, n - at);
                    break;
                case 5 when n > 0: // replace a digit
                    for (int k = r.Next(n), tries = 0; tries < n; k = (k + 1) % n, tries++)
                    {
                        if (b[k] >= (byte)'0' && b[k] <= (byte)'9')
                        {
                            b[k] = (byte)"0123456789aAfFgx-"[r.Next(17)];
                            break;
                        }
                    }

                    break;
                case 6: // insert CR, LF or NUL
                    b.Insert(at, r.Next(3) switch { 0 => (byte)'\r', 1 => (byte)'\n', _ => (byte)0 });
                    break;
                case 7 when n > 0: // overwrite with a syntax character
                    b[r.Next(n)] = Interesting[r.Next(Interesting.Length)];
                    break;
                default: // swap two ranges' worth: move a range elsewhere
                    if (n > 1)
                    {
                        int s = r.Next(n), len = Math.Min(n - s, 1 + r.Next(8));
                        List<byte> moved = b.GetRange(s, len);
                        b.RemoveRange(s, len);
                        b.InsertRange(r.Next(b.Count + 1), moved);
                    }

                    break;
            }
        }

        private static string RunCase(ResponseVector[] seeds, int caseNumber)
        {
            FuzzCase c = Make(seeds, caseNumber);
            try
            {
                DriveResult oneGo = ParserDriver.OneShot(c.Input, endOfStream: true, c.Head, c.Limits);
                DriveResult pieces = ParserDriver.Drive(c.Input, c.Plan, endOfStream: true, c.Head, c.Limits);
                CheckOutcome(oneGo);
                CheckOutcome(pieces);
                if (oneGo.Status != pieces.Status || oneGo.Parser.Error != pieces.Parser.Error
                    || (oneGo.Status == HttpParseStatus.Complete && oneGo.Summary != pieces.Summary))
                {
                    throw new InvalidOperationException($"one go and pieces differ:\n--- one go\n{oneGo.Summary}\n--- pieces\n{pieces.Summary}");
                }

                return oneGo.Status == HttpParseStatus.Complete ? "Complete" : oneGo.Parser.Error.ToString();
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"fuzz case {caseNumber} (seed {Seed}) failed: {e.GetType().Name}: {e.Message}\n{Describe(c)}\n{e.StackTrace}");
            }
        }

        private static void CheckOutcome(DriveResult r)
        {
            HttpResponseParser p = r.Parser;
            switch (r.Status)
            {
                case HttpParseStatus.Complete:
                    Check(p.StatusCode >= 200 && p.StatusCode <= 999, "Complete with status code " + p.StatusCode);
                    Check(p.BodyBytes == r.Body.Length, "BodyBytes differs from the bytes delivered");
                    Check(p.IsChunked || p.ContentLength == null || p.ContentLength == p.BodyBytes, "Content-Length differs from BodyBytes");
                    Check(p.Error == HttpParseError.None && p.ErrorMessage == null, "Complete with an error set");
                    Check(p.MinorVersion == 0 || p.MinorVersion == 1, "minor version " + p.MinorVersion);
                    break;
                case HttpParseStatus.Error:
                    Check(p.Error != HttpParseError.None && !string.IsNullOrEmpty(p.ErrorMessage), "Error without reason or message");
                    break;
                default:
                    throw new InvalidOperationException("NeedMore after FinishAtEndOfStream");
            }

            Check(r.Consumed <= r.Fed, "consumed more than was fed");
        }

        private static void Check(bool condition, string message)
        {
            if (!condition)
            {
                throw new InvalidOperationException(message);
            }
        }

        private static string CaseDescription(ResponseVector[] seeds, int caseNumber) => caseNumber < 0 ? "(not started)" : Describe(Make(seeds, caseNumber));

        private static string Describe(FuzzCase c) =>
            $"from vector {c.VectorId}, head={c.Head}, pieces [{string.Join(",", c.Plan)}], limits header={c.Limits.MaxHeaderBytes} count={c.Limits.MaxHeaderCount} chunkLine={c.Limits.MaxChunkLineBytes} body={c.Limits.MaxBodyBytes}\ninput ({c.Input.Length} bytes): {Escaping.Escape(c.Input, 4096)}";
    }
}
