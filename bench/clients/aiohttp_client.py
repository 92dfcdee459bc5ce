#!/usr/bin/python3
"""One measured run of Python aiohttp, printing the bench driver's RESULT line:
    RESULT aiohttp <count> <concurrency> <seconds> <cpuSeconds> <peakRssMb> <errors> <bytes>

One ClientSession over one TCPConnector(limit=concurrency); <concurrency> worker tasks take request numbers
from a shared counter until <count> have been sent. Bodies are read whole (resp.read()) or, with --discard,
read in 64 KiB chunks and dropped, or, with --out-dir DIR, written chunk by chunk to DIR/<i>-<name> (plain
blocking writes from the event loop: what simple aiohttp code does without aiofiles). The clock (and CPU) covers the requests only, not interpreter start-up
or imports. With --url-file FILE request i goes to line i of FILE (cycling; W7's origins). https is validated
against SSL_CERT_FILE (the suite's CA; aiohttp's default SSL context reads it). Loopback only: the URL is given by the driver; every loop is bounded by --count.
Run it with Debian's /usr/bin/python3 (python3-aiohttp).
"""
import argparse
import asyncio
import os
import resource
import sys
import time

import aiohttp


async def fetch_all(url, count, concurrency, discard, out_dir=None, urls=None):
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=120)
    state = {"next": 0, "errors": 0, "bytes": 0}
    name = os.path.basename(url.split("?")[0]) or "index"

    async def worker(session):
        while state["next"] < count:
            i = state["next"]
            state["next"] += 1
            target = urls[i % len(urls)] if urls else url
            try:
                async with session.get(target) as resp:
                    if out_dir is not None:
                        n = 0
                        with open(os.path.join(out_dir, "%d-%s" % (i, name)), "xb") as f:
                            async for chunk in resp.content.iter_chunked(65536):
                                f.write(chunk)
                                n += len(chunk)
                    elif discard:
                        n = 0
                        async for chunk in resp.content.iter_chunked(65536):
                            n += len(chunk)
                    else:
                        n = len(await resp.read())
                    state["bytes"] += n
                    if resp.status != 200:
                        state["errors"] += 1
            except Exception as e:  # a failed request is counted, the run goes on
                state["errors"] += 1
                if state["errors"] <= 3:
                    print("aiohttp: %s: %r" % (url, e), file=sys.stderr)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(min(concurrency, count))))
    return state["errors"], state["bytes"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--warmup", type=int, default=0)
    p.add_argument("--warmup-url")
    p.add_argument("--discard", action="store_true")
    p.add_argument("--out-dir")
    p.add_argument("--url-file")
    a = p.parse_args()
    urls = None
    if a.url_file is not None:
        with open(a.url_file) as f:
            urls = [line.strip() for line in f if line.strip()]
    if a.out_dir is not None:
        os.makedirs(a.out_dir, exist_ok=True)
    if a.warmup > 0:
        warm_dir = None if a.out_dir is None else os.path.join(a.out_dir, "warmup")
        if warm_dir is not None:
            os.makedirs(warm_dir, exist_ok=True)
        asyncio.run(fetch_all(a.warmup_url or a.url, a.warmup, min(a.concurrency, a.warmup), a.discard, warm_dir, urls))
        if warm_dir is not None:
            import shutil
            shutil.rmtree(warm_dir)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    errors, nbytes = asyncio.run(fetch_all(a.url, a.count, a.concurrency, a.discard, a.out_dir, urls))
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("RESULT aiohttp %d %d %r %r %r %d %d" % (a.count, a.concurrency, seconds, cpu, rss, errors, nbytes))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
