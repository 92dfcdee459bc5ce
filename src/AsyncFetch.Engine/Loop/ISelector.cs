using System;
using System.Collections.Generic;
using System.Net.Sockets;

namespace AsyncFetch.Engine.Loop
{
    /// <summary>
    /// Readiness notification over non-blocking sockets, modelled on Python's <c>selectors</c> module.
    /// Every member except <see cref="Wakeup"/> belongs to the one thread that runs the loop; Dispose too
    /// (never while a Select is running), and Wakeup is safe before, during and after it. Errors and hang-ups are reported as the registered events being ready, so the
    /// owner finds out by trying the operation (as Python's selectors do). A socket must be unregistered
    /// before it is closed (as with Python's selectors): the selector never touches a closed socket.
    /// </summary>
    internal interface ISelector : IDisposable
    {
        /// <summary>A short name for diagnostics ("epoll", "select").</summary>
        string Name { get; }

        /// <summary>Number of registered keys.</summary>
        int Count { get; }

        SelectorKey Register(Socket socket, SelectorEvents events, object? data);

        void Modify(SelectorKey key, SelectorEvents events);

        void Unregister(SelectorKey key);

        /// <summary>
        /// Waits until a registered socket is ready, <see cref="Wakeup"/> is called or <paramref name="timeoutMs"/>
        /// passes (-1: no limit, 0: poll). Clears <paramref name="ready"/> and fills it; returns its count.
        /// </summary>
        int Select(int timeoutMs, List<SelectorReady> ready);

        /// <summary>Makes a current or the next <see cref="Select"/> return early. Safe from any thread.</summary>
        void Wakeup();
    }
}
