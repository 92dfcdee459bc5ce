using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace AsyncFetch.TestServer;

/// <summary>
/// A raw-socket HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose, one scenario per path
/// (see README.md). It tracks open connections so tests can check that a client closed its sockets.
/// </summary>
public sealed class HostileServer : IDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentDictionary<long, Socket> _connections = new();
    private readonly Task _acceptLoop;
    private long _nextId;
    private int _open;
    private int _total;
    private int _disposed;

    private HostileServer()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(1024);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        BaseUri = new Uri("http://127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture) + "/");
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>http://127.0.0.1:PORT/</summary>
    public Uri BaseUri { get; }

    /// <summary>The listening port.</summary>
    public int Port { get; }

    /// <summary>Connections accepted whose handler has not ended (the server has not seen them closed).</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>Connections accepted since start.</summary>
    public int TotalConnections => Volatile.Read(ref _total);

    /// <summary>Starts listening on 127.0.0.1 on a free port.</summary>
    public static HostileServer Start() => new();

    /// <summary>True once <see cref="OpenConnections"/> is 0; false if that did not happen within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForNoOpenConnectionsAsync(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (OpenConnections != 0)
        {
            if (Environment.TickCount64 >= deadline)
            {
                return false;
            }

            await Task.Delay(10).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Closes the listener and every connection; waits briefly for the handlers to end. Never throws.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            _cts.Cancel();
        }
        catch (AggregateException)
        {
        }

        try
        {
            _listener.Dispose();
        }
        catch (Exception)
        {
        }

        foreach (Socket socket in _connections.Values)
        {
            Abort(socket);
        }

        // Handlers end promptly once their sockets are closed; give them a moment so OpenConnections settles.
        try
        {
            _acceptLoop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (Exception)
        {
        }

        SpinWait.SpinUntil(() => OpenConnections == 0, TimeSpan.FromSeconds(2));

        // _cts is deliberately not disposed: handlers that are still finishing may use its (cancelled) token.
    }

    private static void Abort(Socket socket)
    {
        try
        {
            socket.Dispose();
        }
        catch (Exception)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken cancellationToken = _cts.Token;
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                if (Volatile.Read(ref _disposed) != 0)
                {
                    return;
                }

                continue;
            }

            Interlocked.Increment(ref _open);
            Interlocked.Increment(ref _total);
            long id = Interlocked.Increment(ref _nextId);
            _connections[id] = socket;
            if (Volatile.Read(ref _disposed) != 0)
            {
                Abort(socket);
            }

            _ = Task.Run(() => HandleAsync(id, socket, cancellationToken));
        }
    }

    private async Task HandleAsync(long id, Socket socket, CancellationToken cancellationToken)
    {
        try
        {
            socket.NoDelay = true;
            await new HostileConnection(socket, cancellationToken).RunAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Client went away, server disposed, or a scenario ended by an error: just close.
        }
        finally
        {
            _connections.TryRemove(id, out _);
            Abort(socket);
            Interlocked.Decrement(ref _open);
        }
    }
}

/// <summary>One connection of <see cref="HostileServer"/>.</summary>
internal sealed class HostileConnection
{
    private const int MaxHead = 64 * 1024;

