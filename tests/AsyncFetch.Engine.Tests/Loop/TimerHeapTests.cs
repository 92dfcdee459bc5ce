using System;
using System.Collections.Generic;
using System.Linq;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Tests.Loop
{
    public sealed class TimerHeapTests
    {
        private static readonly Action<object?> Nop = _ => { };

        private static readonly Comparer<LoopTimer> Order = Comparer<LoopTimer>.Create((a, b) =>
        {
            int c = a.DueTicks.CompareTo(b.DueTicks);
            return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
        });

        private static LoopTimer T(long due, long seq) => new LoopTimer(due, seq, Nop, null);

        [Theory]
        [InlineData(1, 20_000, 50)]
        [InlineData(2, 20_000, 1_000_000)]
        [InlineData(3, 5_000, 3)]
        public void Random_add_remove_pop_matches_a_sorted_reference(int seed, int operations, int dueRange)
        {
            var rng = new Random(seed);
            var heap = new TimerHeap();
            var reference = new SortedSet<LoopTimer>(Order);
            var members = new List<LoopTimer>();
            var gone = new List<LoopTimer>();
            long seq = 0;

            for (int op = 0; op < operations; op++)
            {
                double r = rng.NextDouble();
                if (r < 0.45 || members.Count == 0)
                {
                    LoopTimer t = T(rng.Next(dueRange), seq++);
                    heap.Add(t);
                    Assert.True(reference.Add(t));
                    members.Add(t);
                    Assert.True(t.IsActive);
                }
                else if (r < 0.65)
                {
                    int i = rng.Next(members.Count);
                    LoopTimer t = members[i];
                    members[i] = members[^1];
                    members.RemoveAt(members.Count - 1);
                    Assert.True(heap.Remove(t));
                    Assert.True(reference.Remove(t));
                    Assert.Equal(-1, t.HeapIndex);
                    Assert.False(t.IsActive);
                    gone.Add(t);
                }
                else if (r < 0.75)
                {
                    LoopTimer stranger = gone.Count > 0 && rng.Next(2) == 0 ? gone[rng.Next(gone.Count)] : T(rng.Next(dueRange), seq++);
                    int before = heap.Count;
                    Assert.False(heap.Remove(stranger));
                    Assert.Equal(before, heap.Count);
                    Assert.Equal(-1, stranger.HeapIndex);
                }
                else
                {
                    LoopTimer expected = reference.Min!;
                    LoopTimer popped = heap.Pop();
                    Assert.Same(expected, popped);
                    reference.Remove(popped);
                    members.Remove(popped);
                    Assert.Equal(-1, popped.HeapIndex);
                    Assert.False(popped.IsActive);
                    gone.Add(popped);
                }

                Assert.Equal(reference.Count, heap.Count);
                Assert.Same(reference.Count > 0 ? reference.Min : null, heap.Peek());
                if (op % 500 == 0)
                {
                    AssertIndices(heap, members);
                }
            }

            AssertIndices(heap, members);
            var drained = new List<LoopTimer>();
            while (heap.Count > 0)
            {
                drained.Add(heap.Pop());
            }

            Assert.Equal(reference.ToList(), drained);
            Assert.All(drained, t => Assert.False(t.IsActive));
            Assert.Null(heap.Peek());
        }

        [Fact]
        public void Remove_of_a_non_member_returns_false_and_changes_nothing()
        {
            var a = new TimerHeap();
            var b = new TimerHeap();
            LoopTimer inA = T(10, 0);
            LoopTimer inB = T(20, 1);
            a.Add(inA);
            b.Add(inB);
            Assert.Equal(0, inA.HeapIndex);

            // inA's index (0) is valid in b, but b holds another timer there.
            Assert.False(b.Remove(inA));
            Assert.False(b.Remove(T(5, 2))); // never added anywhere
            Assert.Equal(1, b.Count);
            Assert.Same(inB, b.Peek());
            Assert.True(inA.IsActive);
            Assert.Same(inA, a.Peek());

            Assert.True(a.Remove(inA));
            Assert.False(a.Remove(inA)); // twice
            Assert.Equal(0, a.Count);
        }

        [Fact]
        public void HeapIndex_and_IsActive_follow_membership()
        {
            var heap = new TimerHeap();
            LoopTimer t1 = T(3, 0);
            LoopTimer t2 = T(1, 1);
            LoopTimer t3 = T(2, 2);
            Assert.False(t1.IsActive);
            Assert.Equal(-1, t1.HeapIndex);

            heap.Add(t1);
            heap.Add(t2);
            heap.Add(t3);
            Assert.All(new[] { t1, t2, t3 }, t => Assert.True(t.IsActive));
            Assert.Equal(0, t2.HeapIndex); // the minimum is at the root

            Assert.True(heap.Remove(t3));
            Assert.Equal(-1, t3.HeapIndex);
            Assert.False(t3.IsActive);

            Assert.Same(t2, heap.Pop());
            Assert.Equal(-1, t2.HeapIndex);
            Assert.False(t2.IsActive);
            Assert.Equal(0, t1.HeapIndex);

            heap.Add(t3); // a removed timer may be added again
            Assert.True(t3.IsActive);
            heap.Clear();
            Assert.Equal(0, heap.Count);
            Assert.False(t1.IsActive);
            Assert.False(t3.IsActive);
            Assert.Null(heap.Peek());
        }

        [Fact]
        public void Equal_due_times_pop_in_Sequence_order_whatever_the_insertion_order()
        {
            var rng = new Random(99);
            var heap = new TimerHeap();
            for (int i = 0; i < 200; i++)
            {
                heap.Add(T(1000, i)); // inserted in sequence order
            }

            LoopTimer[] shuffled = Enumerable.Range(200, 200).Select(i => T(1000, i)).OrderBy(_ => rng.Next()).ToArray();
            foreach (LoopTimer t in shuffled)
            {
                heap.Add(t);
            }

            heap.Add(T(999, 1_000)); // an earlier due time beats any sequence
            Assert.Equal(999, heap.Pop().DueTicks);
            for (int i = 0; i < 400; i++)
            {
                LoopTimer t = heap.Pop();
                Assert.Equal(1000, t.DueTicks);
                Assert.Equal(i, t.Sequence);
            }

            Assert.Equal(0, heap.Count);
        }

        private static void AssertIndices(TimerHeap heap, List<LoopTimer> members)
        {
            Assert.Equal(members.Count, heap.Count);
            var used = new HashSet<int>();
            foreach (LoopTimer t in members)
            {
                Assert.True(t.IsActive);
                Assert.InRange(t.HeapIndex, 0, heap.Count - 1);
                Assert.True(used.Add(t.HeapIndex), "two timers share a heap index");
            }
        }
    }
}
