namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>
    /// Runs alone: its tests set DownloadSink.OpenedForTests, which every engine of the process consults, and read the
    /// process-wide count of queued download buffers.
    /// </summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class DownloadHooksCollection
    {
        public const string Name = "Process-wide download hooks (not parallel)";
    }
}
