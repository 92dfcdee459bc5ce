using System;
using System.Collections.Generic;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.TestServer;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>One Kestrel loopback server (on 127.0.0.1 and 127.0.0.2) and one hostile server for a test class.</summary>
    public sealed class ServerFixture : IAsyncLifetime
    {
        public LoopbackServer Server { get; private set; } = null!;

        public HostileServer Hostile { get; private set; } = null!;

        public Uri Base => Server.BaseUri;

        /// <summary>The same server reached through a second loopback address (a second "host" for per-host limits).</summary>
        public Uri Base2 => Server.GetBaseUri(IPAddress.Parse("127.0.0.2"));

        public async Task InitializeAsync()
        {
            // The test server runs in this process and shares its thread pool with work the engine hands to the pool
            // (large decodes, TLS): on 2 cores the pool starts with 2 threads and adds more only every ~0.5 s, so a
            // decode could hold up the server's answers. Real servers are other processes; give the pool room.
            ThreadPool.GetMinThreads(out int workers, out int io);
            ThreadPool.SetMinThreads(Math.Max(workers, 16), io);
            Server = await LoopbackServer.StartAsync(new LoopbackServerOptions
            {
                Addresses = new List<IPAddress> { IPAddress.Loopback, IPAddress.Parse("127.0.0.2") },
            });
            Hostile = HostileServer.Start();
        }

        public async Task DisposeAsync()
        {
            Hostile.Dispose();
            await Server.DisposeAsync();
        }

        public Uri Url(string path) => new Uri(Base, path);

        public Uri HostileUrl(string path) => new Uri(Hostile.BaseUri, path);
    }
}
