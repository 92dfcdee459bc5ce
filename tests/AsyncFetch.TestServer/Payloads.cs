using System;
using System.Collections.Concurrent;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Threading;

namespace AsyncFetch.TestServer;

/// <summary>Pre-built and cached response bodies.</summary>
internal static class Payloads
{
    /// <summary>Period of the byte pattern: body byte i is (byte)(i % 251).</summary>
    public const int Period = 251;

    /// <summary>Largest slice <see cref="PatternSlice"/> can return.</summary>
    public const int MaxSlice = 256 * 1024;

    // A whole number of periods, long enough that a slice starting anywhere in the first period has MaxSlice bytes.
    private static readonly byte[] s_pattern = BuildPattern(((MaxSlice / Period) + 2) * Period);

    private static readonly ConcurrentDictionary<(int Kind, long Size), Lazy<byte[]>> s_compressed = new();

    private const int KindGzip = 1;
    private const int KindDeflate = 2;
    private const int KindBomb = 3;
    private const int KindBrotli = 4;

    /// <summary>Bytes [offset, offset+length) of the infinite pattern; length must be at most <see cref="MaxSlice"/>.</summary>
    public static ReadOnlyMemory<byte> PatternSlice(long offset, int length) =>
        new(s_pattern, (int)(offset % Period), length);

    public static byte PatternByte(long offset) => (byte)(offset % Period);

    public static byte[] Gzip(long size) => GetCompressed(KindGzip, size);

    public static byte[] Deflate(long size) => GetCompressed(KindDeflate, size);

    public static byte[] GzipBomb(int mib) => GetCompressed(KindBomb, mib);

    /// <summary>The pattern of <paramref name="size"/> bytes, brotli-compressed.</summary>
    public static byte[] Brotli(long size) => GetCompressed(KindBrotli, size);

    /// <summary>The first half of a valid brotli stream of 10,000 pattern bytes (brotli has no checksum: only the decoder's end state tells).</summary>
    public static readonly byte[] BrotliTruncated = Brotli(10_000).AsSpan(0, Brotli(10_000).Length / 2).ToArray();

    /// <summary>A gzip stream with a valid header followed by an invalid deflate block type (decoders must fail).</summary>
    public static readonly byte[] GzipCorrupt = BuildCorruptGzip();

    /// <summary>The first half of a valid gzip stream of 10,000 pattern bytes.</summary>
    public static readonly byte[] GzipTruncated = BuildTruncatedGzip();

    /// <summary>Text of <paramref name="chars"/> characters: 'a'..'z' repeating, preceded by 'é' if <paramref name="accent"/>.</summary>
    public static string Text(int chars, bool accent)
    {
        return string.Create(chars, accent, static (span, accentFirst) =>
        {
            int skip = accentFirst ? 1 : 0;
            for (int i = skip; i < span.Length; i++)
            {
                span[i] = (char)('a' + ((i - skip) % 26));
            }

            if (accentFirst && span.Length > 0)
            {
                span[0] = '\u00e9';
            }
        });
    }

    private static byte[] GetCompressed(int kind, long size)
    {
        Lazy<byte[]> lazy = s_compressed.GetOrAdd(
            (kind, size),
            static key => new Lazy<byte[]>(() => Compress(key.Kind, key.Size), LazyThreadSafetyMode.ExecutionAndPublication));
        return lazy.Value;
    }

    private static byte[] Compress(int kind, long size)
    {
        using var output = new MemoryStream();
        using (Stream compressor = kind == KindDeflate
                   ? new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true)
                   : kind == KindBrotli ? new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true)
                   : new GZipStream(output, kind == KindBomb ? CompressionLevel.Optimal : CompressionLevel.Fastest, leaveOpen: true))
        {
            if (kind == KindBomb)
            {
                var zeros = new byte[1024 * 1024];
                for (long i = 0; i < size; i++)
                {
                    compressor.Write(zeros, 0, zeros.Length);
                }
            }
            else
            {
                long written = 0;
                while (written < size)
                {
                    int len = (int)Math.Min(MaxSlice, size - written);
                    compressor.Write(PatternSlice(written, len).Span);
                    written += len;
                }
            }
        }

        return output.ToArray();
    }

    private static byte[] BuildPattern(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i % Period);
        }

        return bytes;
    }

    private static byte[] BuildCorruptGzip()
    {
        // Magic, CM=8 (deflate), FLG=0, MTIME=0, XFL=0, OS=255, then a deflate block header with BTYPE=11 (reserved = error).
        byte[] header = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff];
        var result = new byte[header.Length + 16];
        header.CopyTo(result, 0);
        result.AsSpan(header.Length).Fill(0xff);
        return result;
    }

    private static byte[] BuildTruncatedGzip()
    {
        byte[] full = Compress(KindGzip, 10_000);
        return full.AsSpan(0, full.Length / 2).ToArray();
    }

    public static readonly byte[] NotFound = Encoding.ASCII.GetBytes("not found");
    public static readonly byte[] Ok = Encoding.ASCII.GetBytes("ok");
    public static readonly byte[] Bye = Encoding.ASCII.GetBytes("bye");
    public static readonly byte[] RedirectDone = Encoding.ASCII.GetBytes("redirect done");
}
