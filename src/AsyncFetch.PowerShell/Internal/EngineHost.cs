
namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// The process-wide engine the cmdlets and jobs share: one loop thread and one set of connection pools,
    /// with limits per batch (each cmdlet call or job gets its own limiter). It lives as long as the process;
    /// its loop thread is a background thread, so it never holds up an exiting PowerShell. If its loop ever
    /// failed, the next caller gets a new one.
    /// </summary>
    internal static class EngineHost
    {
        private static readonly object Gate = new object();
        private static FetchEngine? _engine;

        public static FetchEngine Shared
        {
            get
            {
                lock (Gate)
                {
                    if (_engine == null || _engine.IsClosed)
                    {
                        _engine = new FetchEngine(new FetchEngineOptions());
                    }

                    return _engine;
                }
            }
        }
    }
}
