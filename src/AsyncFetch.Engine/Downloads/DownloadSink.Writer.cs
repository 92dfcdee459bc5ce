using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace AsyncFetch.Engine.Downloads
{
    /// <summary>
    /// The writer of a <see cref="DownloadSink"/> (thread pool): the file operations of one download, one after another.
    /// It owns the fields below while it runs (_running); once it has stopped, Release takes them under the lock.
    /// </summary>
    internal sealed partial class DownloadSink
    {
        private DownloadTarget? _target;
        private FileStream? _file;
        private string? _tempPath;
        private string? _placedPath;
        private long _written;

        // The outcome, set by the writer before _ended.
        private long _length;
        private FetchErrorKind _errorKind;
        private string? _error;
        private Exception? _exception;

        /// <summary>The writer (thread pool): runs the queued operations in order until there is nothing left to do.</summary>
        private void Run()
        {
            try
            {
                while (Step())
                {
                }
            }
            catch (Exception e)
            {
                // Not the file system's doing (those are File failures): still one result, and nothing left on disk.
                End(FetchErrorKind.Internal, "Unexpected failure while writing the download: " + e.Message, e);
            }
        }

        /// <summary>Writer: one operation on the file; false when the writer stops.</summary>
        private bool Step()
        {
            Chunk chunk = default;
            bool aborted;
            lock (_queue)
            {
                // One look under the lock: an Abort that found this writer running leaves the cleanup to it.
                aborted = _aborted;
                if (aborted)
                {
                    _running = false;
                }
                else if (_target != null)
                {
                    if (_queue.Count > 0)
                    {
                        chunk = _queue.Peek(); // stays queued, and counted, until written
                    }
                    else if (!_finishing)
                    {
                        _running = false; // idle: the next Hand starts a writer again
                        return false;
                    }
                }
            }

            if (aborted)
            {
                Release();
                return false;
            }

            if (_target == null)
            {
                return Create();
            }

            return chunk.Array != null ? WriteChunk(chunk) : CloseAndPlace();
        }

        private bool Create()
        {
            try
            {
                _target = DownloadTarget.Resolve(_request, _responseUri, _contentDisposition);
                _file = _target.CreateTemp(out string temp);
                _tempPath = temp;
                return true;
            }
            catch (FetchFailure failure)
            {
                End(failure.Kind, failure.Message, null);
                return false;
            }
        }

        private bool WriteChunk(Chunk chunk)
        {
            BeforeWrite?.Invoke();
            try
            {
                _file!.Write(chunk.Array, 0, chunk.Count);
            }
            catch (Exception e) when (IsFileError(e))
            {
                End(FetchErrorKind.File, $"Cannot write to '{_tempPath}': {e.Message}", null);
                return false;
            }

            _written += chunk.Count;
            bool drained = false;
            lock (_queue)
            {
                _queue.Dequeue();
                Interlocked.Decrement(ref s_queuedInProcess);
                _spare.Push(chunk.Array);
                if (_wantDrained && _queue.Count <= ResumeAt)
                {
                    _wantDrained = false;
                    drained = true;
                }
            }

            if (drained && !_loop.Post(DrainedCallback, this))
            {
                LoopGone();
            }

            return true;
        }

        /// <summary>Writer: every buffer is written: close, decode if compressed, and give the file its final name.</summary>
        private bool CloseAndPlace()
        {
            try
            {
                try
                {
                    _file!.Dispose();
                    _file = null;
                }
                catch (Exception e) when (IsFileError(e))
                {
                    throw new FetchFailure(FetchErrorKind.File, $"Cannot write to '{_tempPath}': {e.Message}");
                }

                long length = _written;
                if (Decodings != null)
                {
                    var outputs = new string[Decodings.Length];
                    for (int i = 0; i < outputs.Length; i++)
                    {
                        outputs[i] = _target!.NewTempPath();
                    }

                    var job = new DecodeJob(_tempPath!, outputs, Decodings, _limit);
                    _tempPath = null; // the job owns the files now, and leaves none behind when it fails
                    job.Run();
                    if (job.Error != null)
                    {
                        End(job.ErrorKind, job.Error, job.Exception);
                        return false;
                    }

                    _tempPath = job.OutputPath;
                    length = job.DecodedLength;
                }

                if (StopIfAborted())
                {
                    return false; // timed out or cancelled meanwhile (a long decoding, say): the real name is never touched
                }

                BeforePlace?.Invoke();
                _placedPath = _target!.Place(_tempPath!);
                _tempPath = null;
                _length = length;
                End(FetchErrorKind.None, null, null);
            }
            catch (FetchFailure failure)
            {
                End(failure.Kind, failure.Message, null);
            }

            return false;
        }

        /// <summary>Writer: when the download was aborted, stops the writer and cleans up; true then.</summary>
        private bool StopIfAborted()
        {
            lock (_queue)
            {
                if (!_aborted)
                {
                    return false;
                }

                _running = false;
            }

            Release();
            return true;
        }

        /// <summary>
        /// Writer: the download is over. A failure leaves nothing on disk before the owner can hear of it; a success stays
        /// placed until the owner takes it on the loop, or is deleted if the request was aborted meanwhile.
        /// </summary>
        private void End(FetchErrorKind kind, string? error, Exception? exception)
        {
            _errorKind = kind;
            _error = error;
            _exception = exception;
            bool aborted;
            lock (_queue)
            {
                _ended = true; // from here on the loop queues nothing more
                _running = false;
                aborted = _aborted;
            }

            if (error != null || aborted)
            {
                Release();
            }

            if (!aborted && !_loop.Post(EndedCallback, this))
            {
                LoopGone();
                Release(); // nobody will take the file
            }
        }

        /// <summary>The loop refused a post (it has stopped, and the engine fails the request): clean up as after Abort.</summary>
        private void LoopGone()
        {
            lock (_queue)
            {
                _aborted = true;
            }
        }

        /// <summary>
        /// Closes and deletes whatever of the download is still on disk (temporary file, or a placed file nobody took) and
        /// gives the buffers back. Never throws; idempotent. Only with no writer running, or by the writer itself.
        /// </summary>
        private void Release()
        {
            FileStream? file;
            string? temp;
            string? placed;
            List<byte[]>? buffers = null;
            bool owed;
            lock (_queue)
            {
                owed = _cleanupOwed;
                _cleanupOwed = false;
                file = _file;
                temp = _tempPath;
                placed = _placedPath;
                _file = null;
                _tempPath = null;
                _placedPath = null;
                while (_queue.Count > 0)
                {
                    (buffers ??= new List<byte[]>()).Add(_queue.Dequeue().Array);
                    Interlocked.Decrement(ref s_queuedInProcess);
                }

                while (_spare.Count > 0)
                {
                    (buffers ??= new List<byte[]>()).Add(_spare.Pop());
                }
            }

            try
            {
                file?.Dispose();
            }
            catch (Exception e) when (IsFileError(e))
            {
                // The data is being thrown away: a failing flush does not matter.
            }

            TryDelete(temp);
            TryDelete(placed);
            if (owed)
            {
                lock (s_cleanupsLock)
                {
                    s_cleanupsOwed--;
                    Monitor.PulseAll(s_cleanupsLock);
                }
            }

            if (buffers != null)
            {
                foreach (byte[] buffer in buffers)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }
}
