"""One crawl of the generated site with Scrapy, for bench/crawl.

    python3 scrapy_crawl.py http://127.0.0.1:PORT/

Robots on (ROBOTSTXT_OBEY), 64 concurrent requests (also per domain), no autothrottle, no download delay, no HTTP
cache, no depth limit. The spider follows every http(s) <a href> of every HTML page (files and redirects included,
as the other crawlers do) and extracts each page's <title>. Scrapy's own duplicate filter decides what is fetched
again. Prints one line: RESULT {json} with the HTML pages parsed (responses), the distinct pages among them (the URL
normalized: dot segments removed, unreserved percent-encodings decoded), titles found, all responses, disallowed
URLs fetched (robots.txt says /private/) and the crawl's own seconds (spider opened to closed). Loopback only: the
start URL comes from the caller and the site links only to itself.
"""
import json
import posixpath
import re
import sys
import time
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.http import HtmlResponse

_UNRESERVED = re.compile(r"%([0-9A-Fa-f]{2})")


def normalized_path(url):
    parts = urlsplit(url)

    def decode(m):
        c = chr(int(m.group(1), 16))
        return c if c.isalnum() or c in "-._~" else m.group(0)

    path = posixpath.normpath(_UNRESERVED.sub(decode, parts.path or "/"))
    if path.startswith("//"):
        path = path[1:]
    if (parts.path or "/").endswith("/") and path != "/":
        path += "/"
    return path + ("?" + parts.query if parts.query else "")


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(self, start, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [start]
        self.pages = 0
        self.titles = 0
        self.distinct = set()
        self.started = None
        self.finished = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.closed_signal, signal=signals.spider_closed)
        return spider

    def opened(self, spider):
        self.started = time.monotonic()

    def closed_signal(self, spider):
        self.finished = time.monotonic()

    def parse(self, response):
        if not isinstance(response, HtmlResponse):
            return  # a PDF or an image: fetched, nothing to parse
        self.pages += 1
        self.distinct.add(normalized_path(response.url))
        if response.css("title::text").get() is not None:
            self.titles += 1
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if url.startswith(("http://", "https://")):
                yield scrapy.Request(url, callback=self.parse)


def main():
    if len(sys.argv) != 2:
        print("usage: scrapy_crawl.py START_URL", file=sys.stderr)
        return 2
    process = CrawlerProcess(settings={
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": 64,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 64,
        "CONCURRENT_REQUESTS_PER_IP": 0,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "DEPTH_LIMIT": 0,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    })
    crawler = process.create_crawler(SiteSpider)
    process.crawl(crawler, start=sys.argv[1])
    process.start()
    spider = crawler.spider
    stats = crawler.stats.get_stats()
    disallowed = sum(1 for p in spider.distinct if p.startswith("/private/"))
    result = {
        "pages": spider.pages,
        "distinct": len(spider.distinct),
        "titles": spider.titles,
        "responses": stats.get("downloader/response_count", 0),
        "disallowedFetched": disallowed,
        "robotsForbidden": stats.get("robotstxt/forbidden", 0),
        "errors": stats.get("downloader/exception_count", 0),
        "seconds": round((spider.finished or time.monotonic()) - (spider.started or 0), 3),
    }
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
