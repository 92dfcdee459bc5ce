using System;

namespace AsyncFetch.Engine.Loop
{
    /// <summary>A timer scheduled on an <see cref="EventLoop"/>; cancel it with <see cref="EventLoop.CancelTimer"/>.</summary>
    internal sealed class LoopTimer
    {
        internal LoopTimer(long dueTicks, long sequence, Action<object?> callback, object? state)
        {
            DueTicks = dueTicks;
            Sequence = sequence;
            Callback = callback;
            State = state;
        }

        /// <summary>True while scheduled (not yet fired and not cancelled).</summary>
        public bool IsActive => HeapIndex >= 0;

        internal long DueTicks { get; }

        internal long Sequence { get; }

        internal Action<object?> Callback { get; }

        internal object? State { get; }

        internal int HeapIndex { get; set; } = -1;
    }
}
