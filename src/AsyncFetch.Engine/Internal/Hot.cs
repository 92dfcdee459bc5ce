using System.Runtime.CompilerServices;

namespace AsyncFetch.Engine.Internal
{
    /// <summary>
    /// Marks the per-request hot path for full optimisation at first call. With tiered compilation a method
    /// starts as unoptimised tier-0 code and is recompiled only after it has been busy for a while; the
    /// framework's own HTTP stack is precompiled (ReadyToRun), so without this a batch of 20,000 requests runs
    /// much of its life on slow code (measured: ~0.85x HttpClient by default, ~1.1-1.7x once optimised).
    /// netstandard2.0 has no MethodImplOptions.AggressiveOptimization (.NET Core 3.0+), hence its value; runtimes
    /// that do not know the flag ignore it.
    /// </summary>
    internal static class Hot
    {
        public const MethodImplOptions Path = (MethodImplOptions)512;
    }
}
