using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AsyncFetch.TestServer;

/// <summary>Endpoints for the engine's redirect and retry policy.</summary>
internal sealed partial class TestEndpoints
{
    // Requests seen per /flaky key (process-wide: tests use unique keys).
    private static readonly ConcurrentDictionary<string, int> s_flaky = new(StringComparer.Ordinal);

    /// <summary>
    /// /flaky?key=K&amp;fail=N&amp;status=S&amp;retryAfter=V: the first N requests with key K answer S (default 503)
    /// with body "flaky {n}" and, if given, a Retry-After (see <see cref="RetryAfterValue"/>); later ones 200
    /// "ok after {n}". Every answer carries X-Request-Number: n (1-based).
    /// </summary>
    private static Task FlakyAsync(HttpContext context)
    {
        if (!context.Request.Query.TryGetValue("key", out StringValues key) || StringValues.IsNullOrEmpty(key)
            || !TryQuery(context, "fail", 0, 1000, 1, out long fail)
            || !TryQuery(context, "status", 200, 599, 503, out long status))
        {
            return BadRequestAsync(context);
        }

        int n = s_flaky.AddOrUpdate(key[0]!, 1, (_, old) => old + 1);
        context.Response.Headers["X-Request-Number"] = n.ToString(CultureInfo.InvariantCulture);
        if (n > fail)
        {
            return WriteTextAsync(context, StatusCodes.Status200OK, "ok after " + n.ToString(CultureInfo.InvariantCulture));
        }

        string? retryAfter = RetryAfterValue(context);
        if (retryAfter != null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        return WriteTextAsync(context, (int)status, "flaky " + n.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>/flaky-count?key=K: how many requests /flaky has seen with key K, as text.</summary>
    private static Task FlakyCountAsync(HttpContext context)
    {
        string key = context.Request.Query["key"].ToString();
        return WriteTextAsync(context, StatusCodes.Status200OK, (s_flaky.TryGetValue(key, out int n) ? n : 0).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>/retry-after/{code}?retryAfter=V: that status with a Retry-After header (see <see cref="RetryAfterValue"/>), body "status {code}".</summary>
    private static Task RetryAfterAsync(HttpContext context, int code)
    {
        string? retryAfter = RetryAfterValue(context);
        if (retryAfter != null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        return WriteTextAsync(context, code, "status " + code.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>/redirect-no-location/{code}: that 3xx status without a Location header, body "no location".</summary>
    private static Task RedirectWithoutLocationAsync(HttpContext context, int code) =>
        WriteTextAsync(context, code, "no location");

    /// <summary>/redirect-body?url=U&amp;status=S&amp;bytes=N: a redirect (default 302) to U whose body is N pattern bytes (default 100000).</summary>
    private static Task RedirectWithBodyAsync(HttpContext context)
    {
        if (!context.Request.Query.TryGetValue("url", out StringValues url) || StringValues.IsNullOrEmpty(url)
            || !TryQuery(context, "status", 300, 399, 302, out long status)
            || !TryQuery(context, "bytes", 0, 16 * 1024 * 1024, 100_000, out long bytes))
        {
            return BadRequestAsync(context);
        }

        context.Response.Headers.Location = url[0];
        byte[] body = new byte[bytes];
        for (int i = 0; i < body.Length; i++)
        {
            body[i] = (byte)(i % 251);
        }

        return WriteBytesAsync(context, (int)status, body, "application/octet-stream");
    }

    /// <summary>
    /// The retryAfter query value: "date:N" gives an HTTP-date N seconds from now (N may be negative),
    /// anything else is sent verbatim (delta-seconds, or garbage to test parsing). Null when absent.
    /// </summary>
    private static string? RetryAfterValue(HttpContext context)
    {
        if (!context.Request.Query.TryGetValue("retryAfter", out StringValues raw) || StringValues.IsNullOrEmpty(raw))
        {
            return null;
        }

        string value = raw[0]!;
        if (value.StartsWith("date:", StringComparison.Ordinal)
            && int.TryParse(value.AsSpan(5), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int seconds))
        {
            return DateTimeOffset.UtcNow.AddSeconds(seconds).ToString("r", CultureInfo.InvariantCulture);
        }

        return value;
    }
}
