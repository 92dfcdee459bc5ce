using System;

namespace AsyncFetch.PowerShell
{
    /// <summary>The exception of a request's ErrorRecord; the failed <see cref="FetchResult"/> is on it and is the record's TargetObject.</summary>
    [Serializable]
    public sealed class FetchException : Exception
    {
        public FetchException(FetchResult result)
            : base(string.Format(System.Globalization.CultureInfo.CurrentCulture, Strings.RequestFailed, result.RequestedUri, result.ErrorKind, result.ErrorMessage))
        {
            Result = result;
        }

        public FetchException(string message, Exception? inner, FetchResult result)
            : base(message, inner)
        {
            Result = result;
        }

        [field: NonSerialized]
        public FetchResult Result { get; }

        public FetchErrorKind ErrorKind => Result.ErrorKind;

        /// <summary>
        /// The response, when the request got one (an AsyncFetch.HttpError: its StatusCode, Headers and Content), as
        /// Invoke-WebRequest's exception has one; null for a failure without a response.
        /// </summary>
        public FetchResult? Response => Result.IsResponse ? Result : null;
    }
}
