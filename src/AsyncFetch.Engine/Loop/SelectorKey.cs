using System.Net.Sockets;

namespace AsyncFetch.Engine.Loop
{
    /// <summary>
    /// The record a selector keeps for one registered socket (Python's <c>SelectorKey</c>): the socket, the
    /// events of interest and the caller's data. A key is valid from Register until Unregister; a new
    /// registration of the same socket gets a new key.
    /// </summary>
    internal sealed class SelectorKey
    {
        internal SelectorKey(Socket socket, SelectorEvents events, object? data)
        {
            Socket = socket;
            Events = events;
            Data = data;
        }

        public Socket Socket { get; }

        public SelectorEvents Events { get; internal set; }

        /// <summary>The caller's data (the loop's <see cref="IIoHandler"/>); <see cref="EventLoop.SetHandler"/> may replace it.</summary>
        public object? Data { get; internal set; }

        /// <summary>False once the key has been unregistered (or its selector closed).</summary>
        public bool IsRegistered { get; internal set; } = true;

        /// <summary>Implementation slot (the epoll selector's table index).</summary>
        internal int Slot { get; set; } = -1;

        /// <summary>The descriptor captured at registration (epoll), so unregistering never touches a closed socket.</summary>
        internal int Fd { get; set; } = -1;
    }

    /// <summary>One entry of a <see cref="ISelector.Select"/> result: a key and the events that are ready on it.</summary>
    internal readonly struct SelectorReady
    {
        public SelectorReady(SelectorKey key, SelectorEvents events)
        {
            Key = key;
            Events = events;
        }

        public SelectorKey Key { get; }

        public SelectorEvents Events { get; }
    }
}
