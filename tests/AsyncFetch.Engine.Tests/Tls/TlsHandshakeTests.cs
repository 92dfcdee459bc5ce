using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Tls
{
    /// <summary>Handshakes that never finish or break: timeouts, cancellation, a server that closes or resets mid-handshake.</summary>
    public sealed class TlsHandshakeTests
    {
        private static FetchEngine Engine(Action<FetchEngineOptions>? configure = null) => new FetchEngine(TlsFixture.Options(configure));

        [Fact]
        public async Task A_server_that_never_answers_times_out_under_the_connect_timeout()
        {
            using var server = new SilentServer(SilentServer.Mode.Never);
            using FetchEngine engine = Engine(o => o.ConnectTimeout = TimeSpan.FromMilliseconds(600));
            FetchResult r = await Fetch(engine, new FetchRequest(server.Url));
            Assert.Equal(FetchErrorKind.Timeout, r.ErrorKind);
            Assert.Contains("TLS handshake did not finish", r.ErrorMessage);
            Assert.Contains("ConnectTimeoutSec", r.ErrorMessage);
            Assert.True(r.Timings.TotalMs >= 500, r.Timings.ToString());
            Assert.True(await Eventually(() => engine.OpenConnections == 0, Patience));
            Assert.True(await server.WaitClosedAsync(Patience), "the engine should close its end");
        }

        [Fact]
        public async Task A_server_that_never_answers_times_out_under_the_total_timeout()
        {
            using var server = new SilentServer(SilentServer.Mode.Never);
            using FetchEngine engine = Engine(o => { o.ConnectTimeout = TimeSpan.FromSeconds(30); o.Timeout = TimeSpan.FromMilliseconds(600); });
            FetchResult r = await Fetch(engine, new FetchRequest(server.Url));
            Assert.Equal(FetchErrorKind.Timeout, r.ErrorKind);
            Assert.Contains("TimeoutSec", r.ErrorMessage);
            Assert.True(await Eventually(() => engine.OpenConnections == 0, Patience));
        }

        [Fact]
        public async Task Cancelling_during_the_handshake_cancels_the_request()
        {
            using var server = new SilentServer(SilentServer.Mode.Never);
            using FetchEngine engine = Engine();
            using var cts = new CancellationTokenSource();
            Task<FetchResult> pending = engine.FetchAsync(new FetchRequest(server.Url), cts.Token);
            Assert.True(await server.WaitAcceptedAsync(Patience));
            await Task.Delay(100);
            Assert.False(pending.IsCompleted);
            cts.Cancel();
            FetchResult r = await pending.WaitAsync(Patience);
            Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind);
            Assert.True(await Eventually(() => engine.OpenConnections == 0, Patience));
            Assert.True(await server.WaitClosedAsync(Patience));
        }

        [Fact]
        public async Task Disposing_the_engine_during_handshakes_completes_every_request()
        {
            using var server = new SilentServer(SilentServer.Mode.Never);
            FetchEngine engine = Engine();
            var tasks = new Task<FetchResult>[10];
            for (int i = 0; i < tasks.Length; i++)
            {
                tasks[i] = engine.FetchAsync(new FetchRequest(server.Url));
            }

            Assert.True(await Eventually(() => server.Accepted >= tasks.Length, Patience));
            engine.Dispose();
            FetchResult[] results = await Task.WhenAll(tasks).WaitAsync(Patience);
            Assert.All(results, r => Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind));
            Assert.Equal(0, engine.OpenConnections);
        }

        [Fact]
        public async Task A_server_that_closes_mid_handshake_gives_a_clear_error()
        {
            using var server = new SilentServer(SilentServer.Mode.CloseAfterHello);
            using FetchEngine engine = Engine();
            FetchResult r = await Fetch(engine, new FetchRequest(server.Url));
            Assert.Equal(FetchErrorKind.Tls, r.ErrorKind);
            Assert.Equal($"The TLS handshake with 127.0.0.1:{server.Port} failed: the server closed the connection.", r.ErrorMessage);
            Assert.Equal(0, engine.OpenConnections);
        }

        [Fact]
        public async Task A_server_that_resets_mid_handshake_is_a_Tls_failure()
        {
            using var server = new SilentServer(SilentServer.Mode.ResetAfterHello);
            using FetchEngine engine = Engine();
            FetchResult r = await Fetch(engine, new FetchRequest(server.Url));
            Assert.Equal(FetchErrorKind.Tls, r.ErrorKind);
            Assert.StartsWith($"The TLS handshake with 127.0.0.1:{server.Port} failed: ", r.ErrorMessage);
            Assert.True(r.ErrorMessage!.Contains("reset", StringComparison.OrdinalIgnoreCase) || r.ErrorMessage.Contains("closed", StringComparison.Ordinal), r.ErrorMessage);
        }

        [Fact]
        public async Task A_connection_refused_on_https_is_still_Connect()
        {
            using FetchEngine engine = Engine();
            FetchResult r = await Fetch(engine, new FetchRequest(new Uri($"https://127.0.0.1:{ClosedPort()}/")));
            Assert.Equal(FetchErrorKind.Connect, r.ErrorKind);
        }
    }
}
