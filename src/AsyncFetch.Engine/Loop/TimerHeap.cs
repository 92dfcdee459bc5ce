using System.Collections.Generic;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Loop
{
    /// <summary>
    /// A binary min-heap of timers ordered by due time, then by scheduling order. Each timer knows its index,
    /// so cancelling removes it in O(log n) at once: a finished request's timeout never lingers in the heap.
    /// </summary>
    internal sealed class TimerHeap
    {
        private readonly List<LoopTimer> _heap = new List<LoopTimer>();

        public int Count => _heap.Count;

        public LoopTimer? Peek() => _heap.Count > 0 ? _heap[0] : null;

        [MethodImpl(Hot.Path)]
        public void Add(LoopTimer timer)
        {
            _heap.Add(timer);
            timer.HeapIndex = _heap.Count - 1;
            SiftUp(timer.HeapIndex);
        }

        [MethodImpl(Hot.Path)]
        public bool Remove(LoopTimer timer)
        {
            int i = timer.HeapIndex;
            if (i < 0 || i >= _heap.Count || !ReferenceEquals(_heap[i], timer))
            {
                return false;
            }

            int last = _heap.Count - 1;
            if (i != last)
            {
                Move(_heap[last], i);
            }

            _heap.RemoveAt(last);
            timer.HeapIndex = -1;
            if (i < _heap.Count)
            {
                SiftDown(i);
                SiftUp(i);
            }

            return true;
        }

        [MethodImpl(Hot.Path)]
        public LoopTimer Pop()
        {
            LoopTimer top = _heap[0];
            Remove(top);
            return top;
        }

        public void Clear()
        {
            foreach (LoopTimer t in _heap)
            {
                t.HeapIndex = -1;
            }

            _heap.Clear();
        }

        private static bool Less(LoopTimer a, LoopTimer b) =>
            a.DueTicks < b.DueTicks || (a.DueTicks == b.DueTicks && a.Sequence < b.Sequence);

        private void Move(LoopTimer t, int index)
        {
            _heap[index] = t;
            t.HeapIndex = index;
        }

        [MethodImpl(Hot.Path)]
        private void SiftUp(int i)
        {
            LoopTimer t = _heap[i];
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (!Less(t, _heap[parent]))
                {
                    break;
                }

                Move(_heap[parent], i);
                i = parent;
            }

            Move(t, i);
        }

        [MethodImpl(Hot.Path)]
        private void SiftDown(int i)
        {
            LoopTimer t = _heap[i];
            int n = _heap.Count;
            while (true)
            {
                int child = (2 * i) + 1;
                if (child >= n)
                {
                    break;
                }

                if (child + 1 < n && Less(_heap[child + 1], _heap[child]))
                {
                    child++;
                }

                if (!Less(_heap[child], t))
                {
                    break;
                }

                Move(_heap[child], i);
                i = child;
            }

            Move(t, i);
        }
    }
}
