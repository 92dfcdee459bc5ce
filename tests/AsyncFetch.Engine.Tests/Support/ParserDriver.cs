using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>Collects what the parser hands out, and checks the sink protocol (headers once, before any body).</summary>
    internal sealed class RecordingSink : IHttpBodySink
    {
        public MemoryStream Body { get; } = new MemoryStream();

        public int HeadersCompleteCalls { get; private set; }

        public bool OnHeadersComplete(HttpResponseParser parser)
        {
            HeadersCompleteCalls++;
            if (HeadersCompleteCalls > 1 || Body.Length > 0)
            {
                throw new InvalidOperationException("OnHeadersComplete called twice or after body bytes.");
            }

            return true;
        }

        public bool OnBody(ReadOnlySpan<byte> data)
        {
            if (HeadersCompleteCalls != 1)
            {
                throw new InvalidOperationException("OnBody called before OnHeadersComplete.");
            }

            if (data.IsEmpty)
            {
                throw new InvalidOperationException("OnBody called with no bytes.");
            }

            Body.Write(data);
            return true;
        }
    }

    /// <summary>The observable result of parsing one response.</summary>
    internal sealed class DriveResult
    {
        public HttpParseStatus Status { get; init; }

        /// <summary>The status of the last Parse call (before any FinishAtEndOfStream).</summary>
        public HttpParseStatus StatusBeforeEof { get; init; }

        public HttpResponseParser Parser { get; init; } = null!;

        public byte[] Body { get; init; } = Array.Empty<byte>();

        public long Consumed { get; init; }

        public byte[] Leftover { get; init; } = Array.Empty<byte>();

        /// <summary>The largest unconsumed remainder the caller had to keep between calls.</summary>
        public int MaxPending { get; init; }

        /// <summary>How many input bytes had been fed when parsing stopped.</summary>
        public int Fed { get; init; }

        public int ParseCalls { get; init; }

        /// <summary>Everything observable, as one readable string (so Assert.Equal shows a useful diff).</summary>
        public string Summary => Summarize(Status, Parser, Body, Consumed, Leftover);

        public static string Summarize(HttpParseStatus status, HttpResponseParser p, byte[] body, long consumed, byte[] leftover)
        {
            var sb = new StringBuilder();
            sb.Append("status=").Append(status).Append(" error=").Append(p.Error).Append(" msg=").Append(p.ErrorMessage ?? "-").Append('\n');
            sb.Append("code=").Append(p.StatusCode).Append(" reason=").Append(p.ReasonPhrase).Append(" minor=").Append(p.MinorVersion).Append('\n');
            sb.Append("headersComplete=").Append(p.HeadersComplete).Append(" headers=[").Append(p.Headers.ToString().Replace("\r\n", " | ")).Append("]\n");
            sb.Append("contentLength=").Append(p.ContentLength?.ToString() ?? "null").Append(" chunked=").Append(p.IsChunked).Append(" transferCodings=").Append(string.Join(",", p.TransferCodings)).Append(" keepAlive=").Append(p.KeepAlive).Append('\n');
            sb.Append("bodyBytes=").Append(p.BodyBytes).Append(" body=").Append(Escaping.Describe(body)).Append('\n');
            sb.Append("consumed=").Append(consumed).Append(" bytesConsumed=").Append(p.BytesConsumed).Append(" leftover=").Append(Escaping.Describe(leftover));
            return sb.ToString();
        }
    }

    /// <summary>Drives <see cref="HttpResponseParser"/> the way HttpConnection does: the unconsumed rest is kept and offered again with the next bytes.</summary>
    internal static class ParserDriver
    {
        /// <summary>
        /// Feeds <paramref name="response"/> in pieces of the sizes in <paramref name="plan"/> (what the plan does not
        /// cover is fed as one last piece), stopping at Complete or Error. With <paramref name="endOfStream"/>, a final
        /// NeedMore is followed by FinishAtEndOfStream. Checks the contract on every call (throws on a violation).
        /// </summary>
        public static DriveResult Drive(byte[] response, IReadOnlyList<int> plan, bool endOfStream, bool head = false, HttpParserLimits? limits = null)
        {
            var parser = new HttpResponseParser(limits);
            parser.Reset(head);
            var sink = new RecordingSink();
            byte[] pending = Array.Empty<byte>();
            int fed = 0, calls = 0, maxPending = 0;
            long consumedTotal = 0;
            HttpParseStatus status = HttpParseStatus.NeedMore;
            int piece = 0;
            while (fed < response.Length || calls == 0)
            {
                int size = piece < plan.Count ? Math.Min(plan[piece], response.Length - fed) : response.Length - fed;
                piece++;
                var input = new byte[pending.Length + size];
                pending.CopyTo(input, 0);
                Array.Copy(response, fed, input, pending.Length, size);
                fed += size;

                status = parser.Parse(input, sink, out int consumed);
                calls++;
                if (consumed < 0 || consumed > input.Length)
                {
                    throw new InvalidOperationException($"Parse consumed {consumed} of {input.Length} bytes.");
                }

                consumedTotal += consumed;
                pending = input.AsSpan(consumed).ToArray();
                maxPending = Math.Max(maxPending, pending.Length);
                CheckCall(parser, sink, status, response, consumedTotal, pending);
                if (status != HttpParseStatus.NeedMore)
                {
                    break;
                }
            }

            HttpParseStatus beforeEof = status;
            if (status == HttpParseStatus.NeedMore && endOfStream)
            {
                status = parser.FinishAtEndOfStream();
            }

            return new DriveResult
            {
                Status = status,
                StatusBeforeEof = beforeEof,
                Parser = parser,
                Body = sink.Body.ToArray(),
                Consumed = consumedTotal,
                Leftover = response.AsSpan((int)consumedTotal).ToArray(),
                MaxPending = maxPending,
                Fed = fed,
                ParseCalls = calls,
            };
        }

        public static DriveResult OneShot(byte[] response, bool endOfStream, bool head = false, HttpParserLimits? limits = null) =>
            Drive(response, Array.Empty<int>(), endOfStream, head, limits);

        public static int[] Ones(int count)
        {
            var plan = new int[count];
            Array.Fill(plan, 1);
            return plan;
        }

        /// <summary>The per-call contract: whole elements only, body delivered as it comes, typed errors.</summary>
        private static void CheckCall(HttpResponseParser parser, RecordingSink sink, HttpParseStatus status, byte[] response, long consumedTotal, byte[] pending)
        {
            if (parser.BodyBytes != sink.Body.Length)
            {
                throw new InvalidOperationException($"BodyBytes {parser.BodyBytes} but the sink got {sink.Body.Length}.");
            }

            if (parser.BytesConsumed != consumedTotal)
            {
                throw new InvalidOperationException($"BytesConsumed {parser.BytesConsumed} but the calls consumed {consumedTotal}.");
            }

            switch (status)
            {
                case HttpParseStatus.NeedMore:
                    if (Array.IndexOf(pending, (byte)'\n') >= 0)
                    {
                        throw new InvalidOperationException("NeedMore, but the unconsumed rest holds a whole line: " + Escaping.Describe(pending));
                    }

                    if (!parser.HeadersComplete && consumedTotal > 0 && response[consumedTotal - 1] != (byte)'\n')
                    {
                        throw new InvalidOperationException($"NeedMore with {consumedTotal} bytes consumed, which ends inside a header line.");
                    }

                    if (parser.Error != HttpParseError.None)
                    {
                        throw new InvalidOperationException("NeedMore with Error " + parser.Error);
                    }

                    break;
                case HttpParseStatus.Error:
                    if (parser.Error == HttpParseError.None || string.IsNullOrEmpty(parser.ErrorMessage))
                    {
                        throw new InvalidOperationException("Error without a reason or message.");
                    }

                    break;
                case HttpParseStatus.Complete:
                    if (parser.Error != HttpParseError.None || !parser.IsComplete || !parser.HeadersComplete || sink.HeadersCompleteCalls != 1)
                    {
                        throw new InvalidOperationException("Complete but Error/IsComplete/HeadersComplete/sink disagree.");
                    }

                    break;
            }
        }
    }

    /// <summary>The escaping convention of the vector files (see vectors/README.md), both ways.</summary>
    internal static class Escaping
    {
        /// <summary>Decodes one line of a vector block; <paramref name="terminated"/> is true when it ends in \r, \n or \$.</summary>
        public static byte[] Decode(string text, out bool terminated)
        {
            var bytes = new List<byte>(text.Length);
            terminated = false;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                terminated = false;
                if (c != '\\')
                {
                    if (c > 0xFF)
                    {
                        throw new FormatException("Only Latin-1 characters may appear literally: " + text);
                    }

                    bytes.Add((byte)c);
                    continue;
                }

                if (++i >= text.Length)
                {
                    throw new FormatException("A lone backslash ends the line: " + text);
                }

                switch (text[i])
                {
                    case 'r': bytes.Add(13); terminated = true; break;
                    case 'n': bytes.Add(10); terminated = true; break;
                    case '$': terminated = true; break;
                    case 't': bytes.Add(9); break;
                    case '0': bytes.Add(0); break;
                    case '\\': bytes.Add((byte)'\\'); break;
                    case 'x':
                        bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                        i += 2;
                        break;
                    case '{':
                        // \{N*c}: N copies of the character c.
                        int close = text.IndexOf('}', i);
                        int star = text.IndexOf('*', i);
                        int n = int.Parse(text.Substring(i + 1, star - i - 1), System.Globalization.CultureInfo.InvariantCulture);
                        char repeated = text[star + 1];
                        for (int k = 0; k < n; k++)
                        {
                            bytes.Add((byte)repeated);
                        }

                        i = close;
                        break;
                    default:
                        throw new FormatException($"Unknown escape \\{text[i]} in: {text}");
                }
            }

            return bytes.ToArray();
        }

        public static byte[] Decode(string text) => Decode(text, out _);

        /// <summary>Bytes as printable text with the same escapes (long runs shortened).</summary>
        public static string Escape(ReadOnlySpan<byte> bytes, int max = 400)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < bytes.Length && i < max; i++)
            {
                byte b = bytes[i];
                sb.Append(b switch
                {
                    13 => "\\r",
                    10 => "\\n",
                    9 => "\\t",
                    0 => "\\0",
                    (byte)'\\' => "\\\\",
                    _ when b < 0x20 || b >= 0x7F => "\\x" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture),
                    _ => ((char)b).ToString(),
                });
            }

            if (bytes.Length > max)
            {
                sb.Append("...(").Append(bytes.Length).Append(" bytes)");
            }

            return sb.ToString();
        }

        /// <summary>Length, a hash and the start: enough to compare bodies in a readable assertion.</summary>
        public static string Describe(byte[] bytes)
        {
            uint h = 2166136261;
            foreach (byte b in bytes)
            {
                h = (h ^ b) * 16777619;
            }

            return $"{bytes.Length}B#{h:x8}'{Escape(bytes, 48)}'";
        }
    }
}
