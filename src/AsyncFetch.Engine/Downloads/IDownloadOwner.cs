using System;

namespace AsyncFetch.Engine.Downloads
{
    /// <summary>
    /// What a <see cref="DownloadSink"/> tells the request it writes for. Every call comes on the loop thread, from a
    /// callback the sink posted, never from inside a call into the sink. After the sink's Abort none comes.
    /// </summary>
    internal interface IDownloadOwner
    {
        /// <summary>A Write that returned false has been followed by room in the queue: read again.</summary>
        void OnDownloadDrained();

        /// <summary>The body is on disk under <paramref name="path"/>, <paramref name="length"/> bytes (decoded, if it was compressed).</summary>
        void OnDownloadPlaced(string path, long length);

        /// <summary>
        /// The download failed (File; TooLarge, Protocol or Internal while decoding a compressed body) and nothing of it is
        /// left on disk. Comes at most once, instead of <see cref="OnDownloadPlaced"/>, and possibly before Finish was called.
        /// </summary>
        void OnDownloadFailed(FetchErrorKind kind, string message, Exception? exception);
    }
}
