using System;
using System.Threading.Tasks;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>
    /// The test assembly's own entry point, for measurements that need a fresh process (the test host's memory
    /// varies with whatever ran before): <c>dotnet AsyncFetch.Engine.Tests.dll COMMAND ARGS</c>. The test runner
    /// does not call it.
    /// </summary>
    internal static class Program
    {
        public static async Task<int> Main(string[] args)
        {
            if (args.Length > 0 && args[0] == DecodeMemoryProbe.Command)
            {
                return await DecodeMemoryProbe.RunAsync(args);
            }

            Console.Error.WriteLine($"usage: dotnet AsyncFetch.Engine.Tests.dll {DecodeMemoryProbe.Command} DECODED-BYTES LIMIT-BYTES");
            return 2;
        }
    }
}