    private static readonly byte[] s_ok = Ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    private static readonly byte[] s_notFound = Ascii("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    private static readonly byte[] s_zeros = new byte[64 * 1024];
    private static readonly byte[] s_infiniteChunk = BuildInfiniteChunk();

    private readonly Socket _socket;
    private readonly CancellationToken _serverStopping;
    private readonly byte[] _buffer = new byte[MaxHead + 4096];
    private int _start;
    private int _end;

    public HostileConnection(Socket socket, CancellationToken serverStopping)
    {
        _socket = socket;
        _serverStopping = serverStopping;
    }

    private enum Next
    {
        KeepAlive,
        Close,
        Reset,
    }

    public async Task RunAsync()
    {
        while (true)
        {
            string? target = await ReadRequestAsync().ConfigureAwait(false);
            if (target is null)
            {
                return; // EOF, oversized or malformed head
            }

            int q = target.IndexOf('?', StringComparison.Ordinal);
            string path = q < 0 ? target : target.Substring(0, q);
            string query = q < 0 ? string.Empty : target.Substring(q + 1);

            Next next = await RunScenarioAsync(path, query).ConfigureAwait(false);
            if (next == Next.KeepAlive)
            {
                continue;
            }

            if (next == Next.Reset)
            {
                _socket.LingerState = new LingerOption(true, 0);
                _socket.Close();
                return;
            }

            try
            {
                _socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
            }

            return;
        }
    }

    private async Task<Next> RunScenarioAsync(string path, string query)
    {
        switch (path)
        {
            case "/ok":
                await SendAsync(s_ok).ConfigureAwait(false);
                return Next.KeepAlive;
            case "/malformed-status":
                await SendAsync("HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n").ConfigureAwait(false);
                return Next.Close;
            case "/not-http":
                await SendAsync("SSH-2.0-OpenSSH\r\n").ConfigureAwait(false);
                return Next.Close;
            case "/invalid-header":
                await SendAsync("HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\n").ConfigureAwait(false);
                return Next.Close;
            case "/header-space-before-colon":
                await SendAsync("HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok").ConfigureAwait(false);
                return Next.Close;
            case "/huge-headers":
            {
                var sb = new StringBuilder("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n", 140 * 1024);
                string pad = new('x', 100);
                for (int i = 0; sb.Length < 128 * 1024; i++)
                {
                    sb.Append("X-Pad-").Append(i.ToString(CultureInfo.InvariantCulture)).Append(": ").Append(pad).Append("\r\n");
                }

                sb.Append("\r\n");
                await SendAsync(sb.ToString()).ConfigureAwait(false);
                return Next.Close;
            }

            case "/many-headers":
            {
                var sb = new StringBuilder("HTTP/1.1 200 OK\r\n");
                for (int i = 0; i < 500; i++)
                {
                    string n = i.ToString(CultureInfo.InvariantCulture);
                    sb.Append("X-H-").Append(n).Append(": v").Append(n).Append("\r\n");
                }

                sb.Append("Content-Length: 2\r\n\r\nok");
                await SendAsync(sb.ToString()).ConfigureAwait(false);
                return Next.KeepAlive;
            }

            case "/bad-chunk-size":
                await SendAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n").ConfigureAwait(false);
                return Next.Close;
            case "/chunk-overflow":
                await SendAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n").ConfigureAwait(false);
                return Next.Close;
            case "/long-chunk-line":
                await SendAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + new string('a', 10 * 1024)).ConfigureAwait(false);
                await WhileClientConnectedAsync(ct => Task.Delay(5000, ct)).ConfigureAwait(false);
                return Next.Close;
            case "/truncated-body":
                await SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n").ConfigureAwait(false);
                await SendPatternAsync(10, CancellationToken.None).ConfigureAwait(false);
                return Next.Close;
            case "/truncated-chunked":
                await SendAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n").ConfigureAwait(false);
                return Next.Close;
            case "/conflicting-length":
                await SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef").ConfigureAwait(false);
                return Next.Close;
            case "/length-and-chunked":
                await SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").ConfigureAwait(false);
                return Next.Close;
            case "/negative-length":
                await SendAsync("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok").ConfigureAwait(false);
                return Next.Close;
            case "/close-mid-headers":
                await SendAsync("HTTP/1.1 200 OK\r\nContent-Le").ConfigureAwait(false);
                return Next.Close;
            case "/close-before-response":
                return Next.Close;
            case "/reset":
                return Next.Reset;
            case "/reset-mid-body":
                await SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n").ConfigureAwait(false);
                await SendPatternAsync(1000, CancellationToken.None).ConfigureAwait(false);
                return Next.Reset;
            case "/never":
                await DiscardUntilClosedAsync().ConfigureAwait(false);
                return Next.Close;
            case "/slow":
            {
                long ms = QueryLong(query, "ms", 1000);
                await SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n").ConfigureAwait(false);
                bool completed = await WhileClientConnectedAsync(async ct =>
                {
                    for (int i = 0; i < 10; i++)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(ms), ct).ConfigureAwait(false);
                        await SendAsync(new[] { (byte)('0' + i) }, ct).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
                return completed ? Next.KeepAlive : Next.Close;
            }

            case "/huge-body":
            {
                long n = QueryLong(query, "n", 1L << 30);
                await SendAsync("HTTP/1.1 200 OK\r\nContent-Length: " + n.ToString(CultureInfo.InvariantCulture) + "\r\n\r\n").ConfigureAwait(false);
                bool completed = await WhileClientConnectedAsync(async ct =>
                {
                    long left = n;
                    while (left > 0)
                    {
                        int len = (int)Math.Min(left, s_zeros.Length);
                        await SendAsync(s_zeros.AsMemory(0, len), ct).ConfigureAwait(false);
                        left -= len;
                    }
                }).ConfigureAwait(false);
                return completed ? Next.KeepAlive : Next.Close;
            }

            case "/infinite-chunked":
                await SendAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").ConfigureAwait(false);
                await WhileClientConnectedAsync(async ct =>
                {
                    while (true)
                    {
                        await SendAsync(s_infiniteChunk, ct).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
                return Next.Close;
            case "/until-close":
            {
                long n = QueryLong(query, "n", 1000);
                await SendAsync("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n").ConfigureAwait(false);
                await WhileClientConnectedAsync(ct => SendPatternAsync(n, ct)).ConfigureAwait(false);
                return Next.Close;
            }

            case "/interim-100":
                await SendAsync("HTTP/1.1 100 Continue\r\n\r\n").ConfigureAwait(false);
                await SendAsync(s_ok).ConfigureAwait(false);
                return Next.KeepAlive;
            case "/http10":
                await SendAsync("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok").ConfigureAwait(false);
                return Next.Close;
            case "/ok-then-close":
                await SendAsync(s_ok).ConfigureAwait(false);
                return Next.Close;
            case "/ok-keepalive-then-die":
                await SendAsync(s_ok).ConfigureAwait(false);
                await Task.Delay(50, _serverStopping).ConfigureAwait(false);
                return Next.Close;
            default:
                await SendAsync(s_notFound).ConfigureAwait(false);
                return Next.KeepAlive;
        }
    }

    // ---- request reading ----

    /// <summary>Reads one request head (and skips a Content-Length request body). Returns the request target, or null to close.</summary>
    private async Task<string?> ReadRequestAsync()
    {
        int headEnd;
        while ((headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (_end - _start >= MaxHead)
            {
                return null;
            }

            if (!await FillAsync().ConfigureAwait(false))
            {
                return null;
            }
        }

        string head = Encoding.Latin1.GetString(_buffer, _start, headEnd);
        _start += headEnd + 4;

        string[] lines = head.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        if (requestLine.Length < 2)
        {
            return null;
        }

        long contentLength = 0;
        for (int i = 1; i < lines.Length; i++)
        {
            int colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 &&
                lines[i].AsSpan(0, colon).Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase) &&
                long.TryParse(lines[i].AsSpan(colon + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long length))
            {
                contentLength = length;
            }
        }

        while (contentLength > 0)
        {
            if (_end == _start && !await FillAsync().ConfigureAwait(false))
            {
                return null;
            }

            int skip = (int)Math.Min(contentLength, _end - _start);
            _start += skip;
            contentLength -= skip;
        }

        string target = requestLine[1];
        if (target.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || target.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            int slash = target.IndexOf('/', target.IndexOf("//", StringComparison.Ordinal) + 2);
            target = slash < 0 ? "/" : target.Substring(slash);
        }

        return target;
    }

    /// <summary>Receives more bytes into the buffer (compacting first). False on EOF.</summary>
    private async Task<bool> FillAsync()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        int read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, _serverStopping).ConfigureAwait(false);
        if (read == 0)
        {
            return false;
        }

        _end += read;
        return true;
    }

    private async Task DiscardUntilClosedAsync()
    {
        _start = _end = 0;
        while (await _socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None, _serverStopping).ConfigureAwait(false) > 0)
        {
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> with a token that is cancelled when the client closes its side
    /// (detected by a pending peek returning 0 or failing) or the server stops.
    /// True if the action completed, false if the client went away (or the action failed).
    /// </summary>
    private async Task<bool> WhileClientConnectedAsync(Func<CancellationToken, Task> action)
    {
        using var clientGone = CancellationTokenSource.CreateLinkedTokenSource(_serverStopping);
        using var stopMonitor = new CancellationTokenSource();
        Task monitor = MonitorAsync(clientGone, stopMonitor.Token);
        try
        {
            await action(clientGone.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
        finally
        {
            stopMonitor.Cancel();
            try
            {
                await monitor.ConfigureAwait(false);
            }
            catch (Exception)
            {
            }
        }
    }

    private async Task MonitorAsync(CancellationTokenSource clientGone, CancellationToken stop)
    {
        var one = new byte[1];
        try
        {
            int n = await _socket.ReceiveAsync(one, SocketFlags.Peek, stop).ConfigureAwait(false);
            if (n == 0)
            {
                clientGone.Cancel();
            }

            // n > 0: the client sent more (a pipelined request); it is still there, stop watching.
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception)
        {
            clientGone.Cancel();
        }
    }

    // ---- writing ----

    private Task SendAsync(string text) => SendAsync(Ascii(text), _serverStopping);

    private Task SendAsync(byte[] bytes) => SendAsync(bytes, _serverStopping);

    private async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            bytes = bytes.Slice(sent);
        }
    }

    private async Task SendPatternAsync(long count, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_serverStopping, cancellationToken);
        long sent = 0;
        while (sent < count)
        {
            int len = (int)Math.Min(count - sent, 64 * 1024);
            await SendAsync(Payloads.PatternSlice(sent, len), linked.Token).ConfigureAwait(false);
            sent += len;
        }
    }

    private static long QueryLong(string query, string name, long defaultValue)
    {
        foreach (string part in query.Split('&'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && part.AsSpan(0, eq).SequenceEqual(name) &&
                long.TryParse(part.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            {
                return value;
            }
        }

        return defaultValue;
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] BuildInfiniteChunk()
    {
        byte[] head = Ascii("10000\r\n");
        var chunk = new byte[head.Length + 65536 + 2];
        head.CopyTo(chunk, 0);
        chunk[^2] = (byte)'\r';
        chunk[^1] = (byte)'\n';
        return chunk;
    }
}
