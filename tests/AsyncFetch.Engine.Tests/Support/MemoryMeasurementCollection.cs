namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>Runs alone: GC.GetTotalAllocatedBytes is process-wide, so other tests' allocations would blur it.</summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class MemoryMeasurementCollection
    {
        public const string Name = "Memory measurements (not parallel)";
    }
}
