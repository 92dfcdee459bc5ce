using System;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Responses
{
    /// <summary>
    /// One decoding of a body held in memory, run once (on the loop for small bodies, on the thread pool for large
    /// ones): the codings come off one after another, each output the next one's input, and every output meets the same
    /// limit. Used by one thread at a time: the one that runs it, then the loop, which reads the outcome.
    /// </summary>
    internal sealed class BufferedDecoding
    {
        private byte[]? _body; // the encoded body, let go of once decoded
        private readonly int _length;
        private readonly string[] _codings;
        private readonly long _max;
        private readonly bool _keep;
        private readonly long _yieldAfter;
        private bool _done;

        public BufferedDecoding(byte[] body, int length, string[] codings, long max, bool keep, long yieldAfter)
        {
            _yieldAfter = yieldAfter;
            _body = body;
            _length = length;
            _codings = codings;
            _max = max;
            _keep = keep;
        }

        public ContentDecoder.Outcome Outcome { get; private set; }

        public byte[]? Output { get; private set; }

        public long DecodedLength { get; private set; }

        public string? Error { get; private set; }

        public Exception? Failure { get; private set; }

        /// <summary>Decodes (the first time) and returns the outcome; never throws.</summary>
        public ContentDecoder.Outcome Run()
        {
            if (!_done)
            {
                _done = true;
                try
                {
                    byte[] data = _body!;
                    int length = _length;
                    for (int i = 0; i < _codings.Length; i++)
                    {
                        bool last = i == _codings.Length - 1;
                        Outcome = ContentDecoder.Decode(data, length, _codings[i], _max, !last || _keep, out byte[]? output, out long decodedLength, out string? error, _yieldAfter);
                        DecodedLength = decodedLength;
                        Error = error;
                        if (Outcome != ContentDecoder.Outcome.Decoded || last)
                        {
                            Output = Outcome == ContentDecoder.Outcome.Decoded ? output : null;
                            break;
                        }

                        data = output!;
                        length = data.Length;
                    }
                }
                catch (Exception e)
                {
                    Failure = e; // not the data's fault (out of memory, say): reported as Internal
                }
                finally
                {
                    _body = null; // the result lives on without it (an unfinished inline run starts over with a new one)
                }
            }

            return Outcome;
        }
    }
}
