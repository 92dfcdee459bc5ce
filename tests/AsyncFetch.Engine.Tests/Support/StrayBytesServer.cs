using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>When the server sends bytes after a complete response.</summary>
    public enum StrayTiming
    {
        /// <summary>Nothing follows the response.</summary>
        None,

        /// <summary>In the same write as the response.</summary>
        SameWrite,

        /// <summary>In a write of their own, at once.</summary>
        SeparateWrite,

        /// <summary>In a write of their own, 1 ms later.</summary>
        After1Ms,

        /// <summary>In a write of their own, 3 ms later.</summary>
        After3Ms,
    }

    /// <summary>What the server sends after a complete response.</summary>
    public enum StrayKind
    {
        /// <summary>A whole second response, whose body names the request it followed ("stale-ID").</summary>
        Response,

        /// <summary>Bytes that are not HTTP.</summary>
        Junk,
    }

    /// <summary>
    /// A keep-alive loopback server (plain, or TLS with a certificate) that answers <c>GET /ID/TIMING/KIND</c> with the
    /// body "ID" and then, as TIMING and KIND say, sends more bytes after the complete response. It counts requests
    /// that arrive on a connection after such bytes (the client kept using a connection it should have dropped), and
    /// tells the test when everything it sends for a request is out (<see cref="Expect"/>): on loopback the bytes of a
    /// finished write are in the client's receive queue by then.
    /// </summary>
    internal sealed class StrayBytesServer : IDisposable
    {
        private static readonly byte[] HeadEnd = Encoding.ASCII.GetBytes("\r\n\r\n");

        private readonly LoopbackListener _listener;
        private readonly X509Certificate2? _certificate;
        private readonly ConcurrentDictionary<int, TaskCompletionSource> _expected = new ConcurrentDictionary<int, TaskCompletionSource>();
        private int _requestsAfterStrayBytes;
        private int _strayWrites;
        private int _nextId;

        public StrayBytesServer(X509Certificate2? certificate = null)
        {
            _certificate = certificate;
            _listener = new LoopbackListener(socket => Task.Run(() => ServeAsync(socket)), backlog: 128);
        }

        public int Port => _listener.Port;

        /// <summary>Requests that arrived on a connection after the server had sent bytes past a response on it.</summary>
        public int RequestsAfterStrayBytes => Volatile.Read(ref _requestsAfterStrayBytes);

        /// <summary>Responses that were followed by stray bytes.</summary>
        public int StrayWrites => Volatile.Read(ref _strayWrites);

        /// <summary>A new request id.</summary>
        public int NextId() => Interlocked.Increment(ref _nextId);

        public Uri Url(int id, StrayTiming timing, StrayKind kind) =>
            new Uri($"{(_certificate == null ? "http" : "https")}://{(_certificate == null ? "127.0.0.1" : "localhost")}:{Port}/{id}/{timing}/{kind}");

        /// <summary>Completes once the server has written everything it sends for request <paramref name="id"/>.</summary>
        public Task Expect(int id) => _expected.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public void Dispose() => _listener.Dispose();

        private async Task ServeAsync(Socket socket)
        {
            socket.NoDelay = true; // a write of its own is a segment of its own, not held back until the last one is acknowledged
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            CancellationToken token = _listener.Stopping;
            try
            {
                if (_certificate != null)
                {
                    var ssl = new SslStream(stream);
                    stream = ssl;
                    await ssl.AuthenticateAsServerAsync(_certificate);
                }

                var reader = new HeadReader();
                bool strayed = false;
                while (true)
                {
                    string? target = await reader.ReadTargetAsync(stream, token);
                    if (target == null)
                    {
                        return;
                    }

                    if (strayed)
                    {
                        Interlocked.Increment(ref _requestsAfterStrayBytes);
                    }

                    string[] parts = target.Split('/');
                    int id = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    var timing = Enum.Parse<StrayTiming>(parts[2]);
                    var kind = Enum.Parse<StrayKind>(parts[3]);
                    try
                    {
                        strayed |= await AnswerAsync(stream, id, timing, kind, token);
                    }
                    finally
                    {
                        if (_expected.TryRemove(id, out TaskCompletionSource? done))
                        {
                            done.TrySetResult(); // also when the write failed: the client gave up on the connection
                        }
                    }
                }
            }
            catch (Exception)
            {
                // the client closed or reset the connection, or the server was stopped
            }
            finally
            {
                stream.Dispose();
            }
        }

        /// <summary>Writes the response to request <paramref name="id"/> and whatever follows it; returns true when stray bytes followed.</summary>
        private async Task<bool> AnswerAsync(Stream stream, int id, StrayTiming timing, StrayKind kind, CancellationToken token)
        {
            byte[] response = Response(id.ToString(CultureInfo.InvariantCulture));
            byte[]? stray = timing == StrayTiming.None ? null : Stray(id, kind);
            if (timing == StrayTiming.SameWrite)
            {
                byte[] both = new byte[response.Length + stray!.Length];
                response.CopyTo(both, 0);
                stray.CopyTo(both, response.Length);
                await stream.WriteAsync(both, token);
            }
            else
            {
                await stream.WriteAsync(response, token);
                if (stray != null)
                {
                    int delay = timing == StrayTiming.After1Ms ? 1 : timing == StrayTiming.After3Ms ? 3 : 0;
                    if (delay > 0)
                    {
                        await Task.Delay(delay, token);
                    }

                    await stream.WriteAsync(stray, token);
                }
            }

            if (stray != null)
            {
                Interlocked.Increment(ref _strayWrites);
            }

            return stray != null;
        }

        private static byte[] Response(string body) =>
            Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}");

        private static byte[] Stray(int id, StrayKind kind) => kind == StrayKind.Response
            ? Response("stale-" + id.ToString(CultureInfo.InvariantCulture))
            : Encoding.ASCII.GetBytes("\0\u0001junk " + id.ToString(CultureInfo.InvariantCulture) + "\r\n\r\n");

        /// <summary>
        /// Reads one request head (no body) at a time; returns its target, or null at end of stream. Bytes after a head are
        /// kept for the next call: a client that took a stale answer for its request may already have sent the next one.
        /// </summary>
        private sealed class HeadReader
        {
            private readonly byte[] _buffer = new byte[8192];
            private int _filled;

            public async Task<string?> ReadTargetAsync(Stream stream, CancellationToken token)
            {
                while (true)
                {
                    int end = new ReadOnlySpan<byte>(_buffer, 0, _filled).IndexOf(HeadEnd);
                    if (end >= 0)
                    {
                        string requestLine = Encoding.Latin1.GetString(_buffer, 0, end).Split("\r\n")[0];
                        int used = end + HeadEnd.Length;
                        Buffer.BlockCopy(_buffer, used, _buffer, 0, _filled - used);
                        _filled -= used;
                        return requestLine.Split(' ')[1];
                    }

                    if (_filled == _buffer.Length)
                    {
                        return null; // not a request these tests send
                    }

                    int n = await stream.ReadAsync(_buffer.AsMemory(_filled), token);
                    if (n == 0)
                    {
                        return null;
                    }

                    _filled += n;
                }
            }
        }
    }

    /// <summary>
    /// Runs request pairs against a <see cref="StrayBytesServer"/> on one origin with one connection allowed, so the
    /// second request of a pair is offered the first one's connection: the first response is followed by stray bytes,
    /// the second is clean (and its connection is then offered to the next pair's first request).
    /// </summary>
    internal static class StrayBytesPairs
    {
        /// <summary>
        /// Runs <paramref name="pairs"/> pairs. The second request of a pair is sent as soon as the server's stray bytes
        /// are out, in two ways, alternating: from the first request's completion callback on the loop thread, which
        /// then holds the loop until the bytes are out, so they arrive after the response was read and before the next
        /// request takes the connection with no poll in between (readiness cannot report them); or from another thread,
        /// when the loop may or may not have polled since. Returns what went wrong, one line per request (empty: nothing).
        /// </summary>
        public static async Task<List<string>> RunAsync(FetchEngine engine, StrayBytesServer server, int pairs, StrayTiming timing, StrayKind kind)
        {
            var problems = new List<string>();
            for (int pair = 0; pair < pairs; pair++)
            {
                int first = server.NextId();
                int second = server.NextId();
                Task strayOut = server.Expect(first);
                var firstDone = new TaskCompletionSource<FetchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                var secondDone = new TaskCompletionSource<FetchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                bool fromLoop = pair % 2 == 0;
                var secondRequest = new FetchRequest(server.Url(second, StrayTiming.None, kind));
                engine.Submit(new FetchRequest(server.Url(first, timing, kind)), r =>
                {
                    if (fromLoop)
                    {
                        engine.Submit(secondRequest, s => secondDone.TrySetResult(s));
                        if (!strayOut.Wait(TestUtil.Patience))
                        {
                            lock (problems)
                            {
                                problems.Add($"{first}: the server did not send its stray bytes in time");
                            }
                        }
                    }

                    firstDone.TrySetResult(r);
                });

                FetchResult a = await firstDone.Task.WaitAsync(TestUtil.Patience);
                if (!fromLoop)
                {
                    await strayOut.WaitAsync(TestUtil.Patience);
                    engine.Submit(secondRequest, s => secondDone.TrySetResult(s));
                }

                FetchResult b = await secondDone.Task.WaitAsync(TestUtil.Patience);
                lock (problems)
                {
                    Check(a, first, problems);
                    Check(b, second, problems);
                }
            }

            return problems;
        }

        private static void Check(FetchResult r, int id, List<string> problems)
        {
            string expected = id.ToString(CultureInfo.InvariantCulture);
            if (!r.IsResponse)
            {
                problems.Add($"{id}: failed, {r.ErrorKind}: {r.ErrorMessage}");
            }
            else if (r.Content != expected)
            {
                problems.Add($"{id}: wrong body '{r.Content}'");
            }
        }
    }
}
