using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Connections;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Tls;
using static AsyncFetch.Engine.Tests.Support.LoopWait;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>
    /// A transport on a loop over the client end of a loopback socket pair, and the far end as a blocking Stream (a
    /// NetworkStream, or for TLS an SslStream that has done the server's side of the handshake with the test
    /// certificate). Both ends get small socket buffers, so a far end whose bytes nobody reads stalls after a few
    /// hundred KiB instead of after the kernel's megabytes.
    /// </summary>
    internal sealed class TransportHarness : IDisposable
    {
        private const int SocketBuffer = 64 * 1024;

        private readonly SocketPair _pair;

        private TransportHarness(SocketPair pair, Transport transport, Stream far)
        {
            _pair = pair;
            Transport = transport;
            Far = far;
        }

        public Transport Transport { get; }

        /// <summary>The server's end (blocking).</summary>
        public Stream Far { get; }

        /// <summary>The port the client end is connected to (for a request's URL; nothing listens there).</summary>
        public int Port => ((IPEndPoint)_pair.Server.LocalEndPoint!).Port;

        /// <summary>A TLS (<paramref name="tls"/>) or plain transport on <paramref name="loop"/>; see <see cref="PlainAsync"/> and <see cref="TlsAsync"/>.</summary>
        public static Task<TransportHarness> CreateAsync(EventLoop loop, bool tls, byte[]? receiveBuffer = null) =>
            tls ? TlsAsync(loop) : PlainAsync(loop, receiveBuffer);

        /// <summary>A plain transport on <paramref name="loop"/>, reading into <paramref name="receiveBuffer"/> (16 KiB when null).</summary>
        public static async Task<TransportHarness> PlainAsync(EventLoop loop, byte[]? receiveBuffer = null)
        {
            SocketPair pair = Pair();
            Transport transport = await OnLoop(loop, () => (Transport)new PlainTransport(
                loop, pair.Client, null, IPAddress.Loopback, PortOf(pair), receiveBuffer ?? new byte[16 * 1024]));
            return new TransportHarness(pair, transport, new NetworkStream(pair.Server, ownsSocket: false));
        }

        /// <summary>A TLS transport on <paramref name="loop"/> whose handshake with the far end (certificate for localhost) is done.</summary>
        public static async Task<TransportHarness> TlsAsync(EventLoop loop)
        {
            SocketPair pair = Pair();
            var server = new SslStream(new NetworkStream(pair.Server, ownsSocket: false));
            Task serverSide = server.AuthenticateAsServerAsync(TestCertificates.Good);
            TlsTransport? tls = null;
            Task clientSide = await OnLoop(loop, () =>
            {
                tls = new TlsTransport(loop, pair.Client, null, IPAddress.Loopback, PortOf(pair), "localhost", skipCertificateCheck: true, trustedRoots: null);
                return tls.StartHandshake(null);
            });
            await Task.WhenAll(serverSide, clientSide).WaitAsync(LoopWait.Timeout);
            return new TransportHarness(pair, tls!, server);
        }

        /// <summary>Makes <paramref name="owner"/> the transport's owner and starts receiving, on <paramref name="loop"/>.</summary>
        public Task ReceiveInto(EventLoop loop, ITransportOwner owner) => LoopWait.OnLoop(loop, () =>
        {
            Transport.Attach(owner);
            Transport.BeginReceive();
        });

        /// <summary>The far end is done sending: a TLS close_notify, then the socket's FIN.</summary>
        public void EndSending()
        {
            if (Far is SslStream ssl)
            {
                ssl.ShutdownAsync().GetAwaiter().GetResult();
            }

            _pair.Server.Shutdown(SocketShutdown.Send);
        }

        public void Dispose()
        {
            Far.Dispose();
            _pair.Dispose();
        }

        private static SocketPair Pair()
        {
            SocketPair pair = SocketPair.Create();
            pair.Client.ReceiveBufferSize = SocketBuffer;
            pair.Server.SendBufferSize = SocketBuffer;
            pair.Server.Blocking = true;
            return pair;
        }

        private static int PortOf(SocketPair pair) => ((IPEndPoint)pair.Client.RemoteEndPoint!).Port;
    }

    /// <summary>
    /// Writes bytes to a blocking stream on a worker thread, counting what the stream took, then shuts the socket's
    /// sending side (or closes the TLS stream) so the reader sees the end.
    /// </summary>
    internal sealed class StreamFeeder
    {
        private long _written;

        private StreamFeeder(Stream stream, byte[] data, Action? end, int holdAt, Task? hold)
        {
            Done = Task.Run(async () =>
            {
                for (int offset = 0; offset < data.Length; offset += 8192)
                {
                    if (hold != null && offset == holdAt)
                    {
                        stream.Flush();
                        Held.TrySetResult(true);
                        await hold.ConfigureAwait(false);
                    }

                    int count = Math.Min(8192, data.Length - offset);
                    stream.Write(data, offset, count);
                    Interlocked.Add(ref _written, count);
                }

                stream.Flush();
                end?.Invoke();
            });
        }

        /// <summary>Completes when the writer has stopped at its hold point, everything before it written.</summary>
        public TaskCompletionSource<bool> Held { get; } = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Written => Interlocked.Read(ref _written);

        public Task Done { get; }

        /// <summary>Starts writing <paramref name="data"/> to <paramref name="stream"/>; <paramref name="end"/> runs after the last byte.</summary>
        public static StreamFeeder Start(Stream stream, byte[] data, Action? end = null) => new StreamFeeder(stream, data, end, 0, null);

        /// <summary>
        /// Starts writing <paramref name="data"/>, stopping after the first <paramref name="holdAt"/> bytes (a multiple
        /// of 8192) until <paramref name="hold"/> completes: a test can act at a known point of the stream instead of
        /// racing the reader.
        /// </summary>
        public static StreamFeeder StartHolding(Stream stream, byte[] data, int holdAt, Task hold, Action? end = null) =>
            new StreamFeeder(stream, data, end, holdAt, hold);

        /// <summary>Waits until the writer has made no progress for a while (nobody reads what it sends) or has finished.</summary>
        public async Task WaitStalledAsync()
        {
            long last = -1;
            var quiet = System.Diagnostics.Stopwatch.StartNew();
            var total = System.Diagnostics.Stopwatch.StartNew();
            while (!Done.IsCompleted && total.Elapsed < LoopWait.Timeout)
            {
                long now = Written;
                if (now != last)
                {
                    last = now;
                    quiet.Restart();
                }
                else if (quiet.ElapsedMilliseconds >= 300)
                {
                    return;
                }

                await Task.Delay(20);
            }
        }
    }

    /// <summary>
    /// An owner for a transport under test: keeps every byte delivered to it, in order, and can pause the transport in
    /// the middle of a delivery (consuming half of it, as a body sink that cannot take more would). Loop thread, except
    /// the counters, which any thread may read.
    /// </summary>
    internal sealed class RecordingOwner : ITransportOwner
    {
        private readonly MemoryStream _received = new MemoryStream();
        private readonly Transport _transport;
        private long _receivedCount;
        private int _deliveries;

        public RecordingOwner(Transport transport)
        {
            _transport = transport;
        }

        /// <summary>Pause on the first delivery that takes the bytes kept past this count; -1: never.</summary>
        public long PauseAfter { get; set; } = -1;

        /// <summary>Bytes of the delivery that paused that were left unconsumed (0 until it happens).</summary>
        public int KeptAtPause { get; private set; }

        public long Received => Interlocked.Read(ref _receivedCount);

        public int Deliveries => Volatile.Read(ref _deliveries);

        /// <summary>Completes at the end of the stream, or with the receive failure.</summary>
        public TaskCompletionSource Ended { get; } = NewTcs();

        public byte[] ReceivedBytes() => _received.ToArray();

        public bool OnReceived(byte[] buffer, int count, out int consumed)
        {
            Interlocked.Increment(ref _deliveries);
            consumed = count;
            if (PauseAfter >= 0 && _received.Length + count > PauseAfter && count >= 2)
            {
                consumed = count / 2;
                KeptAtPause = count - consumed;
                PauseAfter = -1;
                _transport.PauseReading();
            }

            _received.Write(buffer, 0, consumed);
            Interlocked.Add(ref _receivedCount, consumed);
            return true;
        }

        public void OnEndOfStream() => Ended.TrySetResult();

        public void OnReceiveFailed(Exception? error) => Ended.TrySetException(error ?? new IOException("receive failed"));

        public void OnSent()
        {
        }

        public void OnSendFailed(Exception? error) => Ended.TrySetException(error ?? new IOException("send failed"));

        public void OnActivityWhileIdle() => Ended.TrySetException(new InvalidOperationException("not idle"));

        public void OnFault(Exception exception) => Ended.TrySetException(exception);
    }
}
