using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AsyncFetch.TestServer;

/// <summary>Options of <see cref="LoopbackServer.StartAsync"/>.</summary>
public sealed class LoopbackServerOptions
{
    /// <summary>TCP port; 0 picks a free one (the same port is used on every address).</summary>
    public int Port { get; set; }

    /// <summary>Addresses to listen on, all on the same port. Defaults to 127.0.0.1. The first one forms <see cref="LoopbackServer.BaseUri"/>.
    /// IPv6 sockets are v6-only, so 127.0.0.1 and :: (or ::1) can be combined.</summary>
    public IList<IPAddress> Addresses { get; set; } = new List<IPAddress> { IPAddress.Loopback };

    /// <summary>When set, every listener speaks HTTPS (HTTP/1.1) with this certificate and <see cref="LoopbackServer.BaseUri"/> is https.</summary>
    public X509Certificate2? ServerCertificate { get; set; }

    /// <summary>With <see cref="ServerCertificate"/>: ask clients for a certificate (optional, any accepted); <c>/tls</c> shows it.</summary>
    public bool AskForClientCertificate { get; set; }

    /// <summary>When set, the server serves only this generated site at its root (robots.txt, /site-manifest.json; see TestEndpoints.Site.cs).</summary>
    public SiteOptions? Site { get; set; }
}

/// <summary>The Kestrel test server (see README.md for its endpoints).</summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _disposed;

    private readonly ConnectionCounter _connections;

    private LoopbackServer(WebApplication app, ServerStats stats, IReadOnlyList<IPAddress> addresses, int port, string scheme, ConnectionCounter connections)
    {
        _app = app;
        _connections = connections;
        Scheme = scheme;
        Stats = stats;
        Addresses = addresses;
        Port = port;
        BaseUri = GetBaseUri(addresses[0]);
    }

    /// <summary>"http", or "https" when started with a <see cref="LoopbackServerOptions.ServerCertificate"/>.</summary>
    public string Scheme { get; }

    /// <summary>TCP connections accepted so far (for keep-alive reuse checks).</summary>
    public int ConnectionsAccepted => Volatile.Read(ref _connections.Count);

    /// <summary>http://FIRST-ADDRESS:PORT/ (a wildcard address is replaced by its loopback address).</summary>
    public Uri BaseUri { get; }

    /// <summary>The port every address listens on.</summary>
    public int Port { get; }

    /// <summary>The addresses listened on.</summary>
    public IReadOnlyList<IPAddress> Addresses { get; }

    /// <summary>Request counters (the same data as /stats and /arrivals).</summary>
    public ServerStats Stats { get; }

    /// <summary>http://ADDRESS:PORT/ for one of the <see cref="Addresses"/>.</summary>
    public Uri GetBaseUri(IPAddress address)
    {
        if (address.Equals(IPAddress.Any))
        {
            address = IPAddress.Loopback;
        }
        else if (address.Equals(IPAddress.IPv6Any))
        {
            address = IPAddress.IPv6Loopback;
        }

        string host = address.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString();
        return new Uri(Scheme + "://" + host + ":" + Port.ToString(CultureInfo.InvariantCulture) + "/");
    }

    /// <summary>Starts the server; it is listening when the task completes.</summary>
    public static async Task<LoopbackServer> StartAsync(LoopbackServerOptions? options = null)
    {
        options ??= new LoopbackServerOptions();
        IPAddress[] addresses = options.Addresses.Count == 0 ? [IPAddress.Loopback] : options.Addresses.ToArray();
        if (options.Port < 0 || options.Port > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Port must be 0..65535.");
        }

        // With several addresses and port 0, probe a free port on the first address and use it for all
        // (a bind race with another process is possible, so retry a few times).
        bool probe = options.Port == 0 && addresses.Length > 1;
        for (int attempt = 1; ; attempt++)
        {
            int port = probe ? ProbeFreePort(addresses[0]) : options.Port;
            var stats = new ServerStats();
            var connections = new ConnectionCounter();
            WebApplication app = Build(addresses, port, stats, options, connections);
            try
            {
                await app.StartAsync().ConfigureAwait(false);
            }
            catch (Exception) when (probe && attempt < 20)
            {
                await app.DisposeAsync().ConfigureAwait(false);
                continue;
            }
            catch
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            if (port == 0)
            {
                IServerAddressesFeature? feature = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>();
                string first = feature?.Addresses.FirstOrDefault()
                               ?? throw new InvalidOperationException("Kestrel did not report its bound address.");
                port = new Uri(first).Port;
            }

            return new LoopbackServer(app, stats, addresses, port, options.ServerCertificate != null ? "https" : "http", connections);
        }
    }

    /// <summary>Stops the server (in-flight requests get about a second, then their connections are aborted).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            try
            {
                await _app.StopAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Stopping is best effort.
            }
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static WebApplication Build(IPAddress[] addresses, int port, ServerStats stats, LoopbackServerOptions options, ConnectionCounter connections)
    {
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, NoopHostLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseSockets(o =>
        {
            o.Backlog = 4096;
            o.CreateBoundListenSocket = CreateBoundListenSocket;
        });
        builder.WebHost.ConfigureKestrel(o =>
        {
            o.AddServerHeader = false;
            o.AllowSynchronousIO = false;
            o.Limits.MaxRequestBodySize = TestEndpoints.MaxBodySize;
            o.Limits.MinRequestBodyDataRate = null;
            o.Limits.MinResponseDataRate = null;
            o.Limits.MaxConcurrentConnections = null;
            o.Limits.MaxConcurrentUpgradedConnections = null;
            o.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
            o.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
            foreach (IPAddress address in addresses)
            {
                o.Listen(address, port, listen =>
                {
                    listen.Use(next => context =>
                    {
                        Interlocked.Increment(ref connections.Count);
                        return next(context);
                    });
                    if (options.ServerCertificate != null)
                    {
                        listen.Protocols = HttpProtocols.Http1;
                        listen.UseHttps(new HttpsConnectionAdapterOptions
                        {
                            // A selector rather than ServerCertificate: it sees the SNI name, which /tls reports.
                            ServerCertificateSelector = (connection, name) =>
                            {
                                if (connection != null)
                                {
                                    connection.Items["sni"] = name;
                                }

                                return options.ServerCertificate;
                            },
                            ClientCertificateMode = options.AskForClientCertificate ? ClientCertificateMode.AllowCertificate : ClientCertificateMode.NoCertificate,
                            ClientCertificateValidation = (_, _, _) => true,
                        });
                    }
                });
            }
        });

        WebApplication app = builder.Build();
        var endpoints = options.Site is null ? new TestEndpoints(stats) : new TestEndpoints(stats, options.Site);
        app.Run(endpoints.InvokeAsync);
        return app;
    }

    private static Socket CreateBoundListenSocket(EndPoint endPoint)
    {
        if (endPoint is IPEndPoint ip && ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // v6-only, so that 127.0.0.1:P and [::]:P can both be bound.
            var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.DualMode = false;
                socket.Bind(ip);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        return SocketTransportOptions.CreateDefaultBoundListenSocket(endPoint);
    }

    private static int ProbeFreePort(IPAddress address)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.DualMode = false;
        }

        socket.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private sealed class ConnectionCounter
    {
        public int Count;
    }

    private sealed class NoopHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
