using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.TestServer;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>The test classes that share one <see cref="TinyproxyFixture"/> (and run one after another).</summary>
    [CollectionDefinition(Name)]
    public sealed class TinyproxyCollection : ICollectionFixture<TinyproxyFixture>
    {
        public const string Name = "tinyproxy";
    }

    /// <summary>
    /// Real proxies for the engine tests: two tinyproxy processes on loopback (an open one and one asking for
    /// Basic credentials), each with its own config, log and pid file in a temporary directory, run in the
    /// foreground as children of the test process and killed on dispose; and the loopback servers behind them
    /// (http on 127.0.0.1 and 127.0.0.2, https with the test CA's certificate). CONNECT is allowed to the https
    /// server's port only. Nothing starts when tinyproxy is unavailable (the tests are skipped then).
    /// </summary>
    public sealed class TinyproxyFixture : IAsyncLifetime
    {
        public const string User = "proxy.user";
        public const string Password = "s3cret-pass"; // tinyproxy's BasicAuth takes [-a-z0-9._] only

        public LoopbackServer Http { get; private set; } = null!;

        public LoopbackServer Https { get; private set; } = null!;

        public TinyproxyProcess Open { get; private set; } = null!;

        public TinyproxyProcess Auth { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            if (Tinyproxy.Path == null)
            {
                return;
            }

            Http = await LoopbackServer.StartAsync(new LoopbackServerOptions
            {
                Addresses = new List<IPAddress> { IPAddress.Loopback, IPAddress.Parse("127.0.0.2") },
            });
            Https = await LoopbackServer.StartAsync(new LoopbackServerOptions { ServerCertificate = TestCertificates.Good });
            Open = await TinyproxyProcess.StartAsync(Tinyproxy.Path, "open", Https.Port, null);
            Auth = await TinyproxyProcess.StartAsync(Tinyproxy.Path, "auth", Https.Port, (User, Password));
        }

        public async Task DisposeAsync()
        {
            Open?.Dispose();
            Auth?.Dispose();
            if (Http != null)
            {
                await Http.DisposeAsync();
            }

            if (Https != null)
            {
                await Https.DisposeAsync();
            }
        }

        /// <summary>http://127.0.0.1:PORT/path on the http server.</summary>
        public Uri HttpUrl(string path) => new Uri(Http.BaseUri, path);

        /// <summary>http://127.0.0.2:PORT/path: the same server as a second host.</summary>
        public Uri Http2Url(string path) => new Uri(Http.GetBaseUri(IPAddress.Parse("127.0.0.2")), path);

        /// <summary>https://127.0.0.1:PORT/path on the https server.</summary>
        public Uri HttpsUrl(string path) => new Uri(Https.BaseUri, path);

        /// <summary>An engine that trusts the test CA; resolving any name is a test failure (the proxy does that).</summary>
        public static FetchEngine Engine(Action<FetchEngineOptions>? configure = null)
        {
            var options = new FetchEngineOptions
            {
                TrustedRootCertificates = TestCertificates.TrustedCa,
                Resolver = name => Task.FromException<IPAddress[]>(new InvalidOperationException($"The engine resolved '{name}'; through a proxy it must not.")),
            };
            configure?.Invoke(options);
            return new FetchEngine(options);
        }
    }

    /// <summary>One tinyproxy process (foreground, -d) with its own config; its log shows what it was asked for.</summary>
    public sealed class TinyproxyProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output;
        private readonly string _directory;

        private TinyproxyProcess(Process process, StringBuilder output, string directory, int port)
        {
            _process = process;
            _output = output;
            _directory = directory;
            Port = port;
        }

        public int Port { get; }

        /// <summary>http://127.0.0.1:PORT</summary>
        public Uri Uri => new Uri($"http://127.0.0.1:{Port}");

        /// <summary>The name results carry for it.</summary>
        public string Name => $"http://127.0.0.1:{Port}";

        /// <summary>A proxy URI with user info ("http://user:pass@127.0.0.1:PORT", as given: already percent-encoded).</summary>
        public Uri UriWith(string userInfo) => new Uri($"http://{userInfo}@127.0.0.1:{Port}");

        public static async Task<TinyproxyProcess> StartAsync(string binary, string name, int connectPort, (string User, string Password)? auth)
        {
            string directory = Path.Combine(Path.GetTempPath(), "asyncfetch-tinyproxy-" + name + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(directory);
            string failures = string.Empty;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                int port = FreePort();
                string config = Path.Combine(directory, "tinyproxy.conf");
                var text = new StringBuilder()
                    .AppendLine($"Port {port}")
                    .AppendLine("Listen 127.0.0.1")
                    .AppendLine("Timeout 60")
                    .AppendLine("Allow 127.0.0.1")
                    .AppendLine("MaxClients 100")
                    .AppendLine($"LogFile \"{Path.Combine(directory, "tinyproxy.log")}\"")
                    .AppendLine($"PidFile \"{Path.Combine(directory, "tinyproxy.pid")}\"")
                    .AppendLine("LogLevel Info")
                    .AppendLine($"ConnectPort {connectPort}");
                if (auth is (string user, string password))
                {
                    text.AppendLine($"BasicAuth {user} {password}");
                }

                File.WriteAllText(config, text.ToString());
                var output = new StringBuilder();
                var info = new ProcessStartInfo(binary, $"-d -c \"{config}\"")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                Process process = Process.Start(info)!;
                process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
                process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                var proxy = new TinyproxyProcess(process, output, directory, port);
                if (await proxy.WaitUntilListeningAsync(TimeSpan.FromSeconds(15)))
                {
                    return proxy;
                }

                failures += $"attempt {attempt + 1} on port {port}: {proxy.Output}\n";
                proxy.Kill();
            }

            throw new InvalidOperationException($"tinyproxy ({binary}) did not start listening: {failures}");
        }

        /// <summary>What tinyproxy printed (it logs to the file once it has read its config).</summary>
        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        /// <summary>The log file as it is now.</summary>
        public string Log()
        {
            string path = Path.Combine(_directory, "tinyproxy.log");
            if (!File.Exists(path))
            {
                return string.Empty;
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }

        /// <summary>Waits (bounded) until the log contains <paramref name="text"/>; true when it does.</summary>
        public async Task<bool> LogShowsAsync(string text, TimeSpan? timeout = null)
        {
            var clock = Stopwatch.StartNew();
            TimeSpan limit = timeout ?? TimeSpan.FromSeconds(10);
            while (true)
            {
                if (Log().Contains(text, StringComparison.Ordinal))
                {
                    return true;
                }

                if (clock.Elapsed > limit)
                {
                    return false;
                }

                await Task.Delay(50);
            }
        }

        public void Dispose()
        {
            Kill();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        private void Kill()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                }

                _process.WaitForExit(10_000); // reaped: no zombie left behind
            }
            catch (InvalidOperationException)
            {
            }

            _process.Dispose();
        }

        private async Task<bool> WaitUntilListeningAsync(TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < timeout)
            {
                if (_process.HasExited)
                {
                    return false;
                }

                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cts.Token);
                    return true;
                }
                catch (Exception e) when (e is SocketException || e is OperationCanceledException)
                {
                    await Task.Delay(100);
                }
            }

            return false;
        }

        private static int FreePort()
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return ((IPEndPoint)s.LocalEndPoint!).Port;
        }
    }
}
