using System;
using System.Linq;
using System.Net;

namespace AsyncFetch.Engine.Tests.Connections
{
    /// <summary>RFC 8305 section 4 address order: families interleaved, IPv6 first, each family in resolver order.</summary>
    public sealed class ConnectorOrderTests
    {
        private static IPAddress[] Parse(string list) =>
            list.Length == 0 ? Array.Empty<IPAddress>() : list.Split(' ').Select(IPAddress.Parse).ToArray();

        private static string Show(IPAddress[] addresses) => string.Join(" ", addresses.Select(a => a.ToString()));

        [Theory]
        [InlineData("::1 127.0.0.1", "::1 127.0.0.1")]
        [InlineData("127.0.0.1 ::1", "::1 127.0.0.1")]
        [InlineData("2001:db8::1 2001:db8::2 192.0.2.1 192.0.2.2", "2001:db8::1 192.0.2.1 2001:db8::2 192.0.2.2")]
        [InlineData("192.0.2.1 192.0.2.2 192.0.2.3 2001:db8::1", "2001:db8::1 192.0.2.1 192.0.2.2 192.0.2.3")]
        [InlineData("192.0.2.1 2001:db8::1 2001:db8::2 2001:db8::3", "2001:db8::1 192.0.2.1 2001:db8::2 2001:db8::3")]
        [InlineData("192.0.2.1 2001:db8::1 192.0.2.2 2001:db8::2 2001:db8::3", "2001:db8::1 192.0.2.1 2001:db8::2 192.0.2.2 2001:db8::3")]
        public void Families_alternate_starting_with_IPv6_and_each_keeps_its_order(string input, string expected)
        {
            IPAddress[] given = Parse(input);
            IPAddress[] before = (IPAddress[])given.Clone();
            IPAddress[] ordered = Connector.Order(given);
            Assert.Equal(expected, Show(ordered));
            Assert.Equal(before, given); // the resolver's (cached) array is never reordered in place
        }

        [Theory]
        [InlineData("")]
        [InlineData("127.0.0.1")]
        [InlineData("::1")]
        [InlineData("192.0.2.2 192.0.2.1 192.0.2.3")]
        [InlineData("2001:db8::2 2001:db8::1")]
        public void One_family_keeps_the_resolver_order_without_a_copy(string input)
        {
            IPAddress[] given = Parse(input);
            Assert.Same(given, Connector.Order(given));
        }

        [Fact]
        public void A_negative_attempt_delay_is_refused()
        {
            var options = new FetchEngineOptions { ConnectionAttemptDelay = TimeSpan.FromMilliseconds(-1) };
            Assert.Throws<ArgumentOutOfRangeException>(() => new FetchEngine(options).Dispose());
            Assert.Equal(TimeSpan.FromMilliseconds(250), new FetchEngineOptions().ConnectionAttemptDelay);
        }
    }
}
