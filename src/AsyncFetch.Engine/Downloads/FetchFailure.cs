using System;

namespace AsyncFetch.Engine.Downloads
{
    /// <summary>
    /// Thrown by a download's file work (<see cref="DownloadSink"/>) to fail the request with a specific kind.
    /// The file sink catches it and records the failure: it never unwinds through the parser or the connection.
    /// </summary>
    internal sealed class FetchFailure : Exception
    {
        public FetchFailure(FetchErrorKind kind, string message)
            : base(message)
        {
            Kind = kind;
        }

        public FetchErrorKind Kind { get; }
    }
}
