using System;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Responses
{
    /// <summary>
    /// A body kept in memory, within a limit (MaxResponseBytes), and decoded there when it is compressed. Loop thread;
    /// the decoding of a large body runs on the thread pool.
    ///
    /// The limit protects memory, so it is applied as the bytes arrive, to the body as received: a declared
    /// Content-Length over it fails at once (unless the body is compressed: its decoded size is what counts, checked
    /// while decoding), and a body that grows past it fails at the byte that does. A body framed by Content-Length gets
    /// its final array at once (up to 1 MiB; beyond that the buffer grows as bytes arrive, so a declared length alone
    /// costs no memory); any other grows by doubling and is trimmed at the end.
    ///
    /// A compressed body up to <see cref="InlineDecodeLimit"/> is decoded on the loop (a thread hop would cost more),
    /// while its output stays under <see cref="InlineDecodedLimit"/>; anything larger is decoded on the thread pool.
    ///
    /// One per request, reused by its redirect hops and retries (<see cref="Begin"/> starts over): a response costs no
    /// allocation beyond its bytes. A request's responses come one after another, and a body being decoded is the
    /// request's last (its failures are not retried), so the reuse never overlaps.
    /// </summary>
    internal sealed class MemoryBodySink : IBodySink
    {
        /// <summary>Compressed bodies up to this size are decoded on the loop (a thread hop would cost more).</summary>
        private const int InlineDecodeLimit = 64 * 1024;

        /// <summary>An inline decoding stops past this much output and starts again on the thread pool (a bomb, or very repetitive data).</summary>
        private const int InlineDecodedLimit = 1024 * 1024;

        private byte[]? _body;
        private long _length;
        private long _declaredLength = -1;
        private long _max;
        private string[]? _decodings;
        private bool _keepDecoded;

        public SinkFailure? Failure { get; private set; }

        /// <summary>
        /// Starts a body of <paramref name="declaredLength"/> bytes (null: unknown) limited to <paramref name="max"/>
        /// (negative: none), to have <paramref name="decodings"/> removed (null: none), the decoded bytes kept or only
        /// counted (<paramref name="keepDecoded"/>). False, with <see cref="Failure"/> (TooLarge), when the declared length
        /// alone is over the limit.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public bool Begin(long? declaredLength, string[]? decodings, long max, bool keepDecoded)
        {
            _body = null;
            _length = 0;
            _max = max;
            _decodings = decodings;
            _keepDecoded = keepDecoded;
            Failure = null;
            if (decodings == null && declaredLength is long declared && max >= 0 && declared > max)
            {
                Failure = new SinkFailure(FetchErrorKind.TooLarge, $"The response body ({declared} bytes) is larger than the limit of {max} bytes.");
                return false;
            }

            _declaredLength = declaredLength ?? -1;
            if (_declaredLength > 0)
            {
                _body = new byte[Math.Min(_declaredLength, 1 << 20)];
            }

            return true;
        }

        [MethodImpl(Hot.Path)]
        public SinkWrite Write(ReadOnlySpan<byte> data)
        {
            // An encoded body is limited too (its decoded size is checked again while decoding): it is held in memory until then.
            if (_max >= 0 && _length + (long)data.Length > _max)
            {
                return Fail($"The response body is larger than the limit of {_max} bytes.");
            }

            if (_body == null || _length + data.Length > _body.Length)
            {
                long needed = _length + (long)data.Length;
                long wanted = Math.Max(needed, Math.Max(4096, (_body?.Length ?? 0) * 2L));
                if (_declaredLength >= needed && wanted > _declaredLength)
                {
                    wanted = _declaredLength; // grow to exactly the declared size: the final array needs no trim
                }

                if (_max >= 0 && wanted > _max)
                {
                    wanted = _max; // no room past the limit, which the body cannot pass (checked above)
                }

                if (wanted > int.MaxValue - 64)
                {
                    return Fail("The response body is larger than 2 GiB, which cannot be held in memory.");
                }

                Array.Resize(ref _body, (int)wanted);
            }

            data.CopyTo(new Span<byte>(_body, (int)_length, data.Length));
            _length += data.Length;
            return SinkWrite.Accepted;
        }

        [MethodImpl(Hot.Path)]
        public void Finish(IBodySinkOwner owner)
        {
            byte[]? body = _body;
            int length = (int)_length;
            string[]? decodings = _decodings;
            _body = null;
            if (decodings != null && body != null)
            {
                if (length <= InlineDecodeLimit)
                {
                    // Only while the output stays small: a few hundred bytes of br can decode to the whole limit.
                    var inline = new BufferedDecoding(body, length, decodings, _max, _keepDecoded, InlineDecodedLimit);
                    if (inline.Run() != ContentDecoder.Outcome.Unfinished)
                    {
                        Decoded(owner, inline);
                        return;
                    }
                }

                // A large body is decoded on the thread pool: the loop must not stall every other socket and timer meanwhile.
                OffLoop.Run(owner.Loop, new BufferedDecoding(body, length, decodings, _max, _keepDecoded, -1), w => w.Run(), w => Decoded(owner, w));
                return;
            }

            owner.OnBodyStored(this, body == null ? Array.Empty<byte>() : body.Length == length ? body : Trim(body, length), length, null);
        }

        public void Abort()
        {
            _body = null;
            _decodings = null;
        }

        /// <summary>Loop thread: the decoded body (or why it could not be decoded) goes to the owner.</summary>
        private void Decoded(IBodySinkOwner owner, BufferedDecoding work)
        {
            if (!owner.Wants(this))
            {
                return; // timed out or cancelled while decoding
            }

            ContentDecoder.Outcome outcome = work.Run();
            if (work.Failure != null)
            {
                owner.OnBodyFailed(this, new SinkFailure(FetchErrorKind.Internal, "Unexpected failure while decoding the response: " + work.Failure.Message, work.Failure));
            }
            else if (outcome == ContentDecoder.Outcome.TooLarge)
            {
                owner.OnBodyFailed(this, new SinkFailure(FetchErrorKind.TooLarge, work.Error!));
            }
            else if (outcome == ContentDecoder.Outcome.Broken)
            {
                owner.OnBodyFailed(this, new SinkFailure(FetchErrorKind.Protocol, work.Error!));
            }
            else
            {
                owner.OnBodyStored(this, work.Output, work.DecodedLength, null);
            }
        }

        private SinkWrite Fail(string message)
        {
            Failure = new SinkFailure(FetchErrorKind.TooLarge, message);
            return SinkWrite.Failed;
        }

        private static byte[] Trim(byte[] data, int length)
        {
            var trimmed = new byte[length];
            Buffer.BlockCopy(data, 0, trimmed, 0, length);
            return trimmed;
        }
    }
}
