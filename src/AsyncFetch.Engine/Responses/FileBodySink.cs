using System;
using System.Threading;
using AsyncFetch.Engine.Downloads;

namespace AsyncFetch.Engine.Responses
{
    /// <summary>
    /// A body on its way to a file: the sink face of a <see cref="DownloadSink"/>, which does the file work off the loop
    /// (a temporary file renamed when complete, naming, Force, MaxDownloadBytes, decoding a compressed download), and
    /// the <see cref="IDownloadOwner"/> it reports to. This adapter turns the download's <see cref="FetchFailure"/>s into
    /// recorded failures, so none crosses the parser, and passes its notifications on to the request:
    /// - <see cref="Write"/> returns <see cref="SinkWrite.Full"/> when the download's queue is full (the disk falls
    ///   behind): the request pauses the connection's reads until <see cref="IBodySinkOwner.OnBodyDrained"/>.
    /// - <see cref="Finish"/> hands the last bytes over; the outcome comes later, from a posted loop callback
    ///   (<see cref="IBodySinkOwner.OnBodyStored"/> with the file's path, or <see cref="IBodySinkOwner.OnBodyFailed"/>).
    /// - A file error can end the download before the body is complete: <see cref="IBodySinkOwner.OnBodyFailed"/> then
    ///   comes before <see cref="Finish"/>, from a posted loop callback too (never from inside a parse).
    /// A download that does not complete (a failure, a timeout, a cancel, disposal) has its partial file deleted
    /// (<see cref="Abort"/>), and reports nothing after that. Loop thread, except <see cref="Abort"/>.
    /// </summary>
    internal sealed class FileBodySink : IBodySink, IDownloadOwner
    {
        private readonly IBodySinkOwner _owner;
        private DownloadSink? _download; // null once the file is placed, failed, or abandoned

        private FileBodySink(IBodySinkOwner owner)
        {
            _owner = owner;
        }

        public SinkFailure? Failure { get; private set; }

        /// <summary>
        /// Starts the download for <paramref name="owner"/> (the target is checked and the temporary file created off the
        /// loop: a failure there comes as <see cref="IBodySinkOwner.OnBodyFailed"/>); null, with <paramref name="failure"/>
        /// (TooLarge), when the declared length of an identity body is over the download limit. <paramref name="responseUri"/>
        /// is the URL that answered (after redirects), for a name derived from it.
        /// </summary>
        public static FileBodySink? Open(IBodySinkOwner owner, FetchRequest request, Uri responseUri, string? contentDisposition, string[]? decodings, long limit, long declaredLength, out SinkFailure? failure)
        {
            var sink = new FileBodySink(owner);
            try
            {
                sink._download = DownloadSink.Open(owner.Loop, sink, request, responseUri, contentDisposition, decodings, limit, declaredLength);
                failure = null;
                return sink;
            }
            catch (FetchFailure e)
            {
                failure = new SinkFailure(e.Kind, e.Message);
                return null;
            }
        }

        public SinkWrite Write(ReadOnlySpan<byte> data)
        {
            DownloadSink? download = _download;
            if (download == null)
            {
                // The download ended before the body did (its failure is on its way to the owner): refuse the rest.
                Failure ??= new SinkFailure(FetchErrorKind.File, "The download ended before the response body was complete.");
                return SinkWrite.Failed;
            }

            try
            {
                return download.Write(data) ? SinkWrite.Accepted : SinkWrite.Full;
            }
            catch (FetchFailure e)
            {
                Failure = new SinkFailure(e.Kind, e.Message); // TooLarge
                return SinkWrite.Failed;
            }
        }

        /// <summary>The file is closed, decoded if compressed and renamed off the loop; the outcome comes back to <paramref name="owner"/>.</summary>
        public void Finish(IBodySinkOwner owner) => _download?.Finish();

        public void Abort() => Interlocked.Exchange(ref _download, null)?.Abort();

        void IDownloadOwner.OnDownloadDrained()
        {
            if (_owner.Wants(this))
            {
                _owner.OnBodyDrained(this);
            }
        }

        void IDownloadOwner.OnDownloadPlaced(string path, long length)
        {
            _download = null; // placed: nothing to delete any more
            if (_owner.Wants(this))
            {
                _owner.OnBodyStored(this, null, length, path);
            }
        }

        void IDownloadOwner.OnDownloadFailed(FetchErrorKind kind, string message, Exception? exception)
        {
            _download = null; // nothing is left on disk
            if (_owner.Wants(this))
            {
                _owner.OnBodyFailed(this, new SinkFailure(kind, message, exception));
            }
        }
    }
}
