using System.Collections.Generic;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// Idle keep-alive connections to one origin (scheme, host, port). Last in, first out, so the warmest
    /// connection is reused and the coldest ones age out. Loop thread only.
    /// </summary>
    internal sealed class OriginPool
    {
        private readonly List<HttpConnection> _idle = new List<HttpConnection>();

        public OriginPool(string key)
        {
            Key = key;
        }

        public string Key { get; }

        public int IdleCount => _idle.Count;

        /// <summary>
        /// The most recently used live connection that has not been idle too long and received nothing while idle, or
        /// null. The ones passed over are closed.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public HttpConnection? TakeIdle(long now, long idleTicks)
        {
            while (_idle.Count > 0)
            {
                HttpConnection c = _idle[_idle.Count - 1];
                _idle.RemoveAt(_idle.Count - 1);
                if (c.IsClosed)
                {
                    continue;
                }

                if (now - c.IdleSinceTicks > idleTicks || !c.PrepareForReuse())
                {
                    c.Close();
                    continue;
                }

                return c;
            }

            return null;
        }

        public void ReturnIdle(HttpConnection connection) => _idle.Add(connection);

        public void RemoveIdle(HttpConnection connection) => _idle.Remove(connection);

        /// <summary>Closes connections idle for longer than the limit (the oldest are at the front).</summary>
        public void CloseExpired(long now, long idleTicks)
        {
            int expired = 0;
            while (expired < _idle.Count && now - _idle[expired].IdleSinceTicks > idleTicks)
            {
                _idle[expired].Close();
                expired++;
            }

            _idle.RemoveRange(0, expired);
        }
    }
}
