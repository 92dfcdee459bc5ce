using System;
using System.Globalization;
using System.Net.Sockets;

namespace AsyncFetch.Engine.Tests.Requests
{
    /// <summary>What is retried and how long to wait, without a server or a clock.</summary>
    public sealed class RetryPolicyTests
    {
        private static readonly DateTimeOffset Now = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

        [Theory]
        [InlineData(408, true)]
        [InlineData(429, true)]
        [InlineData(500, true)]
        [InlineData(502, true)]
        [InlineData(503, true)]
        [InlineData(504, true)]
        [InlineData(404, false)]
        [InlineData(501, false)]
        [InlineData(505, false)]
        [InlineData(400, false)]
        [InlineData(200, false)]
        public void Retryable_statuses(int status, bool retryable) => Assert.Equal(retryable, RetryPolicy.IsRetryableStatus(status));

        [Theory]
        [InlineData(FetchErrorKind.Connect, "GET", false, true)]
        [InlineData(FetchErrorKind.Connect, "POST", false, true)]
        [InlineData(FetchErrorKind.Timeout, "POST", false, true)]  // connect timeout: nothing sent
        [InlineData(FetchErrorKind.Timeout, "POST", true, false)]  // the server may have acted on it
        [InlineData(FetchErrorKind.Timeout, "GET", true, true)]
        [InlineData(FetchErrorKind.ConnectionLost, "GET", true, true)]
        [InlineData(FetchErrorKind.ConnectionLost, "PATCH", true, false)]
        [InlineData(FetchErrorKind.Protocol, "GET", true, false)]
        [InlineData(FetchErrorKind.TooLarge, "GET", true, false)]
        [InlineData(FetchErrorKind.Canceled, "GET", false, false)]
        [InlineData(FetchErrorKind.InvalidRequest, "GET", false, false)]
        [InlineData(FetchErrorKind.Redirect, "GET", true, false)]
        public void Retryable_failures(FetchErrorKind kind, string method, bool sent, bool retryable) =>
            Assert.Equal(retryable, RetryPolicy.IsRetryableFailure(kind, null, method, sent, responseComplete: false));

        [Fact]
        public void A_timeout_after_the_whole_response_arrived_is_not_retried() =>
            Assert.False(RetryPolicy.IsRetryableFailure(FetchErrorKind.Timeout, null, "GET", true, responseComplete: true));

        [Fact]
        public void Dns_is_retried_only_when_the_resolver_says_try_again()
        {
            var again = new InvalidOperationException("x", new SocketException((int)SocketError.TryAgain));
            var missing = new InvalidOperationException("x", new SocketException((int)SocketError.HostNotFound));
            Assert.True(RetryPolicy.IsRetryableFailure(FetchErrorKind.Dns, again, "POST", false, false));
            Assert.False(RetryPolicy.IsRetryableFailure(FetchErrorKind.Dns, missing, "GET", false, false));
            Assert.False(RetryPolicy.IsRetryableFailure(FetchErrorKind.Dns, null, "GET", false, false));
        }

        [Fact]
        public void Backoff_doubles_with_bounded_jitter_and_a_cap()
        {
            TimeSpan interval = TimeSpan.FromSeconds(1), cap = TimeSpan.FromSeconds(10);
            for (int retry = 1; retry <= 6; retry++)
            {
                double nominal = Math.Min(Math.Pow(2, retry - 1), 10);
                foreach (double r in new[] { 0.0, 0.5, 0.999999 })
                {
                    double s = RetryPolicy.Backoff(interval, retry, cap, r).TotalSeconds;
                    Assert.InRange(s, (nominal * 0.8) - 1e-9, Math.Min(nominal * 1.2, 10) + 1e-9);
                }

                Assert.Equal(nominal, RetryPolicy.Backoff(interval, retry, cap, 0.5).TotalSeconds, 6);
            }

            Assert.Equal(10, RetryPolicy.Backoff(interval, 1000, cap, 0.999).TotalSeconds, 6); // no overflow, capped
            Assert.Equal(TimeSpan.Zero, RetryPolicy.Backoff(TimeSpan.Zero, 3, cap, 0.7));
        }

        [Theory]
        [InlineData("0", 0)]
        [InlineData("1", 1)]
        [InlineData(" 120 ", 120)]
        public void Retry_after_in_delta_seconds(string value, int seconds)
        {
            Assert.True(RetryPolicy.TryParseRetryAfter(value, null, Now, out TimeSpan delay));
            Assert.Equal(TimeSpan.FromSeconds(seconds), delay);
        }

        [Fact]
        public void A_huge_delta_is_a_very_long_wait_not_a_failure()
        {
            Assert.True(RetryPolicy.TryParseRetryAfter("99999999999999999999999", null, Now, out TimeSpan delay));
            Assert.Equal(TimeSpan.MaxValue, delay);
        }

        [Theory]
        [InlineData("Mon, 06 May 2024 07:08:19 GMT", 10)]     // IMF-fixdate
        [InlineData("Monday, 06-May-24 07:08:39 GMT", 30)]    // RFC 850
        [InlineData("Mon May  6 07:09:09 2024", 60)]          // asctime
        [InlineData("Mon, 06 May 2024 07:00:00 GMT", 0)]      // in the past: no wait
        public void Retry_after_as_an_http_date_relative_to_now_without_a_date_header(string value, int seconds)
        {
            Assert.True(RetryPolicy.TryParseRetryAfter(value, null, Now, out TimeSpan delay));
            Assert.Equal(TimeSpan.FromSeconds(seconds), delay);
        }

        [Fact]
        public void Retry_after_as_an_http_date_is_relative_to_the_date_header()
        {
            // The server's clock is an hour behind ours: its Date says so, and the wait is what it meant (5 s).
            string served = Now.AddHours(-1).ToString("r", CultureInfo.InvariantCulture);
            string after = Now.AddHours(-1).AddSeconds(5).ToString("r", CultureInfo.InvariantCulture);
            Assert.True(RetryPolicy.TryParseRetryAfter(after, served, Now, out TimeSpan delay));
            Assert.Equal(TimeSpan.FromSeconds(5), delay);

            // An unparseable Date header: our clock (the date is in our past, so no wait).
            Assert.True(RetryPolicy.TryParseRetryAfter(after, "yesterday", Now, out delay));
            Assert.Equal(TimeSpan.Zero, delay);
        }

        [Theory]
        [InlineData(null)]
        [InlineData("")]
        [InlineData("soon")]
        [InlineData("-5")]
        [InlineData("1.5")]
        [InlineData("Mon, 06 May 2024 07:08:19")]
        public void Unusable_retry_after_values_are_ignored(string? value) =>
            Assert.False(RetryPolicy.TryParseRetryAfter(value, null, Now, out _));
    }
}
