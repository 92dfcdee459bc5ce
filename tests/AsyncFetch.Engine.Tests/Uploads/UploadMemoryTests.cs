using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using AsyncFetch.Engine.Tests.Support;
using Xunit.Abstractions;

namespace AsyncFetch.Engine.Tests.Uploads
{
    /// <summary>A 200 MiB file upload holds one block at a time: the process allocates a small fraction of the file.</summary>
    [Collection(MemoryMeasurementCollection.Name)]
    public sealed class UploadMemoryTests
    {
        private const long FileSize = 200L * 1024 * 1024;

        private readonly ITestOutputHelper _output;

        public UploadMemoryTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public async Task A_200_MiB_file_upload_allocates_little()
        {
            string path = Path.Combine(Path.GetTempPath(), "af-upload-" + Guid.NewGuid().ToString("N") + ".bin");
            try
            {
                using (FileStream f = File.Create(path))
                {
                    f.SetLength(FileSize);
                }

                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                Task<long> server = DiscardOneRequestAsync(listener);
                var url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/upload");
                using var engine = new FetchEngine();
                await engine.FetchAsync(new FetchRequest(url) { Method = "GET" }).ContinueWith(_ => { }); // warm up, connection refused or not
                long before = GC.GetTotalAllocatedBytes(precise: true);
                FetchResult result = await engine.FetchAsync(new FetchRequest(url) { Method = "PUT", Content = FetchRequestBody.FromFile(path), Timeout = TimeSpan.FromSeconds(60) });
                long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                long received = await server;
                _output.WriteLine($"allocated {allocated} bytes; the server received {received} body bytes; {result.StatusCode} {result.ErrorMessage}");
                Assert.Equal(200, result.StatusCode);
                Assert.Equal(FileSize, received);
                Assert.True(allocated < 16 * 1024 * 1024, $"allocated {allocated} bytes for a {FileSize}-byte upload");
            }
            finally
            {
                File.Delete(path);
            }
        }

        /// <summary>Accepts the one PUT (the warm-up GET is answered too), reads its body into one buffer and answers 200.</summary>
        private static async Task<long> DiscardOneRequestAsync(TcpListener listener)
        {
            var buffer = new byte[256 * 1024];
            while (true)
            {
                using Socket socket = await listener.AcceptSocketAsync();
                int headEnd = -1, have = 0;
                while (headEnd < 0)
                {
                    int n = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, have, buffer.Length - have), SocketFlags.None);
                    if (n == 0)
                    {
                        break;
                    }

                    have += n;
                    headEnd = Encoding.ASCII.GetString(buffer, 0, have).IndexOf("\r\n\r\n", StringComparison.Ordinal);
                }

                string head = Encoding.ASCII.GetString(buffer, 0, Math.Max(headEnd, 0));
                if (!head.StartsWith("PUT ", StringComparison.Ordinal))
                {
                    await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"), SocketFlags.None);
                    continue;
                }

                long received = have - (headEnd + 4);
                while (received < FileSize)
                {
                    int n = await socket.ReceiveAsync(new ArraySegment<byte>(buffer), SocketFlags.None);
                    if (n == 0)
                    {
                        break;
                    }

                    received += n;
                }

                await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), SocketFlags.None);
                return received;
            }
        }
    }
}
