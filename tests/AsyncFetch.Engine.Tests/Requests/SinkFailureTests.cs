using System;
using System.IO;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Requests;
using AsyncFetch.Engine.Tests.Support;

namespace AsyncFetch.Engine.Tests.Requests
{
    /// <summary>
    /// A body's sink that cannot take the body (over MaxResponseBytes or MaxDownloadBytes) ends the attempt with the
    /// right kind and message, and nothing is thrown through the parser: the parse returns Stopped, and the request fails
    /// once the connection, back from the parser, reports it. A file that cannot be created fails the request too, once
    /// the check made off the loop comes back.
    /// </summary>
    public sealed class SinkFailureTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "asyncfetch-sinkfail-" + Guid.NewGuid().ToString("N"));

        public SinkFailureTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        public static TheoryData<string, string, string, FetchErrorKind, string> Cases() => new()
        {
            { "memory, declared", "", "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", FetchErrorKind.TooLarge, "The response body (11 bytes) is larger than the limit of 10 bytes." },
            { "memory, streamed", "", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n6\r\n678901\r\n0\r\n\r\n", FetchErrorKind.TooLarge, "The response body is larger than the limit of 10 bytes." },
            { "file, declared", "outdir", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", FetchErrorKind.TooLarge, "The response body (5 bytes) is larger than the download limit of 4 bytes." },
            { "file, streamed", "outdir", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", FetchErrorKind.TooLarge, "The response body is larger than the download limit of 4 bytes." },
        };

        [Theory]
        [MemberData(nameof(Cases))]
        public async Task A_sink_failure_stops_the_parse_and_fails_the_attempt(string name, string target, string response, FetchErrorKind kind, string message)
        {
            var request = new FetchRequest(new Uri("http://127.0.0.1:9/x.bin")) { MaxResponseBytes = 10 };
            if (target == "outfile")
            {
                request.OutFile = Path.Combine(_dir, "missing", "x.bin");
            }
            else if (target == "outdir")
            {
                request.OutDirectory = _dir;
                request.MaxDownloadBytes = 4;
            }

            using var engine = new FetchEngine();
            var done = new TaskCompletionSource<FetchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            var parsed = new TaskCompletionSource<HttpParseStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
            engine.Loop.Post(() =>
            {
                // What the connection does: parse with the request as the sink, and once back from the parser, report.
                var op = new FetchOperation(engine, request, engine.DefaultLimiter, r => done.TrySetResult(r));
                op.Prepare(request.Uri!);
                var parser = new HttpResponseParser();
                try
                {
                    HttpParseStatus status = parser.Parse(Encoding.Latin1.GetBytes(response), op, out _);
                    parsed.TrySetResult(status);
                    if (status == HttpParseStatus.Stopped)
                    {
                        op.OnResponseStopped();
                    }
                }
                catch (Exception e)
                {
                    parsed.TrySetException(e);
                }
            });

            Assert.Equal(HttpParseStatus.Stopped, await parsed.Task.WaitAsync(TestUtil.Patience));
            FetchResult result = await done.Task.WaitAsync(TestUtil.Patience);
            Assert.True(kind == result.ErrorKind, $"{name}: {result}");
            Assert.Contains(message, result.ErrorMessage);
            Assert.Equal(200, result.StatusCode);
            Assert.Null(result.GetBody());
            Assert.Null(result.OutFile);

            // The writer may have been creating the temporary file when the limit was passed: it deletes it once that
            // returns, and the engine's Dispose waits for it.
            engine.Dispose();
            Assert.Empty(Directory.GetFileSystemEntries(_dir)); // no partial file stays
        }

        /// <summary>
        /// A file target that cannot be used is found out off the loop, where the download's file work runs: the sink takes
        /// the bytes, the parse completes, and the request fails once the check comes back, with the same kind and message.
        /// </summary>
        [Fact]
        public async Task A_file_target_that_cannot_be_used_fails_the_request_once_checked()
        {
            var request = new FetchRequest(new Uri("http://127.0.0.1:9/x.bin")) { OutFile = Path.Combine(_dir, "missing", "x.bin") };
            using var engine = new FetchEngine();
            var done = new TaskCompletionSource<FetchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            var parsed = new TaskCompletionSource<HttpParseStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
            engine.Loop.Post(() =>
            {
                var op = new FetchOperation(engine, request, engine.DefaultLimiter, r => done.TrySetResult(r));
                op.Prepare(request.Uri!);
                try
                {
                    HttpParseStatus status = new HttpResponseParser().Parse(Encoding.Latin1.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), op, out _);
                    parsed.TrySetResult(status);
                    if (status == HttpParseStatus.Complete)
                    {
                        op.OnResponseComplete();
                    }
                }
                catch (Exception e)
                {
                    parsed.TrySetException(e);
                }
            });

            Assert.Equal(HttpParseStatus.Complete, await parsed.Task.WaitAsync(TestUtil.Patience));
            FetchResult result = await done.Task.WaitAsync(TestUtil.Patience);
            Assert.True(result.ErrorKind == FetchErrorKind.File, result.ToString());
            Assert.Contains("does not exist", result.ErrorMessage);
            Assert.Equal(200, result.StatusCode);
            Assert.Null(result.GetBody());
            Assert.Null(result.OutFile);
            Assert.Empty(Directory.GetFileSystemEntries(_dir)); // no partial file stays
        }

        [Theory]
        [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n0123456789A", "The response body (11 bytes) is larger than the limit of 10 bytes.")]
        [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n", "The response body is larger than the limit of 10 bytes.")]
        public async Task Over_the_limit_through_a_connection_nothing_is_thrown_on_the_loop_thread(string response, string message)
        {
            using var server = RawServer.Answering(response);
            using var engine = new FetchEngine(new FetchEngineOptions { MaxResponseBytes = 10 });
            var loopThread = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            engine.Loop.Post(() => loopThread.TrySetResult(Environment.CurrentManagedThreadId));
            int loopThreadId = await loopThread.Task.WaitAsync(TestUtil.Patience);

            int thrown = 0;
            string? first = null;
            void OnFirstChance(object? sender, FirstChanceExceptionEventArgs e)
            {
                // A non-blocking connect's "in progress" is a SocketException the connector catches: not the response's.
                if (Environment.CurrentManagedThreadId == loopThreadId && e.Exception is not SocketException && Interlocked.Increment(ref thrown) == 1)
                {
                    first = e.Exception.ToString();
                }
            }

            AppDomain.CurrentDomain.FirstChanceException += OnFirstChance;
            FetchResult result;
            try
            {
                result = await engine.FetchAsync(new FetchRequest(server.Url("/big"))).WaitAsync(TestUtil.Patience);
            }
            finally
            {
                AppDomain.CurrentDomain.FirstChanceException -= OnFirstChance;
            }

            Assert.Equal(FetchErrorKind.TooLarge, result.ErrorKind);
            Assert.Equal(message, result.ErrorMessage);
            Assert.True(thrown == 0, "thrown on the loop thread: " + first);
            Assert.Equal(0, engine.OpenConnections); // the connection, stopped midway, was closed
        }
    }
}
