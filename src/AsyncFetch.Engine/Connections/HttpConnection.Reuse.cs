using System.Net.Sockets;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// Keep-alive reuse: a connection that received any byte while idle never carries another request, since that
    /// request would read those bytes as its own response.
    ///
    /// - Bytes past the end of a response that arrived with it close the connection instead of pooling it
    ///   (<see cref="Consume"/>; through TLS also a record only partly read, or one SslStream holds, see TlsIdle).
    /// - An idle connection keeps read interest (and through TLS a pending read), so a close or a stray byte the loop
    ///   sees drops it from the pool.
    /// - What the loop has not seen yet is checked when the pool hands the connection out (<see cref="PrepareForReuse"/>):
    ///   bytes that arrived after the loop's last poll, when the next request takes the connection in the same pass as
    ///   the response that freed it (a queued request gets the slot at once) or in a later callback of that pass.
    ///
    /// What remains: bytes that arrive between that check and the moment the server reads the request (a few
    /// microseconds to the send, then the server's own time) cannot be told from the response to it. HTTP/1.1 gives a
    /// response nothing that ties it to its request, so every client has this window (SocketsHttpHandler checks its
    /// read-ahead the same way just before reuse); the check keeps it to the time between one syscall and the next.
    /// </summary>
    internal sealed partial class HttpConnection
    {
        /// <summary>Where a peek copies its byte; nothing reads it, so the loops of several engines may share it.</summary>
        private static readonly byte[] PeekScratch = new byte[1];

        /// <summary>TLS: the raw bytes the stream had received when the connection went idle.</summary>
        private long _idleMark;

        /// <summary>
        /// Loop thread, as the pool hands out this idle connection: false when anything arrived while it was idle (data,
        /// the server's close, an error), and the connection must be closed instead. Costs one non-blocking
        /// recv(MSG_PEEK) of one byte, no allocation; through TLS also a look at the pending idle read.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public bool PrepareForReuse()
        {
            if (_state != ConnectionState.Idle || _socket == null)
            {
                return false;
            }

            // TLS: bytes the idle read took in (even a record SslStream consumed without completing it) show as a
            // completed read or as a changed count; bytes still in the kernel show in the peek below.
            if (_tlsStream != null && (_tlsRead == null || _tlsRead.IsCompleted || _tlsStream.BytesReceived != _idleMark))
            {
                return false;
            }

            _ = _socket.Receive(PeekScratch, 0, 1, SocketFlags.Peek, out SocketError error);
            return error == SocketError.WouldBlock; // success is a byte or the end of the stream; any other error, a dead socket
        }
    }
}
