using System;

namespace AsyncFetch.Engine.Loop
{
    /// <summary>Readiness a selector watches for, as in Python's <c>selectors.EVENT_READ</c>/<c>EVENT_WRITE</c>.</summary>
    [Flags]
    internal enum SelectorEvents
    {
        None = 0,
        Read = 1,
        Write = 2,
        ReadWrite = Read | Write,
    }
}
