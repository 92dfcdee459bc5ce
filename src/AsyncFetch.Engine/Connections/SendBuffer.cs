using System;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// The scratch buffer an engine writes outgoing request heads into (a CONNECT too), one per engine and shared by
    /// all its connections: a head is written here and handed to the connection's transport at once, which sends it
    /// or copies what it still needs (the unsent rest, or for TLS the whole head) before anyone writes here again.
    /// The buffer grows to the largest head written and stays that size. Loop thread only.
    /// </summary>
    internal sealed class SendBuffer
    {
        private byte[] _bytes = new byte[4096];

        /// <summary>The bytes written by the last Write or Append, from index 0.</summary>
        public byte[] Bytes => _bytes;

        /// <summary>Writes <paramref name="head"/> at the start of the buffer and returns its length.</summary>
        [MethodImpl(Hot.Path)]
        public int WriteHead(in HttpRequestHead head) => HttpRequestWriter.WriteHead(ref _bytes, in head);

        /// <summary>Writes a CONNECT request for a tunnel to <paramref name="target"/> and returns its length.</summary>
        public int WriteConnect(Uri target, string? proxyAuthorization, string userAgent) =>
            HttpRequestWriter.WriteConnect(ref _bytes, target, proxyAuthorization, userAgent);

        /// <summary>Appends <paramref name="body"/> after the <paramref name="length"/> bytes written and returns the new length.</summary>
        public int Append(int length, byte[] body)
        {
            if (_bytes.Length < length + body.Length)
            {
                Array.Resize(ref _bytes, length + body.Length);
            }

            Buffer.BlockCopy(body, 0, _bytes, length, body.Length);
            return length + body.Length;
        }
    }
}
