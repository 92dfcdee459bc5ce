using System;
using System.Threading;
using AsyncFetch.Engine.Downloads;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// Downloads: a request with OutFile or OutDirectory whose response is a 2xx with a body has that body
    /// written to a file (<see cref="DownloadSink"/>) instead of memory. Any other response (an error status, a
    /// redirect, 204, a HEAD request) is handled as if there were no output target, so the caller can read an
    /// error body, within MaxResponseBytes as always. A request that fails after its file was started
    /// (timeout, reset, parse error, cancel, disk error, disposal) has its partial file deleted.
    /// The file work runs off the loop (see DownloadSink): when the disk falls behind, the connection's reads pause
    /// until the sink has room again.
    /// </summary>
    internal sealed partial class FetchOperation : IDownloadOwner
    {
        private DownloadSink? _download;

        private long MaxDownload => Request.MaxDownloadBytes ?? _engine.Options.MaxDownloadBytes;

        /// <summary>
        /// Headers complete: starts the download when this response is one to write; false to handle it in memory.
        /// Throws <see cref="FetchFailure"/> (TooLarge) for a declared length over the limit; a target that cannot be
        /// used fails the request later, through <see cref="IDownloadOwner.OnDownloadFailed"/>.
        /// </summary>
        private bool BeginDownload(HttpResponseParser parser)
        {
            int status = parser.StatusCode;
            if (status < 200 || status > 299 || status == 204 || status == 205
                || string.Equals(Request.Method, "HEAD", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            _download = DownloadSink.Open(
                _engine.Loop,
                this,
                Request,
                _uri, // the current hop: after redirects, the URL that answered
                parser.Headers["Content-Disposition"],
                _decodings,
                MaxDownload,
                parser.ContentLength ?? -1);
            _keepBody = false;
            _bodyLength = 0;
            _body = null;
            _declaredLength = parser.ContentLength ?? -1;
            return true;
        }

        /// <summary>The response is complete: the file is closed, decoded if compressed and renamed off the loop; the outcome comes back below.</summary>
        private void CompleteDownload() => _download!.Finish();

        /// <summary>Loop thread: a body chunk for the file; a full queue pauses the connection's reads.</summary>
        private void WriteDownload(ReadOnlySpan<byte> data)
        {
            if (!_download!.Write(data))
            {
                Connection?.PauseReading();
            }
        }

        void IDownloadOwner.OnDownloadDrained() => Connection?.ResumeReading();

        void IDownloadOwner.OnDownloadPlaced(string path, long length)
        {
            _download = null; // placed: nothing to delete any more
            Result.OutFile = path;
            Result.ContentLength = length;
            Result.Body = null;
            Complete(FetchErrorKind.None, null, null);
        }

        void IDownloadOwner.OnDownloadFailed(FetchErrorKind kind, string message, Exception? exception) =>
            Fail(kind, message, exception); // nothing is left on disk; the sink's Abort, on the way, is a no-op

        /// <summary>Closes and deletes an unfinished download (the request failed, or a new attempt starts). Any thread; idempotent.</summary>
        private void AbandonDownload() => Interlocked.Exchange(ref _download, null)?.Abort();
    }
}
