using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Security;
using System.Threading;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Downloads
{
    /// <summary>
    /// One response body on its way to a file, with every file operation off the loop thread.
    ///
    /// The body is written, as it arrives, to a temporary file next to the target ("name.partial-xxxxxxxxxxxx")
    /// and renamed to its final name only once it is complete: a crash or a failed request never leaves a half
    /// file under the real name. <see cref="DownloadTarget"/> checks the target, creates the temporary file and
    /// decides collisions at rename time. A compressed body (gzip, deflate) is written as received, then decoded from
    /// that file into a second temporary file (<see cref="DecodeJob"/>), neither side ever in memory.
    ///
    /// Threads. The loop thread calls the public members; it copies each body chunk into a 128 KiB buffer of the sink
    /// (the parser's chunks are spans over the loop's receive buffer, reused at once) and hands full buffers to a queue:
    /// no system call, a lock taken once per 128 KiB. A writer on the thread pool runs the file operations of one download
    /// one after another, in order: check the target and create the temporary file, write each queued buffer, close,
    /// decode, rename. At most one writer per download exists (it keeps going while the queue has work, then stops; an
    /// idle one is woken as soon as a full buffer waits, or when the body is complete), so at most one
    /// operation per file is in flight. The thread pool rather than a writer thread of our own: downloads to
    /// different disks do not wait for each other (one stalled network share would stall every download behind a single
    /// writer), nothing has to be started or stopped with the engine, and it is what .NET's own asynchronous FileStream
    /// does on Unix; a download holds a pool thread only while it has work queued. Results come back through
    /// <see cref="EventLoop.Post(Action{object}, object)"/>.
    ///
    /// Bounded memory. A download holds the buffer the loop is filling plus at most <see cref="MaxQueued"/> full ones
    /// (the one being written included), reused for its whole life; when the queue is full, Write returns false and the
    /// caller pauses the connection's reads (backpressure) until the drained notification. The bytes a connection had
    /// already read when it paused are still accepted, so the bound is MaxQueued + 1 buffers plus one receive buffer (about
    /// 770 KiB with the default 64 KiB header limit: 128 KiB buffers halve the writer hand-offs of 64 KiB ones, which W3-to-disk showed as 0.92x against 0.98x of HttpClient). Across the process, once <see cref="MaxQueuedInProcess"/> buffers
    /// wait, every download that adds one is paused as well.
    ///
    /// Usage (loop thread; the owner's callbacks come on the loop thread too, always from a posted callback):
    /// <code>
    /// sink = DownloadSink.Open(loop, owner, request, uri, contentDisposition, decodings, limit, declaredLength); // throws TooLarge for a declared length over the limit
    /// per body chunk:   if (!sink.Write(chunk)) connection.PauseReading();   // throws TooLarge past the limit
    /// owner.OnDownloadDrained():   connection.ResumeReading();               // may come when not paused: resuming is idempotent
    /// body complete:    sink.Finish();   // then exactly one of owner.OnDownloadPlaced(path, length) / owner.OnDownloadFailed(kind, message, exception)
    /// request ends otherwise (failure, timeout, cancel, retry, engine disposed):  sink.Abort();   // any thread; idempotent
    /// </code>
    /// OnDownloadFailed may come at any time after Open (the target cannot be used, the disk is full), before Finish too;
    /// the request then fails with it (its Abort is a no-op). After Abort no callback comes. Abort deletes the temporary
    /// file (and a file renamed in the meantime: the request reports failure, so no file stays): at once, on the calling
    /// thread, when no file operation is in flight, so a failed request's result never arrives before its partial file
    /// is gone; otherwise the writer does it as soon as its operation returns, and the engine's Dispose waits for that
    /// (<see cref="WaitForCleanups"/>), so none stays once a command is over. When the loop has stopped (a post is
    /// refused), the writer cleans up the same way. Nothing is thrown on the pool: a file system error becomes a File
    /// failure and anything else an Internal one.
    /// </summary>
    internal sealed partial class DownloadSink
    {
        /// <summary>Size of the buffers a body is copied into on the loop and written from.</summary>
        internal const int BufferSize = 128 * 1024;

        /// <summary>Full buffers a download may have queued (the one being written included) before Write asks for a pause.</summary>
        internal const int MaxQueued = 4;

        /// <summary>Full buffers queued across the process beyond which every download that adds one is asked to pause.</summary>
        internal const int MaxQueuedInProcess = 256;

        /// <summary>An idle writer is woken once this many full buffers wait (or the body is complete). With 128 KiB buffers, waking it for each one kept the disk busiest: W3-to-disk 1.01-1.02x HttpClient, against 0.98x when it waited for two.</summary>
        internal const int WakeAt = 1;

        /// <summary>A paused download is told to read again once its queue is down to this many buffers.</summary>
        private const int ResumeAt = MaxQueued / 2;

        private static readonly WaitCallback RunCallback = s => ((DownloadSink)s!).Run();
        private static readonly Action<object?> DrainedCallback = s => ((DownloadSink)s!).OnDrained();
        private static readonly Action<object?> EndedCallback = s => ((DownloadSink)s!).OnEnded();

        private static int s_queuedInProcess;

        /// <summary>Aborted downloads whose writer was mid-operation and still has a file to delete (see <see cref="WaitForCleanups"/>).</summary>
        private static int s_cleanupsOwed;
        private static readonly object s_cleanupsLock = new object();

        private readonly EventLoop _loop;
        private readonly IDownloadOwner _owner;
        private readonly FetchRequest _request;
        private readonly Uri? _responseUri;
        private readonly string? _contentDisposition;
        private readonly long _limit;

        // The loop thread's.
        private byte[]? _fill;
        private int _filled;
        private bool _room = true;

        // Shared by the loop and the writer, under lock (_queue).
        private readonly Queue<Chunk> _queue = new Queue<Chunk>(MaxQueued);
        private readonly Stack<byte[]> _spare = new Stack<byte[]>();
        private bool _running; // a writer is queued or running: it alone touches the file fields below
        private bool _finishing;
        private bool _wantDrained;
        private bool _aborted;
        private bool _ended; // the writer is done; the outcome fields are set
        private bool _delivered; // the outcome reached the owner
        private bool _cleanupOwed; // aborted while the writer was mid-operation: counted in s_cleanupsOwed until it releases
        private int _peakQueued;

        private DownloadSink(EventLoop loop, IDownloadOwner owner, FetchRequest request, Uri? responseUri, string? contentDisposition, string[]? decodings, long limit)
        {
            _loop = loop;
            _owner = owner;
            _request = request;
            _responseUri = responseUri;
            _contentDisposition = contentDisposition;
            _limit = limit;
            Decodings = decodings;
        }

        /// <summary>The codings to remove from the file once complete, in that order; null for an identity body.</summary>
        public string[]? Decodings { get; }

        /// <summary>Bytes of the body (as received) passed to <see cref="Write"/> so far.</summary>
        public long Received { get; private set; }

        /// <summary>Tests: every sink the engine opens, before its writer starts (to set the hooks below). Null in production.</summary>
        internal static Action<DownloadSink>? OpenedForTests { get; set; }

        /// <summary>Tests: runs on the writer before each buffer is written (to hold the writer back).</summary>
        internal Action? BeforeWrite { get; set; }

        /// <summary>Tests: runs on the writer before the complete file is renamed (to line renames up).</summary>
        internal Action? BeforePlace { get; set; }

        /// <summary>Tests: full buffers queued now, the one being written included.</summary>
        internal int Queued
        {
            get
            {
                lock (_queue)
                {
                    return _queue.Count;
                }
            }
        }

        /// <summary>Tests: the most full buffers this download ever had queued.</summary>
        internal int PeakQueued
        {
            get
            {
                lock (_queue)
                {
                    return _peakQueued;
                }
            }
        }

        /// <summary>Tests: full buffers queued across the process now.</summary>
        internal static int QueuedInProcess => Volatile.Read(ref s_queuedInProcess);

        /// <summary>Tests: counts <paramref name="buffers"/> more (or fewer) as queued across the process, as other downloads would.</summary>
        internal static void AddQueuedInProcessForTests(int buffers) => Interlocked.Add(ref s_queuedInProcess, buffers);

        /// <summary>
        /// Loop thread: starts a download (the target is checked and the temporary file created on the writer; a failure
        /// comes as <see cref="IDownloadOwner.OnDownloadFailed"/>). Throws <see cref="FetchFailure"/> (TooLarge) at once
        /// when the declared length of an identity body is over the limit.
        /// </summary>
        public static DownloadSink Open(EventLoop loop, IDownloadOwner owner, FetchRequest request, Uri? responseUri, string? contentDisposition, string[]? decodings, long limit, long declaredLength)
        {
            if (limit >= 0 && declaredLength > limit)
            {
                throw new FetchFailure(FetchErrorKind.TooLarge, $"The response body ({declaredLength} bytes) is larger than the download limit of {limit} bytes.");
            }

            var sink = new DownloadSink(loop, owner, request, responseUri, contentDisposition, decodings, limit) { _running = true };
            OpenedForTests?.Invoke(sink);
            sink.Schedule();
            return sink;
        }

        /// <summary>
        /// Loop thread: appends body bytes (copied; <paramref name="data"/> may be reused once this returns). Returns false
        /// when the queue is full: the caller should pause reading until <see cref="IDownloadOwner.OnDownloadDrained"/>
        /// (the bytes were taken all the same). Throws <see cref="FetchFailure"/> (TooLarge) past the limit.
        /// </summary>
        public bool Write(ReadOnlySpan<byte> data)
        {
            // Compressed bytes count too: an endless compressed stream must not fill the disk before it is decoded.
            if (_limit >= 0 && Received + data.Length > _limit)
            {
                throw new FetchFailure(FetchErrorKind.TooLarge, $"The response body is larger than the download limit of {_limit} bytes.");
            }

            Received += data.Length;
            while (data.Length > 0)
            {
                byte[] fill = _fill ??= TakeBuffer();
                int n = Math.Min(data.Length, fill.Length - _filled);
                data.Slice(0, n).CopyTo(new Span<byte>(fill, _filled, n));
                _filled += n;
                data = data.Slice(n);
                if (_filled == fill.Length)
                {
                    _fill = null;
                    _filled = 0;
                    _room = Hand(fill, fill.Length, finish: false);
                }
            }

            return _room;
        }

        /// <summary>Loop thread: the body is complete. The outcome comes as OnDownloadPlaced or OnDownloadFailed.</summary>
        public void Finish()
        {
            byte[]? fill = _fill;
            int filled = _filled;
            _fill = null;
            _filled = 0;
            Hand(fill, filled, finish: true);
        }

        /// <summary>
        /// The request no longer wants the file (it failed, timed out, was cancelled, or a new attempt starts): the temporary
        /// file is closed and deleted, and no owner callback comes after this. Any thread; idempotent; never throws. A no-op
        /// once the outcome has reached the owner.
        /// </summary>
        public void Abort()
        {
            bool releaseNow;
            lock (_queue)
            {
                if (_aborted || _delivered)
                {
                    return;
                }

                _aborted = true;
                releaseNow = !_running;
                if (!releaseNow)
                {
                    _cleanupOwed = true;
                    lock (s_cleanupsLock)
                    {
                        s_cleanupsOwed++;
                    }
                }
            }

            if (_fill != null && _loop.IsLoopThread)
            {
                ArrayPool<byte>.Shared.Return(_fill);
                _fill = null;
            }

            if (releaseNow)
            {
                Release(); // nothing in flight: gone before the request's result is delivered
            }
        }

        /// <summary>
        /// Waits, at most <paramref name="timeout"/>, until every aborted download whose writer was mid-operation (creating or
        /// writing its temporary file) has deleted that file: the engine waits for this when it is disposed, so no
        /// ".partial" file of a failed request stays once a command is over. True when none is owed any more.
        /// </summary>
        internal static bool WaitForCleanups(TimeSpan timeout)
        {
            DateTime end = DateTime.UtcNow + timeout;
            lock (s_cleanupsLock)
            {
                while (s_cleanupsOwed > 0)
                {
                    TimeSpan left = end - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero || !Monitor.Wait(s_cleanupsLock, left))
                    {
                        return s_cleanupsOwed == 0;
                    }
                }
            }

            return true;
        }

        /// <summary>True for the exceptions file system calls throw for bad paths, permissions and full disks.</summary>
        internal static bool IsFileError(Exception e) =>
            e is IOException || e is UnauthorizedAccessException || e is NotSupportedException || e is ArgumentException || e is SecurityException;

        internal static void TryDelete(string? path)
        {
            if (path == null)
            {
                return;
            }

            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (IsFileError(e))
            {
                // Nothing better to do: the .partial name tells a user what it is.
            }
        }

        /// <summary>Loop thread: a spare buffer of this download, or a new one.</summary>
        private byte[] TakeBuffer()
        {
            lock (_queue)
            {
                if (_spare.Count > 0)
                {
                    return _spare.Pop();
                }
            }

            return ArrayPool<byte>.Shared.Rent(BufferSize);
        }

        /// <summary>Loop thread: queues a full (or, finishing, the last) buffer and starts the writer if it is idle; returns whether there is room.</summary>
        private bool Hand(byte[]? buffer, int count, bool finish)
        {
            bool start = false;
            bool room = true;
            lock (_queue)
            {
                if (!_aborted && !_ended)
                {
                    if (buffer != null && count > 0)
                    {
                        _queue.Enqueue(new Chunk(buffer, count));
                        _peakQueued = Math.Max(_peakQueued, _queue.Count);
                        buffer = null;
                        int queuedInProcess = Interlocked.Increment(ref s_queuedInProcess);
                        room = _queue.Count < MaxQueued && queuedInProcess <= MaxQueuedInProcess;
                        _wantDrained |= !room;
                    }

                    _finishing |= finish;
                    start = !_running && (_finishing || !room || _queue.Count >= WakeAt); // a paused download must drain
                    _running |= start;
                }
            }

            if (buffer != null)
            {
                ArrayPool<byte>.Shared.Return(buffer); // empty, or the download is over: nothing more will be written
            }

            if (start)
            {
                Schedule();
            }

            return room;
        }

        private void Schedule() => ThreadPool.UnsafeQueueUserWorkItem(RunCallback, this);

        /// <summary>Loop thread: the writer drained the queue after a Write returned false.</summary>
        private void OnDrained()
        {
            lock (_queue)
            {
                if (_aborted || _ended)
                {
                    return;
                }

                if (_queue.Count >= MaxQueued)
                {
                    _wantDrained = true; // filled again since (reads already in flight): wait for the next
                    return;
                }
            }

            _room = true;
            _owner.OnDownloadDrained();
        }

        /// <summary>Loop thread: hands the outcome to the owner, unless the request has let go of the download.</summary>
        private void OnEnded()
        {
            string? path;
            lock (_queue)
            {
                if (_aborted || _delivered)
                {
                    return;
                }

                _delivered = true;
                path = _placedPath;
                _placedPath = null; // the owner's file from here on
            }

            Release(); // the buffers; the files are gone or placed
            if (_fill != null)
            {
                ArrayPool<byte>.Shared.Return(_fill);
                _fill = null;
            }

            if (_error != null)
            {
                _owner.OnDownloadFailed(_errorKind, _error, _exception);
            }
            else
            {
                _owner.OnDownloadPlaced(path!, _length);
            }
        }

        private readonly struct Chunk
        {
            public Chunk(byte[] array, int count)
            {
                Array = array;
                Count = count;
            }

            public byte[] Array { get; }

            public int Count { get; }
        }
    }
}
