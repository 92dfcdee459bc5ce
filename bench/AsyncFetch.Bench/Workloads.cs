using System;
using System.Collections.Generic;
using System.Linq;

namespace AsyncFetch.Bench
{
    /// <summary>
    /// The servers a workload can target: nginx (static files) over http, over https on one port (W6), over https on
    /// 500 ports answering with Connection: close (W7's origins), or the project's Kestrel test server (/delay).
    /// </summary>
    internal enum Server
    {
        Nginx,
        Kestrel,
        NginxTls,
        Origins,
    }

    /// <summary>
    /// One workload: a URL on one of the servers, a request count and a concurrency, how many runs per client,
    /// and which clients can do it. <see cref="Warmup"/> requests (to <see cref="WarmupPath"/>) precede the timed
    /// ones in clients that warm up in-process. <see cref="ToDisk"/>: every client writes each body to a file of its
    /// own in a fresh directory, which the suite checks (<see cref="BodyBytes"/> per file) and deletes after each run.
    /// </summary>
    internal sealed record Workload(
        string Id,
        string Title,
        Server Server,
        string Path,
        int Count,
        int Concurrency,
        int Runs,
        int Warmup,
        string? WarmupPath = null,
        bool Discard = false,
        bool ToDisk = false,
        long BodyBytes = 0,
        double? IdealSeconds = null,
        int? ParallelCount = null,
        double WrkSeconds = 0)
    {
        /// <summary>Requests the ForEach-Object -Parallel client sends (a subset where it would take minutes).</summary>
        public int ForeachCount => Math.Min(Count, ParallelCount ?? Count);

        /// <summary>The clients measured in this workload, in the order they run and are listed.</summary>
        public IReadOnlyList<string> Clients => Id switch
        {
            "W5" => new[] { "baseline", "cmdlet-stream" },
            "W3m" or "W3dm" => new[] { "engine", "httpclient", "cmdlet" },
            "W8a" or "W8b" => new[] { "engine", "engine-select" },
            _ => AllClients.Where(c => c is not ("cmdlet-stream" or "baseline" or "engine-select")).ToArray(),
        };

        /// <summary>The revision the "engine-baseline" client was built from (bench/run --baseline REV), for the report.</summary>
        public static string BaselineName { get; set; } = "baseline";

        /// <summary>
        /// The engine of an earlier revision runs only when bench/run is given --baseline: without it its rows are
        /// left out of the report rather than shown as n/a.
        /// </summary>
        public static bool OnRequestOnly(string client) => client == "engine-baseline";

        public static readonly string[] AllClients =
        {
            "engine", "engine-baseline", "engine-process", "httpclient", "cmdlet", "cmdlet-callback", "foreach-parallel",
            "curl", "hey", "aiohttp", "wrk", "baseline", "cmdlet-stream", "engine-select",
        };

        /// <summary>Why a client cannot do this workload (null when it can).</summary>
        public string? NotApplicable(string client) => (Id, client) switch
        {
            (not ("W1" or "W6"), "wrk") => "wrk is the W1 and W6 upper bound only (it runs for a duration, not a request count)",
            ("W6" or "W7", "foreach-parallel") => "left out of the https workloads (W1 measures it)",
            ("W7", "hey") => "hey takes one URL (W7 needs 500 origins)",
            ("W7", "engine-baseline") => "an earlier driver has no URL list (--url-file)",
            ("W3d", "hey") => "hey cannot write bodies to disk",
            ("W4", "curl") => "curl caps --parallel-max at 300 (10,000 needed)",
            ("W4", "foreach-parallel") => "10,000 runspaces at once are beyond ForEach-Object -Parallel",
            _ => null,
        };

        public static IReadOnlyList<Workload> Full() => new[]
        {
            new Workload("W1", "W1 throughput: 20,000 GETs of a 1 KiB file, concurrency 64", Server.Nginx, "/1k.bin", 20_000, 64, 5, 100_000, ParallelCount: 2000, WrkSeconds: 3), // steady state, as wrk's 3 s are (see bench/README.md)
            new Workload("W2", "W2 latency-bound: 2,000 GETs of a 50 ms delay, concurrency 200 (ideal 0.5 s)", Server.Kestrel, "/delay/50", 2000, 200, 5, 400, IdealSeconds: 0.5),
            new Workload("W3", "W3 bulk, discarded: 50 GETs of a 10 MiB file, concurrency 8, bodies discarded", Server.Nginx, "/10m.bin", 50, 8, 7, 100, "/100k.bin", Discard: true),
            new Workload("W3m", "W3 discarded, memory check: the same 50 GETs of a 100 KiB file (peak RSS must not grow with body size)", Server.Nginx, "/100k.bin", 50, 8, 7, 100, "/100k.bin", Discard: true),
            new Workload("W3d", "W3 bulk, to disk: 50 GETs of a 10 MiB file, concurrency 8, bodies written to files", Server.Nginx, "/10m.bin", 50, 8, 7, 100, "/100k.bin", ToDisk: true, BodyBytes: 10 << 20),
            new Workload("W3dm", "W3 to disk, memory check: the same 50 GETs of a 100 KiB file to files (peak RSS must not grow with body size)", Server.Nginx, "/100k.bin", 50, 8, 7, 100, "/100k.bin", ToDisk: true, BodyBytes: 100 << 10),
            new Workload("W4", "W4 many connections: 10,000 concurrent 2 s requests (ideal 2 s)", Server.Kestrel, "/delay/2000", 10_000, 10_000, 5, 200, "/delay/0", IdealSeconds: 2),
            new Workload("W5", "W5 streaming scale: 1,000,000 URLs through Invoke-AsyncFetch -NoContent, concurrency 64", Server.Nginx, "/1k.bin", 1_000_000, 64, 3, 1000),
            new Workload("W6", "W6 TLS throughput: 20,000 https GETs of a 1 KiB file, concurrency 64 (certificates validated)", Server.NginxTls, "/1k.bin", 20_000, 64, 5, 100_000, WrkSeconds: 3),
            new Workload("W7", "W7 many origins: 5,000 https GETs over 500 origins, a new connection and handshake each, concurrency 200", Server.Origins, "/1k.bin", 5000, 200, 5, 1000),
            new Workload("W8a", "W8 portable selector, W1's shape: 20,000 GETs of a 1 KiB file, concurrency 64, epoll against Socket.Select", Server.Nginx, "/1k.bin", 20_000, 64, 5, 100_000),
            new Workload("W8b", "W8 portable selector, W4's shape: 10,000 concurrent 2 s requests (ideal 2 s), epoll against Socket.Select", Server.Kestrel, "/delay/2000", 10_000, 10_000, 5, 200, "/delay/0", IdealSeconds: 2),
        };

        /// <summary>CI's smoke sizes: a few hundred requests per workload, one run, no verdict on speed.</summary>
        public static IReadOnlyList<Workload> Quick() => new[]
        {
            new Workload("W1", "W1 throughput (smoke): 300 GETs of a 1 KiB file, concurrency 16", Server.Nginx, "/1k.bin", 300, 16, 1, 20, ParallelCount: 100, WrkSeconds: 1),
            new Workload("W2", "W2 latency-bound (smoke): 200 GETs of a 50 ms delay, concurrency 50", Server.Kestrel, "/delay/50", 200, 50, 1, 20, IdealSeconds: 0.2),
            new Workload("W3", "W3 bulk, discarded (smoke): 16 GETs of a 10 MiB file, concurrency 4, bodies discarded", Server.Nginx, "/10m.bin", 16, 4, 1, 8, "/100k.bin", Discard: true),
            new Workload("W3m", "W3 discarded, memory check (smoke): 16 GETs of a 100 KiB file", Server.Nginx, "/100k.bin", 16, 4, 1, 8, "/100k.bin", Discard: true),
            new Workload("W3d", "W3 bulk, to disk (smoke): 8 GETs of a 10 MiB file, concurrency 4, bodies written to files", Server.Nginx, "/10m.bin", 8, 4, 1, 8, "/100k.bin", ToDisk: true, BodyBytes: 10 << 20),
            new Workload("W3dm", "W3 to disk, memory check (smoke): 16 GETs of a 100 KiB file to files", Server.Nginx, "/100k.bin", 16, 4, 1, 8, "/100k.bin", ToDisk: true, BodyBytes: 100 << 10),
            new Workload("W4", "W4 many connections (smoke): 300 concurrent 500 ms requests", Server.Kestrel, "/delay/500", 300, 300, 1, 20, "/delay/0", IdealSeconds: 0.5),
            new Workload("W5", "W5 streaming scale (smoke): 3,000 URLs through Invoke-AsyncFetch -NoContent", Server.Nginx, "/1k.bin", 3000, 16, 1, 20),
            new Workload("W6", "W6 TLS throughput (smoke): 300 https GETs of a 1 KiB file, concurrency 16", Server.NginxTls, "/1k.bin", 300, 16, 1, 20, WrkSeconds: 1),
            new Workload("W7", "W7 many origins (smoke): 500 https GETs over 500 origins, concurrency 50", Server.Origins, "/1k.bin", 500, 50, 1, 20),
            new Workload("W8a", "W8 portable selector, W1's shape (smoke): 300 GETs, concurrency 16", Server.Nginx, "/1k.bin", 300, 16, 1, 20),
            new Workload("W8b", "W8 portable selector, W4's shape (smoke): 300 concurrent 500 ms requests", Server.Kestrel, "/delay/500", 300, 300, 1, 20, "/delay/0", IdealSeconds: 0.5),
        };

        public static string Describe(string client) => client switch
        {
            "engine" => "engine (C# driver, in-process)",
            "engine-process" => "engine (C# driver, whole process)",
            "engine-baseline" => $"engine at {BaselineName} (C# driver, in-process)",
            "engine-select" => "engine, Socket.Select selector (ASYNCFETCH_SELECTOR=select)",
            "httpclient" => ".NET HttpClient",
            "cmdlet" => "Invoke-AsyncFetch",
            "cmdlet-callback" => "Invoke-AsyncFetch -OnComplete { $_.StatusCode }",
            "foreach-parallel" => "ForEach-Object -Parallel { Invoke-WebRequest }",
            "cmdlet-stream" => "Invoke-AsyncFetch -NoContent (streamed)",
            "baseline" => "pwsh baseline (module imported, warm-up only)",
            "curl" => "curl -Z",
            "hey" => "hey",
            "aiohttp" => "Python aiohttp",
            "wrk" => "wrk",
            _ => client,
        };
    }
}
