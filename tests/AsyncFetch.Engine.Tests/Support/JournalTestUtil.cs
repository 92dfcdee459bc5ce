using System;
using System.IO;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>Results made without the engine, and a scratch folder, for the journal tests.</summary>
    internal static class JournalTestUtil
    {
        /// <summary>A response result (ErrorKind None) with the given status, size and elapsed milliseconds.</summary>
        public static FetchResult Response(string uri, int status = 200, long bytes = 10, double elapsedMs = 12.5, string method = "GET", object? input = null, byte[]? body = null)
        {
            var request = new FetchRequest(uri) { Method = method, Tag = input, Body = body };
            var result = new FetchResult(request)
            {
                StatusCode = status,
                ReasonPhrase = "Reason",
                HttpVersion = "1.1",
                ContentLength = bytes,
                Attempts = 1,
                ErrorKind = FetchErrorKind.None,
            };
            result.Timings.TotalMs = elapsedMs;
            return result;
        }

        /// <summary>A failed result (no response) of the given kind.</summary>
        public static FetchResult Failure(string uri, FetchErrorKind kind, string message = "it failed", double elapsedMs = 3)
        {
            FetchResult result = FetchResult.CreateFailure(new FetchRequest(uri), kind, message);
            result.Attempts = 1;
            result.Timings.TotalMs = elapsedMs;
            return result;
        }
    }

    /// <summary>A temporary folder, deleted on Dispose.</summary>
    internal sealed class ScratchDir : IDisposable
    {
        public ScratchDir()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "asyncfetch-journal-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, true);
            }
            catch (IOException)
            {
            }
        }
    }
}
