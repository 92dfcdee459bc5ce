using System;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Tests.Loop
{
    /// <summary>The selector contract on the portable Socket.Select implementation.</summary>
    public sealed class SocketSelectSelectorTests : SelectorContractTests
    {
        private protected override ISelector CreateSelector() => new SocketSelectSelector();

        /// <summary>select: checked up front, InvalidOperationException.</summary>
        protected override void AssertRegisterTwiceFails(Action registerAgain) =>
            Assert.Throws<InvalidOperationException>(registerAgain);

        [Fact]
        public void Name_and_factory()
        {
            using ISelector sel = Selectors.Create(SelectorKind.Select);
            Assert.IsType<SocketSelectSelector>(sel);
            Assert.Equal("select", sel.Name);
        }
    }
}
