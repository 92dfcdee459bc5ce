using System;
using System.IO;
using AsyncFetch.Engine.Uploads;

namespace AsyncFetch
{
    /// <summary>
    /// A request body read while it is sent (<see cref="FetchRequest.Content"/>): bytes, a file, a stream or a
    /// multipart form. The engine reads it on the thread pool into a bounded buffer and the loop sends each filled
    /// buffer, so a large upload never sits in memory whole. With a known <see cref="Length"/> it goes with a
    /// Content-Length, otherwise chunked.
    /// Each attempt (a retry, a 307/308 redirect, the answer to a 401 challenge) reads the body again from its start:
    /// bytes, files and forms can be sent any number of times (also by several requests at once), a seekable stream
    /// is read from where it was when the body was made each time, and a stream that cannot seek is sent once only (an attempt that would send it again fails with
    /// InvalidRequest, as HttpClient refuses to resend it). Threading: made on any thread; the engine opens it on a
    /// thread-pool thread, one attempt at a time.
    /// </summary>
    public abstract class FetchRequestBody
    {
        /// <summary>Creates a body (only the engine's own kinds: use the static factories or <see cref="MultipartFormBody"/>).</summary>
        private protected FetchRequestBody()
        {
        }

        /// <summary>The number of bytes the body sends, or null when unknown (it then goes chunked).</summary>
        public abstract long? Length { get; }

        /// <summary>The Content-Type this body needs (a multipart form's boundary), sent unless the request names one; null: none.</summary>
        public virtual string? ContentType => null;

        /// <summary>A body of <paramref name="bytes"/> (not copied: do not change them until the request is done).</summary>
        public static FetchRequestBody FromBytes(byte[] bytes) => new BytesBody(bytes ?? throw new ArgumentNullException(nameof(bytes)));

        /// <summary>
        /// A body read from the file at <paramref name="path"/>, opened for each attempt. Its length is taken now: a file
        /// that is shorter when it is sent fails the request (File), bytes beyond the length are not sent.
        /// </summary>
        public static FetchRequestBody FromFile(string path) => new FileBody(path);

        /// <summary>
        /// A body read from <paramref name="stream"/> from its current position (sent chunked unless it can seek). The
        /// stream stays the caller's: it is never disposed, and must stay open until the request is done. See the class
        /// summary for resending.
        /// </summary>
        public static FetchRequestBody FromStream(Stream stream) => new StreamBody(stream);

        /// <summary>Opens a reader from the start of the body. Called on a thread-pool thread; throws when it cannot.</summary>
        internal abstract BodyReader Open();
    }
}
