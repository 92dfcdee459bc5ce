using System;
using System.Net.Sockets;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Proxy;
using AsyncFetch.Engine.Requests;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// Tunnel mode of a connection (an https target through a proxy), between the TCP connect to the proxy and the
    /// TLS handshake with the target:
    /// - CONNECT host:port goes out like any request head (tried at once, the rest on writability), with the
    ///   proxy's credentials when it has them.
    /// - The answer is read with the response parser in CONNECT mode, with no sink: a 2xx ends with its header
    ///   section, and anything after it would belong to the tunnel, so a proxy that sends bytes before TLS has
    ///   begun is a protocol error rather than something to guess about.
    /// - 2xx: <see cref="StartTls"/> on the same socket, with SNI and certificate checks for the target, and the
    ///   request then goes in origin-form inside TLS. The connection is pooled under the target's origin plus the
    ///   proxy, since a tunnel leads to one target only.
    /// - Anything else fails the request as <see cref="FetchErrorKind.Proxy"/> with the proxy's status, and the
    ///   connection is closed at once (the proxy's error page is not read).
    /// The connect timeout keeps running through the CONNECT exchange and the handshake. Loop thread only.
    /// </summary>
    internal sealed partial class HttpConnection
    {
        /// <summary>Asks the proxy this socket is connected to for a tunnel to <paramref name="op"/>'s target.</summary>
        private void StartTunnel(FetchOperation op)
        {
            _state = ConnectionState.Tunneling;
            _pendingLength = 0;
            _parser.ResetForConnect();
            _sendHeadEnd = _engine.SendBuffer.WriteConnect(op.Target, op.Proxy!.Authorization, op.UserAgent);
            _sendHead = _engine.SendBuffer.Bytes;
            _sendHeadShared = true;
            _sendHeadOffset = 0;
            _sendBody = null;
            _sendBodyOffset = 0;
            op.OnTunnelStarted();
            ContinueSend();
        }

        private void OnTunnelReady(SelectorEvents events)
        {
            if ((events & SelectorEvents.Write) != 0 && _sendHead != null)
            {
                ContinueSend();
            }

            if ((events & SelectorEvents.Read) != 0 && _state == ConnectionState.Tunneling)
            {
                ReceiveTunnel();
            }
        }

        /// <summary>Reads the proxy's answer to CONNECT until its header section is complete.</summary>
        private void ReceiveTunnel()
        {
            byte[] buffer = _engine.ReceiveBuffer;
            string proxy = _op!.Proxy!.Name;
            while (true)
            {
                int n = ReceiveAfterPending(buffer, out int start, out int room, out SocketError error);
                if (error == SocketError.WouldBlock)
                {
                    SavePending(buffer, 0, start);
                    return;
                }

                if (error != SocketError.Success)
                {
                    FailTunnel(FetchErrorKind.ConnectionLost, $"The connection to the proxy {proxy} was reset while waiting for its answer to CONNECT: {new SocketException((int)error).Message}");
                    return;
                }

                if (n == 0)
                {
                    FailTunnel(FetchErrorKind.ConnectionLost, $"The proxy {proxy} closed the connection without answering CONNECT.");
                    return;
                }

                int total = start + n;
                HttpParseStatus status = _parser.Parse(new ReadOnlySpan<byte>(buffer, 0, total), null, out int consumed);
                if (status == HttpParseStatus.Error)
                {
                    FailTunnel(FetchErrorKind.Protocol, $"The proxy {proxy} answered CONNECT with invalid HTTP: {_parser.ErrorMessage}");
                    return;
                }

                if (_parser.HeadersComplete)
                {
                    TunnelAnswered(status == HttpParseStatus.Complete && consumed == total);
                    return;
                }

                SavePending(buffer, consumed, total - consumed);
                if (n < room)
                {
                    return;
                }
            }
        }

        /// <summary>The proxy's status line and header section are in; <paramref name="clean"/>: nothing followed a 2xx.</summary>
        private void TunnelAnswered(bool clean)
        {
            FetchOperation op = _op!;
            ProxyRoute proxy = op.Proxy!;
            int status = _parser.StatusCode;
            if (status >= 200 && status < 300)
            {
                if (!clean)
                {
                    FailTunnel(FetchErrorKind.Protocol, $"The proxy {proxy.Name} sent data after accepting the tunnel to {op.Authority}, before TLS began.");
                    return;
                }

                op.OnTunnelEstablished();
                if (!op.IsCompleted && ReferenceEquals(_op, op))
                {
                    StartTls(op);
                }

                return;
            }

            string message = $"The proxy {proxy.Name} refused the tunnel to {op.Authority}: {status} {_parser.ReasonPhrase}".TrimEnd();
            if (status == 407 && proxy.UserName == null)
            {
                message += " (no credentials were sent: give them in the proxy URI or as the proxy's Credential)";
            }
            else if ((status == 407 || status == 401) && proxy.UserName != null)
            {
                message += $" (the credentials of user '{proxy.UserName}' were not accepted)"; // some proxies (tinyproxy) say 401 to wrong ones
            }

            message += ".";
            Detach();
            Close(); // whatever body the refusal has is not read: the connection goes
            op.Fail(FetchErrorKind.Proxy, message, new ProxyTunnelException(status, message));
        }

        private void FailTunnel(FetchErrorKind kind, string message)
        {
            FetchOperation? op = Detach();
            Close();
            op?.Fail(kind, message, null);
        }
    }
}
