using System;
using System.ComponentModel;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Tests.Loop
{
    /// <summary>The selector contract on epoll; every test returns at once where epoll is unavailable.</summary>
    public sealed class EpollSelectorTests : SelectorContractTests
    {
        private const int EEXIST = 17;

        protected override bool IsSupported => Selectors.IsEpollAvailable;

        private protected override ISelector CreateSelector() => new EpollSelector();

        /// <summary>epoll: the kernel refuses the second EPOLL_CTL_ADD with EEXIST, surfaced as a Win32Exception.</summary>
        protected override void AssertRegisterTwiceFails(Action registerAgain)
        {
            Win32Exception e = Assert.Throws<Win32Exception>(registerAgain);
            Assert.Equal(EEXIST, e.NativeErrorCode);
        }

        [Fact]
        public void Name_and_factory()
        {
            if (!IsSupported)
            {
                return;
            }

            using ISelector epoll = Selectors.Create(SelectorKind.Epoll);
            Assert.IsType<EpollSelector>(epoll);
            Assert.Equal("epoll", epoll.Name);
            using ISelector def = Selectors.Create();
            bool forcedPortable = Selectors.FromEnvironment(Environment.GetEnvironmentVariable(Selectors.EnvironmentVariable)) == SelectorKind.Select;
            Assert.IsType(forcedPortable ? typeof(SocketSelectSelector) : typeof(EpollSelector), def); // epoll, unless ASYNCFETCH_SELECTOR=select
        }
    }
}
