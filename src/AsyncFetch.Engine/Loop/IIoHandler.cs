using System;

namespace AsyncFetch.Engine.Loop
{
    /// <summary>What the loop calls when a socket registered with it is ready. Called on the loop thread only.</summary>
    internal interface IIoHandler
    {
        void OnReady(SelectorEvents events);

        /// <summary>
        /// <see cref="OnReady"/> threw: the handler fails whatever it was doing (its request only) and closes.
        /// The loop goes on.
        /// </summary>
        void OnFault(Exception exception);
    }
}
