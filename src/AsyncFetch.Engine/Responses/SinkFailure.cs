using System;

namespace AsyncFetch.Engine.Responses
{
    /// <summary>Why a sink could not take or store a body: the kind and message the request fails with. Immutable.</summary>
    internal sealed class SinkFailure
    {
        public SinkFailure(FetchErrorKind kind, string message, Exception? exception = null)
        {
            Kind = kind;
            Message = message;
            Exception = exception;
        }

        public FetchErrorKind Kind { get; }

        public string Message { get; }

        public Exception? Exception { get; }
    }
}
