using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// Backpressure from the response's consumer: a download whose disk falls behind pauses the connection's reads
    /// until its queue has room again. Loop thread. While paused no read is issued: bytes already read are still
    /// parsed (the receive buffer is shared, nothing can wait in it), what the server sends meanwhile waits in the
    /// kernel, and TCP flow control slows the server down. A plain connection drops its read interest (the selector
    /// is level-triggered: left on, unread bytes would be reported on every pass); a TLS connection simply starts no
    /// next read. The pause ends with the response: a connection goes idle, or to the next request, reading.
    /// This is the minimal form for plain and TLS connections as they are; a shared transport abstraction would own it.
    /// </summary>
    internal sealed partial class HttpConnection
    {
        private bool _readPaused;

        /// <summary>Stops issuing reads for the current response until <see cref="ResumeReading"/>. Loop thread; idempotent.</summary>
        public void PauseReading()
        {
            if (_readPaused || _state != ConnectionState.Active)
            {
                return;
            }

            _readPaused = true;
            UpdatePlainInterest();
        }

        /// <summary>Reads again after <see cref="PauseReading"/>. Loop thread; idempotent, and a no-op when not paused.</summary>
        public void ResumeReading()
        {
            if (!_readPaused)
            {
                return;
            }

            _readPaused = false;
            if (_state != ConnectionState.Active)
            {
                return;
            }

            if (_tlsStream == null)
            {
                UpdatePlainInterest();
            }
            else if (_tlsRead == null)
            {
                _engine.Loop.Post(ContinueReadCallback, this); // not inline: the caller may be inside the parse path
            }
        }

        /// <summary>The response is done: a paused connection reads again (idle connections watch for the server closing).</summary>
        private void EndReadPause(bool reusable)
        {
            if (_readPaused)
            {
                _readPaused = false;
                if (reusable)
                {
                    UpdatePlainInterest();
                }
            }
        }

        /// <summary>Plain connections: read interest unless paused, write interest while a send waits for room.</summary>
        private void UpdatePlainInterest()
        {
            if (_tlsStream == null && _key != null)
            {
                _engine.Loop.Modify(_key, (_readPaused ? SelectorEvents.None : SelectorEvents.Read) | (_writeInterest ? SelectorEvents.Write : SelectorEvents.None));
            }
        }
    }
}
