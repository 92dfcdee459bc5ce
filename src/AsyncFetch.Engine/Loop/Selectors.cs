using System;
using System.Runtime.InteropServices;

namespace AsyncFetch.Engine.Loop
{
    /// <summary>Which selector implementation an event loop uses.</summary>
    public enum SelectorKind
    {
        /// <summary>
        /// The best available: epoll on Linux, the portable one elsewhere; the environment variable ASYNCFETCH_SELECTOR
        /// (<c>select</c> or <c>epoll</c>) overrides that choice for every engine of the process.
        /// </summary>
        Default,
        /// <summary>epoll (Linux only).</summary>
        Epoll,
        /// <summary>Socket.Select: the portable selector, the one Windows uses.</summary>
        Select,
    }

    /// <summary>Creates selectors (Python's <c>DefaultSelector</c>). Any thread.</summary>
    internal static class Selectors
    {
        /// <summary>
        /// The environment variable that chooses the selector of <see cref="SelectorKind.Default"/>: <c>select</c> forces
        /// the portable one (the one Windows uses) on every platform, <c>epoll</c> forces epoll; unset, empty or
        /// <c>default</c> keeps the best available. Read when a loop is made, so it applies to every engine of a process
        /// (the test suite and the benchmark run the portable path this way); any other value is an error.
        /// </summary>
        public const string EnvironmentVariable = "ASYNCFETCH_SELECTOR";

        public static bool IsEpollAvailable => RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && EpollSelector.Probe();

        public static ISelector Create(SelectorKind kind = SelectorKind.Default)
        {
            switch (kind)
            {
                case SelectorKind.Epoll:
                    return new EpollSelector();
                case SelectorKind.Select:
                    return new SocketSelectSelector();
                default:
                    SelectorKind forced = FromEnvironment(Environment.GetEnvironmentVariable(EnvironmentVariable));
                    return forced != SelectorKind.Default ? Create(forced)
                        : IsEpollAvailable ? new EpollSelector() : new SocketSelectSelector();
            }
        }

        /// <summary>The selector <see cref="EnvironmentVariable"/>'s <paramref name="value"/> asks for (Default when none).</summary>
        public static SelectorKind FromEnvironment(string? value)
        {
            switch (value?.Trim().ToLowerInvariant())
            {
                case null:
                case "":
                case "default":
                    return SelectorKind.Default;
                case "select":
                    return SelectorKind.Select;
                case "epoll":
                    return SelectorKind.Epoll;
                default:
                    throw new InvalidOperationException($"{EnvironmentVariable}={value} is not a selector: use select, epoll or default.");
            }
        }
    }
}
