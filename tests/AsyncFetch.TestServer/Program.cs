using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;

namespace AsyncFetch.TestServer;

/// <summary>
/// Process entry point: <c>dotnet AsyncFetch.TestServer.dll [--port N] [--listen 127.0.0.1,127.0.0.2,::1] [--hostile] [--https [--client-cert]] [--site PAGES [--site-seed S]] [--ignore-stdin]</c>.
/// --https serves HTTPS with a self-signed certificate made at start (--client-cert also asks for a client certificate).
/// --site serves only a generated site (<see cref="SiteGenerator"/>) at the root. <c>--write-site DIR --site PAGES
/// --site-origin http://HOST:PORT [--site-seed S]</c> writes that site as files for nginx and exits.
/// Prints "Listening on URL" (and "Hostile on URL"), then runs until SIGTERM/SIGINT or until a redirected stdin reaches EOF.
/// </summary>
internal static class Program
{
    private const string Usage =
        "usage: dotnet AsyncFetch.TestServer.dll [--port N] [--listen ADDR[,ADDR...]] [--hostile] [--https [--client-cert]] [--site PAGES [--site-seed S]] [--ignore-stdin]\n" +
        "       dotnet AsyncFetch.TestServer.dll --write-site DIR --site PAGES --site-origin http://HOST:PORT [--site-seed S]";

    public static async Task<int> Main(string[] args)
    {
        var options = new LoopbackServerOptions();
        bool hostile = false;
        bool ignoreStdin = false;
        bool https = false;
        int sitePages = 0;
        int siteSeed = 1;
        string? writeSite = null;
        string? siteOrigin = null;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--port":
                        options.Port = int.Parse(Value(args, ref i), NumberStyles.None, CultureInfo.InvariantCulture);
                        break;
                    case "--listen":
                        var addresses = new List<IPAddress>();
                        foreach (string part in Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        {
                            addresses.Add(IPAddress.Parse(part.Trim('[', ']')));
                        }

                        options.Addresses = addresses;
                        break;
                    case "--hostile":
                        hostile = true;
                        break;
                    case "--https":
                        https = true;
                        break;
                    case "--client-cert":
                        options.AskForClientCertificate = true;
                        break;
                    case "--site":
                        sitePages = int.Parse(Value(args, ref i), NumberStyles.None, CultureInfo.InvariantCulture);
                        break;
                    case "--site-seed":
                        siteSeed = int.Parse(Value(args, ref i), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                        break;
                    case "--site-origin":
                        siteOrigin = Value(args, ref i);
                        break;
                    case "--write-site":
                        writeSite = Value(args, ref i);
                        break;
                    case "--ignore-stdin":
                        ignoreStdin = true;
                        break;
                    case "-h":
                    case "--help":
                        Console.Out.WriteLine(Usage);
                        return 0;
                    default:
                        throw new FormatException("unknown argument: " + args[i]);
                }
            }
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }

        if (sitePages != 0 && (sitePages < SiteGenerator.MinPages || sitePages > SiteGenerator.MaxPages))
        {
            Console.Error.WriteLine("--site needs " + SiteGenerator.MinPages + ".." + SiteGenerator.MaxPages + " pages");
            return 2;
        }

        if (writeSite != null)
        {
            if (sitePages == 0 || siteOrigin == null || !Uri.TryCreate(siteOrigin, UriKind.Absolute, out _))
            {
                Console.Error.WriteLine("--write-site needs --site PAGES and --site-origin http://HOST:PORT");
                Console.Error.WriteLine(Usage);
                return 2;
            }

            Site site = SiteGenerator.Generate(sitePages, siteSeed, siteOrigin);
            site.WriteTo(writeSite);
            Console.Out.WriteLine("Wrote " + site.Pages.ToString(CultureInfo.InvariantCulture) + " pages to " + writeSite);
            return 0;
        }

        if (sitePages != 0)
        {
            options.Site = new SiteOptions(sitePages, siteSeed);
        }

        if (options.AskForClientCertificate && !https)
        {
            Console.Error.WriteLine("--client-cert needs --https");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        using X509Certificate2? certificate = https ? ServerCertificate.CreateSelfSigned() : null;
        options.ServerCertificate = certificate;

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handler);
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handler);
        using PosixSignalRegistration sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Handler);

        await using LoopbackServer server = await LoopbackServer.StartAsync(options).ConfigureAwait(false);
        using HostileServer? hostileServer = hostile ? HostileServer.Start() : null;

        Console.Out.WriteLine("Listening on " + server.BaseUri);
        if (hostileServer is not null)
        {
            Console.Out.WriteLine("Hostile on " + hostileServer.BaseUri);
        }

        Console.Out.Flush();

        if (Console.IsInputRedirected && !ignoreStdin)
        {
            // A parent that dies closes our stdin: exit then instead of lingering.
            var watcher = new Thread(() =>
            {
                try
                {
                    using Stream stdin = Console.OpenStandardInput();
                    var buffer = new byte[256];
                    while (stdin.Read(buffer, 0, buffer.Length) > 0)
                    {
                    }
                }
                catch (Exception)
                {
                    // Treat a broken stdin as EOF.
                }

                stop.TrySetResult();
            })
            {
                IsBackground = true,
                Name = "stdin-eof-watcher",
            };
            watcher.Start();
        }

        await stop.Task.ConfigureAwait(false);
        return 0;

        void Handler(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.TrySetResult();
        }
    }

    private static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length)
        {
            throw new FormatException(args[i] + " needs a value");
        }

        return args[++i];
    }
}
