using System;
using AsyncFetch.Engine.Connections;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Proxy
{
    /// <summary>
    /// Asks a proxy for a tunnel to an https target, over a plain transport just connected to the proxy, between the
    /// TCP connect and the TLS handshake (a step of <see cref="ConnectionEstablishment"/>, as EstablishProxyTunnelAsync
    /// is one of SocketsHttpHandler's):
    /// - CONNECT host:port goes out like any request head (tried at once, the rest on writability), with the proxy's
    ///   credentials when it has them.
    /// - The answer is read with a response parser in CONNECT mode, with no sink: a 2xx ends with its header section,
    ///   and anything after it would belong to the tunnel, so a proxy that sends bytes before TLS has begun is a
    ///   protocol error rather than something to guess about.
    /// - 2xx: the establishment runs TLS on the same socket, with SNI and certificate checks for the target, and the
    ///   request then goes in origin-form inside TLS. The connection is pooled under the target's origin plus the proxy,
    ///   since a tunnel leads to one target only.
    /// - Anything else fails the request as <see cref="FetchErrorKind.Proxy"/> with the proxy's status, and the connection
    ///   is closed at once (the proxy's error page is not read).
    /// The connect timeout keeps running through the CONNECT exchange (the establishment's timer). Loop thread only.
    /// </summary>
    internal sealed class ProxyTunnel : ITransportOwner
    {
        private readonly ConnectionEstablishment _establishment;
        private readonly Transport _transport;
        private readonly ProxyRoute _proxy;
        private readonly string _authority;
        private readonly HttpResponseParser _parser;
        private bool _done;

        /// <summary>A tunnel through <paramref name="proxy"/>, reached over <paramref name="transport"/>, to <paramref name="authority"/> (host:port, for messages).</summary>
        public ProxyTunnel(ConnectionEstablishment establishment, Transport transport, ProxyRoute proxy, string authority, HttpParserLimits limits)
        {
            _establishment = establishment;
            _transport = transport;
            _proxy = proxy;
            _authority = authority;
            _parser = new HttpResponseParser(limits);
        }

        /// <summary>Sends CONNECT for <paramref name="target"/> (written into <paramref name="buffer"/>) and reads the answer.</summary>
        public void Start(SendBuffer buffer, Uri target, string userAgent)
        {
            _parser.ResetForConnect();
            _transport.Attach(this);
            int length = buffer.WriteConnect(target, _proxy.Authorization, userAgent);
            _transport.Send(buffer.Bytes, length, null);
            if (!_done)
            {
                _transport.BeginReceive();
            }
        }

        bool ITransportOwner.OnReceived(byte[] buffer, int count, out int consumed)
        {
            HttpParseStatus status = _parser.Parse(new ReadOnlySpan<byte>(buffer, 0, count), null, out consumed);
            if (status == HttpParseStatus.Error)
            {
                Fail(FetchErrorKind.Protocol, $"The proxy {_proxy.Name} answered CONNECT with invalid HTTP: {_parser.ErrorMessage}");
                return false;
            }

            if (_parser.HeadersComplete)
            {
                Answered(status == HttpParseStatus.Complete && consumed == count);
                return false;
            }

            return true;
        }

        void ITransportOwner.OnEndOfStream() =>
            Fail(FetchErrorKind.ConnectionLost, $"The proxy {_proxy.Name} closed the connection without answering CONNECT.");

        void ITransportOwner.OnReceiveFailed(Exception? error) =>
            Fail(FetchErrorKind.ConnectionLost, $"The connection to the proxy {_proxy.Name} was reset while waiting for its answer to CONNECT: {Transport.Describe(error)}");

        void ITransportOwner.OnSent()
        {
        }

        void ITransportOwner.OnSendFailed(Exception? error) =>
            Fail(FetchErrorKind.ConnectionLost, "Sending the request failed: " + Transport.Describe(error));

        void ITransportOwner.OnActivityWhileIdle()
        {
            // Never idle: the transport is the tunnel's until the establishment hands it on.
        }

        void ITransportOwner.OnFault(Exception exception)
        {
            _done = true;
            _establishment.OnFault(exception);
        }

        /// <summary>The proxy's status line and header section are in; <paramref name="clean"/>: nothing followed a 2xx.</summary>
        private void Answered(bool clean)
        {
            int status = _parser.StatusCode;
            if (status >= 200 && status < 300)
            {
                if (!clean)
                {
                    Fail(FetchErrorKind.Protocol, $"The proxy {_proxy.Name} sent data after accepting the tunnel to {_authority}, before TLS began.");
                    return;
                }

                _done = true;
                _establishment.OnTunnelEstablished();
                return;
            }

            string message = $"The proxy {_proxy.Name} refused the tunnel to {_authority}: {status} {_parser.ReasonPhrase}".TrimEnd();
            if (status == 407 && _proxy.UserName == null)
            {
                message += " (no credentials were sent: give them in the proxy URI or as the proxy's Credential)";
            }
            else if ((status == 407 || status == 401) && _proxy.UserName != null)
            {
                message += $" (the credentials of user '{_proxy.UserName}' were not accepted)"; // some proxies (tinyproxy) say 401 to wrong ones
            }

            message += ".";
            Fail(FetchErrorKind.Proxy, message, new ProxyTunnelException(status, message)); // whatever body the refusal has is not read: the connection goes
        }

        private void Fail(FetchErrorKind kind, string message, Exception? exception = null)
        {
            _done = true;
            _establishment.OnTunnelFailed(kind, message, exception);
        }
    }
}
