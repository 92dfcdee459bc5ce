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
    /// </summary>
    internal sealed partial class FetchOperation
    {
        private DownloadSink? _download;

        private long MaxDownload => Request.MaxDownloadBytes ?? _engine.Options.MaxDownloadBytes;

        /// <summary>
        /// Headers complete: starts the download when this response is one to write; false to handle it in memory.
        /// Throws <see cref="FetchFailure"/> (File, TooLarge) when the target cannot be used.
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

        /// <summary>The response is complete: the file gets its final name, or goes to the thread pool to be decoded first.</summary>
        private void CompleteDownload()
        {
            DownloadSink download = _download!;
            string? path;
            DownloadSink.DecodeJob? decode;
            try
            {
                path = download.Finish(out decode);
            }
            catch (FetchFailure failure)
            {
                Fail(failure.Kind, failure.Message, null); // deletes the temporary file
                return;
            }

            if (decode == null)
            {
                FinishDownload(path!, _bodyLength);
                return;
            }

            // Decoded on the pool; a request that ends meanwhile (or whose engine is gone) discards the output.
            OffLoop(decode, j => j.Run(), OnDownloadDecoded, j => j.Discard());
        }

        /// <summary>Loop thread: the decoding of a compressed download finished.</summary>
        private void OnDownloadDecoded(DownloadSink.DecodeJob job)
        {
            DownloadSink? download = _download;
            if (IsCompleted || download == null)
            {
                job.Discard(); // timed out or cancelled while decoding
                return;
            }

            if (job.Error != null)
            {
                Fail(job.ErrorKind, job.Error, job.Exception);
                return;
            }

            string path;
            try
            {
                path = download.Decoded(job);
            }
            catch (FetchFailure failure)
            {
                Fail(failure.Kind, failure.Message, null);
                return;
            }

            FinishDownload(path, job.DecodedLength);
        }

        private void FinishDownload(string path, long length)
        {
            _download = null; // placed: nothing to delete any more
            Result.OutFile = path;
            Result.ContentLength = length;
            Result.Body = null;
            Complete(FetchErrorKind.None, null, null);
        }

        /// <summary>Closes and deletes an unfinished download (the request failed, or a new attempt starts). Any thread; idempotent.</summary>
        private void AbandonDownload() => Interlocked.Exchange(ref _download, null)?.Abort();
    }
}
