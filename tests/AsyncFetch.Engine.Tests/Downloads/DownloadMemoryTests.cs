using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace AsyncFetch.Engine.Tests.Downloads
{
    /// <summary>
    /// Downloads stream to disk: fifty 10 MiB bodies at concurrency 8 must not allocate anything close to their
    /// size on the managed heap (a body buffered in memory on its way to the file would allocate it all).
    /// </summary>
    [Collection(MemoryMeasurementCollection.Name)]
    public sealed class DownloadMemoryTests : IDisposable
    {
        private const int BodySize = 10 * 1024 * 1024;
        private const int Downloads = 50;

        private readonly ITestOutputHelper _output;
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "asyncfetch-dlmem-" + Guid.NewGuid().ToString("N"));

        public DownloadMemoryTests(ITestOutputHelper output)
        {
            _output = output;
            Directory.CreateDirectory(_dir);
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }

        [Fact]
        public async Task Fifty_10_MiB_downloads_at_concurrency_8_do_not_allocate_their_bodies()
        {
            var block = new byte[64 * 1024];
            new Random(11).NextBytes(block);
            byte[] expected = SHA256.HashData(Enumerable.Range(0, BodySize / block.Length).SelectMany(_ => block).ToArray());
            using var server = new RawServer(async (c, token) =>
            {
                await c.SendAsync($"HTTP/1.1 200 OK\r\nContent-Length: {BodySize}\r\nConnection: close\r\n\r\n", token);
                for (int sent = 0; sent < BodySize; sent += block.Length)
                {
                    await c.SendAsync(block, token);
                }

                c.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            });
            using var engine = new FetchEngine(new FetchEngineOptions { MaxConcurrency = 8, MaxResponseBytes = 1024 * 1024, Timeout = TimeSpan.FromSeconds(60) });

            // Warm up (JIT, the loop's buffers, the array pool) with one full download, checked byte for byte.
            FetchResult warm = await engine.FetchAsync(new FetchRequest(server.Url("/warm.bin")) { OutDirectory = _dir }).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(FetchErrorKind.None, warm.ErrorKind);
            using (FileStream f = File.OpenRead(warm.OutFile!))
            {
                Assert.Equal(expected, SHA256.HashData(f));
            }

            File.Delete(warm.OutFile!);

            long[] sizes = new long[Downloads];
            GC.Collect();
            long before = GC.GetTotalAllocatedBytes(true);
            Task[] tasks = Enumerable.Range(0, Downloads).Select(i => engine.FetchAsync(new FetchRequest(server.Url($"/file{i}.bin")) { OutDirectory = _dir })
                .ContinueWith(
                    t =>
                    {
                        FetchResult r = t.Result;
                        Assert.True(r.ErrorKind == FetchErrorKind.None, r.ErrorMessage);
                        sizes[i] = new FileInfo(r.OutFile!).Length;
                        File.Delete(r.OutFile!); // keep the disk use bounded
                    },
                    TaskScheduler.Default)).ToArray();
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(240));
            long allocated = GC.GetTotalAllocatedBytes(true) - before;
            _output.WriteLine($"{Downloads} x {BodySize / (1024 * 1024)} MiB downloaded; allocated {allocated / 1024} KiB");

            Assert.All(sizes, s => Assert.Equal(BodySize, s));
            Assert.Empty(Directory.GetFiles(_dir));
            Assert.True(allocated < 32L * 1024 * 1024, $"downloading {Downloads * (BodySize / (1024 * 1024))} MiB allocated {allocated / 1024} KiB on the managed heap");
        }
    }
}
