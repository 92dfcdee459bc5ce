using System;
using System.Net;
using System.Threading.Tasks;
using AsyncFetch.TestServer;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>Four HTTPS loopback servers (127.0.0.1), one per kind of certificate; the good one asks for client certificates.</summary>
    public sealed class TlsFixture : IAsyncLifetime
    {
        public LoopbackServer Good { get; private set; } = null!;

        public LoopbackServer WrongName { get; private set; } = null!;

        public LoopbackServer Expired { get; private set; } = null!;

        public LoopbackServer SelfSigned { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Good = await LoopbackServer.StartAsync(new LoopbackServerOptions { ServerCertificate = TestCertificates.Good, AskForClientCertificate = true });
            WrongName = await LoopbackServer.StartAsync(new LoopbackServerOptions { ServerCertificate = TestCertificates.WrongName });
            Expired = await LoopbackServer.StartAsync(new LoopbackServerOptions { ServerCertificate = TestCertificates.Expired });
            SelfSigned = await LoopbackServer.StartAsync(new LoopbackServerOptions { ServerCertificate = TestCertificates.SelfSigned });
        }

        public async Task DisposeAsync()
        {
            await Good.DisposeAsync();
            await WrongName.DisposeAsync();
            await Expired.DisposeAsync();
            await SelfSigned.DisposeAsync();
        }

        /// <summary>https://127.0.0.1:PORT/path on the good server.</summary>
        public Uri Url(string path) => new Uri(Good.BaseUri, path);

        /// <summary>The good server under a host name (the engine resolves it to 127.0.0.1 through <see cref="Loopback"/>).</summary>
        public Uri NamedUrl(string host, string path) => new Uri($"https://{host}:{Good.Port}{path}");

        /// <summary>Options for an engine that trusts the test CA and resolves every name to 127.0.0.1.</summary>
        public static FetchEngineOptions Options(Action<FetchEngineOptions>? configure = null)
        {
            var options = new FetchEngineOptions { TrustedRootCertificates = TestCertificates.TrustedCa };
            Loopback(options);
            configure?.Invoke(options);
            return options;
        }

        /// <summary>Asserts that the result's message contains <paramref name="text"/> (and shows the message when it does not).</summary>
        public static void Says(FetchResult r, string text) =>
            Assert.True(r.ErrorMessage?.Contains(text, StringComparison.Ordinal) == true, $"'{text}' is not in: {r.ErrorMessage}");

        /// <summary>Asserts that the result's message does not contain <paramref name="text"/>.</summary>
        public static void DoesNotSay(FetchResult r, string text) =>
            Assert.False(r.ErrorMessage?.Contains(text, StringComparison.Ordinal) == true, $"'{text}' is in: {r.ErrorMessage}");

        /// <summary>Every host name resolves to 127.0.0.1 (nothing reaches the machine's DNS server).</summary>
        public static void Loopback(FetchEngineOptions options) => options.Resolver = _ => Task.FromResult(new[] { IPAddress.Loopback });
    }
}
