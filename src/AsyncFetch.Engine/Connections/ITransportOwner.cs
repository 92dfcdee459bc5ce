using System;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// What a <see cref="Transport"/> reports to: the <see cref="HttpConnection"/> it carries or, while a connection is
    /// still being established, the exchange that runs on it first (a proxy's CONNECT). Loop thread only. The calls come
    /// from the transport's own I/O, or from within the owner's own call to <see cref="Transport.Send"/> (a send that
    /// finished at once) or <see cref="Transport.ResumeReading"/> (bytes kept while paused).
    /// </summary>
    internal interface ITransportOwner
    {
        /// <summary>
        /// Bytes arrived: <paramref name="buffer"/>[0, <paramref name="count"/>) is what the owner left unconsumed last
        /// time followed by the new bytes, valid only during the call. Returns true while the owner wants more, with
        /// <paramref name="consumed"/> bytes used: the transport keeps the rest and offers it again ahead of the next bytes.
        /// False: the exchange is over (done, failed, or the transport closed); nothing is kept.
        /// </summary>
        bool OnReceived(byte[] buffer, int count, out int consumed);

        /// <summary>The peer closed its side while the owner wanted bytes (what it left unconsumed is still incomplete).</summary>
        void OnEndOfStream();

        /// <summary>
        /// Receiving failed: <paramref name="error"/> is a <see cref="System.Net.Sockets.SocketException"/> when the socket
        /// itself reported it (a plain transport), else what the stream above the socket failed with (TLS), or null.
        /// </summary>
        void OnReceiveFailed(Exception? error);

        /// <summary>Everything given to <see cref="Transport.Send"/> has been written.</summary>
        void OnSent();

        /// <summary>Sending failed (see <see cref="OnReceiveFailed"/> for what <paramref name="error"/> is).</summary>
        void OnSendFailed(Exception? error);

        /// <summary>
        /// Something happened on the transport while it was idle between requests (readiness, or through TLS the
        /// pending idle read finished): the peer closed or spoke out of turn, and the transport cannot carry a request.
        /// </summary>
        void OnActivityWhileIdle();

        /// <summary>Handling the transport's I/O threw (the owner's own code, usually): the owner fails and closes it.</summary>
        void OnFault(Exception exception);
    }
}
