using System;
using System.IO;
using System.Reflection;
using System.Reflection.Emit;

using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// Brotli ("br") decoding where the runtime has it (.NET Core 2.1 and later; not .NET Framework, so Windows
    /// PowerShell 5.1 neither asks for nor decodes br). This library targets netstandard2.0, which has no Brotli
    /// API, so the runtime's <c>System.IO.Compression.BrotliDecoder</c> is found by reflection and called through
    /// one small emitted method (its API takes spans, which reflection cannot pass; DynamicMethod itself is
    /// reached by reflection as well, netstandard2.0 does not expose it).
    ///
    /// Why the decoder and not <c>BrotliStream</c>: BrotliStream returns end-of-stream for a truncated body
    /// unless a process-wide switch is set, and a library must not change that for the whole process. Brotli
    /// has no checksum; a body is complete when the decoder reports Done, so a body that ends before that is
    /// reported as truncated.
    /// </summary>
    internal static class BrotliDecoding
    {
        private const int StatusDone = 0; // System.Buffers.OperationStatus
        private const int StatusDestinationTooSmall = 1;
        private const int StatusNeedMoreData = 2;

        private static readonly Type? DecoderType = FindDecoderType();
        private static readonly DecompressCall? Decompress = CreateCall();

        /// <summary>
        /// The runtime's BrotliDecoder, or null. throwOnError: false covers a missing assembly, but loading can still
        /// fail otherwise (FileLoadException, BadImageFormatException on an odd .NET Framework install): then br is
        /// simply not offered, instead of the type initializer failing and with it every decoding.
        /// </summary>
        private static Type? FindDecoderType()
        {
            try
            {
                return Type.GetType("System.IO.Compression.BrotliDecoder, System.IO.Compression.Brotli", throwOnError: false);
            }
            catch (Exception)
            {
                return null;
            }
        }

        /// <summary>The emitted call: decoder.Decompress(src[srcOffset..+srcCount], dst[dstOffset..+dstCount], out consumed, out written).</summary>
        private delegate int DecompressCall(object decoder, byte[] src, int srcOffset, int srcCount, byte[] dst, int dstOffset, int dstCount, out int consumed, out int written);

        /// <summary>True when this runtime can decode br (and so the engine offers it in Accept-Encoding).</summary>
        public static bool IsAvailable => Decompress != null;

        /// <summary>A read-only stream of the decoded bytes of <paramref name="source"/>; corrupt or truncated input throws <see cref="InvalidDataException"/>.</summary>
        public static Stream CreateDecodingStream(Stream source, bool leaveOpen)
        {
            if (Decompress == null)
            {
                throw new PlatformNotSupportedException("This runtime has no Brotli decoder.");
            }

            return new DecodingStream(source, leaveOpen, Activator.CreateInstance(DecoderType!)!);
        }

        private static DecompressCall? CreateCall()
        {
            try
            {
                if (DecoderType == null)
                {
                    return null;
                }

                Type readOnlySpan = typeof(ReadOnlySpan<byte>);
                Type span = typeof(Span<byte>);
                MethodInfo? method = DecoderType.GetMethod("Decompress", new[] { readOnlySpan, span, typeof(int).MakeByRefType(), typeof(int).MakeByRefType() });
                ConstructorInfo? readOnlySpanCtor = readOnlySpan.GetConstructor(new[] { typeof(byte[]), typeof(int), typeof(int) });
                ConstructorInfo? spanCtor = span.GetConstructor(new[] { typeof(byte[]), typeof(int), typeof(int) });
                if (method == null || readOnlySpanCtor == null || spanCtor == null || !method.ReturnType.IsEnum)
                {
                    return null;
                }

                // netstandard2.0 has no DynamicMethod/ILGenerator surface, so they are reached by reflection too
                // (they exist in every runtime that has a Brotli decoder).
                Type? dmType = typeof(object).Assembly.GetType("System.Reflection.Emit.DynamicMethod", throwOnError: false);
                if (dmType == null)
                {
                    return null;
                }

                Type[] parameters = { typeof(object), typeof(byte[]), typeof(int), typeof(int), typeof(byte[]), typeof(int), typeof(int), typeof(int).MakeByRefType(), typeof(int).MakeByRefType() };
                object dm = Activator.CreateInstance(dmType, "AsyncFetchBrotliDecompress", typeof(int), parameters, typeof(BrotliDecoding).Module, true)!;
                object il = dmType.GetMethod("GetILGenerator", Type.EmptyTypes)!.Invoke(dm, null)!;
                Type ilType = il.GetType();
                MethodInfo emit = ilType.GetMethod("Emit", new[] { typeof(OpCode) })!;
                MethodInfo emitType = ilType.GetMethod("Emit", new[] { typeof(OpCode), typeof(Type) })!;
                MethodInfo emitCtor = ilType.GetMethod("Emit", new[] { typeof(OpCode), typeof(ConstructorInfo) })!;
                MethodInfo emitMethod = ilType.GetMethod("Emit", new[] { typeof(OpCode), typeof(MethodInfo) })!;
                MethodInfo emitByte = ilType.GetMethod("Emit", new[] { typeof(OpCode), typeof(byte) })!;
                void Op(OpCode op) => emit.Invoke(il, new object[] { op });
                void Arg(byte index) => emitByte.Invoke(il, new object[] { OpCodes.Ldarg_S, index });

                Op(OpCodes.Ldarg_0);
                emitType.Invoke(il, new object[] { OpCodes.Unbox, DecoderType }); // the boxed decoder itself: its state stays in the box between calls
                Op(OpCodes.Ldarg_1);
                Op(OpCodes.Ldarg_2);
                Op(OpCodes.Ldarg_3);
                emitCtor.Invoke(il, new object[] { OpCodes.Newobj, readOnlySpanCtor });
                Arg(4);
                Arg(5);
                Arg(6);
                emitCtor.Invoke(il, new object[] { OpCodes.Newobj, spanCtor });
                Arg(7);
                Arg(8);
                emitMethod.Invoke(il, new object[] { OpCodes.Call, method });
                Op(OpCodes.Ret);
                var call = (DecompressCall)dmType.GetMethod("CreateDelegate", new[] { typeof(Type) })!.Invoke(dm, new object[] { typeof(DecompressCall) })!;

                // Prove the call on a known stream before offering br.
                object probe = Activator.CreateInstance(DecoderType)!;
                try
                {
                    byte[] hi = { 0x8B, 0x00, 0x80, 0x68, 0x69, 0x03 }; // "hi", as BrotliStream writes it
                    var output = new byte[16];
                    int status = call(probe, hi, 0, hi.Length, output, 0, output.Length, out _, out int written);
                    return status == StatusDone && written == 2 && output[0] == (byte)'h' && output[1] == (byte)'i' ? call : null;
                }
                finally
                {
                    (probe as IDisposable)?.Dispose();
                }
            }
            catch (Exception)
            {
                return null; // anything unexpected: br is simply not offered
            }
        }

        private sealed class DecodingStream : ReadOnlyStream
        {
            private readonly Stream _source;
            private readonly bool _leaveOpen;
            private readonly object _decoder;
            private readonly byte[] _input = new byte[16 * 1024];
            private int _inputStart;
            private int _inputEnd;
            private bool _sourceDone;
            private bool _done;

            public DecodingStream(Stream source, bool leaveOpen, object decoder)
            {
                _source = source;
                _leaveOpen = leaveOpen;
                _decoder = decoder;
            }

                        public override int Read(byte[] buffer, int offset, int count)
            {
                if (count == 0 || _done)
                {
                    return 0;
                }

                while (true)
                {
                    int status = Decompress!(_decoder, _input, _inputStart, _inputEnd - _inputStart, buffer, offset, count, out int consumed, out int written);
                    _inputStart += consumed;
                    if (status == StatusDone)
                    {
                        _done = true;
                        return written; // bytes after the end of the brotli stream are ignored, as browsers do
                    }

                    if (written > 0)
                    {
                        return written;
                    }

                    if (status == StatusDestinationTooSmall)
                    {
                        continue; // output pending that did not fit a 0-byte write: cannot happen with count > 0, but stay safe
                    }

                    if (status != StatusNeedMoreData)
                    {
                        throw new InvalidDataException("the brotli data is invalid.");
                    }

                    if (_sourceDone)
                    {
                        throw new InvalidDataException("the brotli stream is truncated.");
                    }

                    if (_inputStart > 0)
                    {
                        Buffer.BlockCopy(_input, _inputStart, _input, 0, _inputEnd - _inputStart);
                        _inputEnd -= _inputStart;
                        _inputStart = 0;
                    }

                    int n = _source.Read(_input, _inputEnd, _input.Length - _inputEnd);
                    if (n <= 0)
                    {
                        _sourceDone = true;
                    }
                    else
                    {
                        _inputEnd += n;
                    }
                }
            }

            
            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    (_decoder as IDisposable)?.Dispose();
                    if (!_leaveOpen)
                    {
                        _source.Dispose();
                    }
                }

                base.Dispose(disposing);
            }
        }
    }
}
