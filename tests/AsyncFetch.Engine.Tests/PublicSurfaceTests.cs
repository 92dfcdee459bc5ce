using System.Linq;
using System.Runtime.CompilerServices;

namespace AsyncFetch.Engine.Tests
{
    /// <summary>
    /// The cmdlets use only the engine's public API: the engine opens its internals to its own tests and to nothing
    /// else (the PowerShell assembly builds without InternalsVisibleTo, so a use of an internal there fails to build).
    /// </summary>
    public sealed class PublicSurfaceTests
    {
        [Fact]
        public void Only_the_engine_tests_see_the_engine_internals()
        {
            string[] friends = typeof(FetchEngine).Assembly.GetCustomAttributes(typeof(InternalsVisibleToAttribute), false)
                .Cast<InternalsVisibleToAttribute>()
                .Select(a => a.AssemblyName)
                .ToArray();
            Assert.Equal(new[] { "AsyncFetch.Engine.Tests" }, friends);
        }
    }
}
