using System;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Responses
{
    /// <summary>
    /// Runs work that must not hold up the loop (decoding a large body kept in memory) on the thread pool, then
    /// hands it back to the loop through <see cref="EventLoop.PostWhenDone"/>, as DNS answers come back. The request's
    /// timeout keeps running meanwhile, so the loop side first checks that the request still wants the work
    /// (<see cref="IBodySinkOwner.Wants"/>). When the loop is gone (the engine was disposed and failed the request
    /// already), the work's output is simply dropped (it holds memory only). The work reports its failures on the work
    /// object and does not throw.
    /// </summary>
    internal static class OffLoop
    {
        public static void Run<TWork>(EventLoop loop, TWork work, Action<TWork> run, Action<TWork> onLoop)
        {
            var job = new Job<TWork>(work, run, onLoop);
            loop.PostWhenDone(Task.Run(job.Run), Job<TWork>.OnLoop, job);
        }

        private sealed class Job<TWork>
        {
            public static readonly Action<Task, object?> OnLoop = (t, s) => ((Job<TWork>)s!)._onLoop(((Job<TWork>)s!)._work);

            private readonly TWork _work;
            private readonly Action<TWork> _run;
            private readonly Action<TWork> _onLoop;

            public Job(TWork work, Action<TWork> run, Action<TWork> onLoop)
            {
                _work = work;
                _run = run;
                _onLoop = onLoop;
            }

            public void Run() => _run(_work);
        }
    }
}
