using System;
using System.Runtime.InteropServices;

namespace AsyncFetch.Engine.Loop
{
    /// <summary>Which selector implementation an event loop uses.</summary>
    public enum SelectorKind
    {
        /// <summary>The best available: epoll on Linux, the portable one elsewhere.</summary>
        Default,
        /// <summary>epoll (Linux only).</summary>
        Epoll,
        /// <summary>Socket.Select: the portable selector, the one Windows uses.</summary>
        Select,
    }

    /// <summary>Creates selectors (Python's <c>DefaultSelector</c>).</summary>
    internal static class Selectors
    {
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
                    return IsEpollAvailable ? new EpollSelector() : new SocketSelectSelector();
            }
        }
    }
}
