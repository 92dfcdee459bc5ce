using System;
using AsyncFetch.Engine.Loop;
using Xunit;

namespace AsyncFetch.Engine.Tests.Loop
{
    /// <summary>Sets a process-wide variable: alone, so no other test's engine is made meanwhile.</summary>
    [Collection(SelectorEnvironmentCollection.Name)]
    public class SelectorEnvironmentTests
    {
        [Theory]
        [InlineData(null, SelectorKind.Default)]
        [InlineData("", SelectorKind.Default)]
        [InlineData("default", SelectorKind.Default)]
        [InlineData("select", SelectorKind.Select)]
        [InlineData(" Select ", SelectorKind.Select)]
        [InlineData("EPOLL", SelectorKind.Epoll)]
        public void The_variable_names_the_selector(string? value, SelectorKind expected)
        {
            Assert.Equal(expected, Selectors.FromEnvironment(value));
        }

        [Fact]
        public void Another_value_is_an_error_that_names_the_variable()
        {
            var e = Assert.Throws<InvalidOperationException>(() => Selectors.FromEnvironment("kqueue"));
            Assert.Contains(Selectors.EnvironmentVariable, e.Message);
        }

        [Fact]
        public void An_engine_left_at_Default_follows_the_variable_and_an_explicit_choice_wins()
        {
            string? before = Environment.GetEnvironmentVariable(Selectors.EnvironmentVariable);
            try
            {
                Environment.SetEnvironmentVariable(Selectors.EnvironmentVariable, "select");
                using (var engine = new FetchEngine(new FetchEngineOptions()))
                {
                    Assert.Equal("select", engine.Loop.SelectorName);
                }

                if (Selectors.IsEpollAvailable)
                {
                    using var forced = new FetchEngine(new FetchEngineOptions { Selector = SelectorKind.Epoll });
                    Assert.NotEqual("select", forced.Loop.SelectorName);
                }
            }
            finally
            {
                Environment.SetEnvironmentVariable(Selectors.EnvironmentVariable, before);
            }
        }
    }
}

namespace AsyncFetch.Engine.Tests.Loop
{
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class SelectorEnvironmentCollection
    {
        public const string Name = "selector-environment";
    }
}
