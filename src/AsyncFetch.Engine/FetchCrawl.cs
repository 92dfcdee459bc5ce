using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using AsyncFetch.Engine.Crawl;

namespace AsyncFetch
{
    /// <summary>
    /// A crawl: start URLs in, requests out, and each result's links (or what <see cref="FetchCrawlOptions.Follow"/>
    /// returns) back in as new requests, breadth first. Every URL is normalized (<see cref="FetchUrl"/>) and requested
    /// at most once: a seen-set of 64-bit hashes (<see cref="SeenUrls"/>) remembers them all, redirects are followed as
    /// links (so a redirect and its target are each fetched once, and a target already seen is not fetched again), and
    /// each origin's robots.txt is fetched first and obeyed, with its Crawl-delay, unless
    /// <see cref="FetchCrawlOptions.RespectRobots"/> is off.
    ///
    /// It sends nothing itself: the caller takes requests with <see cref="TryNext"/> while its batch has room, gives
    /// every result to <see cref="TakeResult"/>, and is done when <see cref="IsIdle"/> and its batch is drained.
    /// Threads: one at a time (the thread that takes the results); it keeps no lock.
    /// </summary>
    public sealed class FetchCrawl
    {
        private const string StateMagic = "AsyncFetch crawl state 2";
        private const string StateMagicVersion1 = "AsyncFetch crawl state 1";
        private const double MaxCrawlDelaySeconds = 60;

        private readonly FetchCrawlOptions _options;
        private readonly Func<Uri, FetchRequest> _newRequest;
        private SeenSet _seen = new SeenSet();
        private SeenSet _expanded = new SeenSet(); // pages whose links were followed, and canonical URLs a page stood for
        private readonly List<Queue<Pending>> _readyByDepth = new List<Queue<Pending>>();
        private readonly List<int> _inFlightByDepth = new List<int>();
        private readonly List<int> _waitingByDepth = new List<int>(); // the URLs in _queued, held ones included, by depth
        private readonly Dictionary<string, Pending> _queued = new Dictionary<string, Pending>(StringComparer.Ordinal);
        private readonly Queue<FetchRequest> _control = new Queue<FetchRequest>();
        private readonly Dictionary<string, Origin> _origins = new Dictionary<string, Origin>(StringComparer.Ordinal);
        private readonly List<Origin> _delayed = new List<Origin>();
        private readonly Dictionary<FetchRequest, Pending> _inFlight = new Dictionary<FetchRequest, Pending>();
        private readonly HashSet<string> _startHosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private int _robotsInFlight;

        /// <summary>A crawl with these options; <paramref name="newRequest"/> makes the request for a discovered URL (the caller's defaults applied).</summary>
        public FetchCrawl(FetchCrawlOptions options, Func<Uri, FetchRequest> newRequest)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _newRequest = newRequest ?? throw new ArgumentNullException(nameof(newRequest));
        }

        /// <summary>Distinct URLs seen so far (requested, queued, refused by robots.txt or out of the page limit).</summary>
        public long SeenUrls => _seen.Count;

        /// <summary>Bytes the seen-set holds (about 11 to 17 per URL, whatever the URL's length).</summary>
        public long SeenBytes => _seen.TableBytes;

        /// <summary>URLs handed out as requests (start URLs and redirect targets included, robots.txt not).</summary>
        public long Requested { get; private set; }

        /// <summary>Links read from pages (or returned by the Follow script), before any filtering.</summary>
        public long LinksFound { get; private set; }

        /// <summary>Links not followed because they were seen before (the same page linked twice, or a cycle).</summary>
        public long Duplicates { get; private set; }

        /// <summary>Links outside the scope, the include patterns or the exclude patterns, or not http(s).</summary>
        public long OutOfScope { get; private set; }

        /// <summary>
        /// Pages whose &lt;link rel=canonical&gt; names a URL the crawl had already seen: one page under two URLs, whose
        /// links are followed once (from the first). A canonical URL first seen this way is not fetched itself.
        /// </summary>
        public long CanonicalDuplicates { get; private set; }

        /// <summary>URLs robots.txt disallowed.</summary>
        public long Disallowed { get; private set; }

        /// <summary>robots.txt files requested.</summary>
        public long RobotsFetched { get; private set; }

        /// <summary>URLs waiting to be requested (for robots.txt, a crawl delay, shallower pages, or room in the batch).</summary>
        public long Waiting => _queued.Count;

        /// <summary>True when the crawl has nothing to hand out and waits for nothing of its own; with the batch drained, it is done.</summary>
        public bool IsIdle => _control.Count == 0 && _robotsInFlight == 0 && (Waiting == 0 || LimitReached);

        private bool LimitReached => _options.MaxPages > 0 && Requested >= _options.MaxPages;

        /// <summary>
        /// How long until a URL held by a crawl delay may go (TimeSpan.Zero when one may go now; null when none is
        /// held): the caller waits at most this long before calling <see cref="TryNext"/> again.
        /// </summary>
        public TimeSpan? NextDelay(DateTime utcNow)
        {
            if (LimitReached)
            {
                return null;
            }

            TimeSpan? soonest = null;
            foreach (Origin origin in _delayed)
            {
                Pending? head = HeldHead(origin);
                if (head == null || !MayIssue(head.Depth))
                {
                    continue; // nothing held, or its turn comes with a result (a shallower page finishing), not a clock
                }

                TimeSpan wait = origin.NextAllowed > utcNow ? origin.NextAllowed - utcNow : TimeSpan.Zero;
                if (soonest == null || wait < soonest)
                {
                    soonest = wait;
                }
            }

            return soonest;
        }

        /// <summary>Lets go of a result's body once its links were taken (a crawl run with -NoContent keeps bodies only for that).</summary>
        public static void DropBody(FetchResult result)
        {
            if (result != null)
            {
                result.Body = null;
            }
        }

        /// <summary>True for a request the crawl made for itself (a robots.txt): send it, but do not journal or count it.</summary>
        public bool IsControl(FetchRequest request) => request?.Tag is RobotsTarget;

        /// <summary>
        /// A start URL (depth 0), with the settings of <paramref name="request"/> kept; it is requested even if
        /// robots.txt disallows it (it was asked for). False when the URL was seen before (given twice, or resumed) or
        /// is not http(s). Its host is a start host (for <see cref="FetchCrawlScope.SameHost"/>) either way: a resumed
        /// crawl is given its start URLs again, and keeps to their hosts even where it fetches none of them again.
        /// </summary>
        public bool AddStart(FetchRequest request)
        {
            if (request?.Uri == null || !FetchUrl.TryNormalize(request.Uri, out string key, out string host))
            {
                return false;
            }

            _startHosts.Add(host);
            if (!_seen.Add(key))
            {
                Duplicates++;
                return false;
            }

            // A start URL is what the user asked for: it is requested even where robots.txt would not allow it.
            request.Depth = 0;
            var start = new Pending(new Uri(key), key, 0, null, 0, request);
            AddWaiting(start);
            Ready(start);
            return true;
        }

        /// <summary>
        /// The next request to send now, if any: robots.txt files first, then URLs breadth first. A URL at depth d
        /// waits until every URL at depth d - 1 or less is finished: a shorter way to it could still be found, and the
        /// depth of every page is then its shortest distance from a start URL, whatever the concurrency.
        /// </summary>
        public bool TryNext(out FetchRequest request)
        {
            if (_control.Count > 0)
            {
                request = _control.Dequeue();
                return true;
            }

            if (!LimitReached)
            {
                DateTime now = DateTime.UtcNow;
                foreach (Origin origin in _delayed)
                {
                    Pending? head = HeldHead(origin);
                    if (head != null && origin.NextAllowed <= now && MayIssue(head.Depth))
                    {
                        origin.NextAllowed = now + TimeSpan.FromSeconds(origin.Delay);
                        request = Issue(origin.Held.Dequeue());
                        return true;
                    }
                }

                for (int depth = 0; depth < _readyByDepth.Count; depth++)
                {
                    Queue<Pending> queue = _readyByDepth[depth];
                    while (queue.Count > 0 && (queue.Peek().Issued || queue.Peek().Depth != depth))
                    {
                        queue.Dequeue(); // issued already, or moved to a shallower depth
                    }

                    if (queue.Count == 0)
                    {
                        continue;
                    }

                    if (!MayIssue(depth))
                    {
                        break;
                    }

                    request = Issue(queue.Dequeue());
                    return true;
                }
            }

            request = null!;
            return false;
        }

        /// <summary>
        /// True when a URL at <paramref name="depth"/> may go: no URL at depth - 1 or less is in flight or waiting (held
        /// for robots.txt or a crawl delay included), since any of those could still find a shorter way to it. Depth - 1
        /// and not - 2 because of redirects: a redirect adds no depth, so one at depth - 1 may turn out to lead to this
        /// very URL, which then has depth - 1. (With - 2, a test-site page linked at depth 5 and reached at depth 4
        /// through a redirect got depth 5 in 6 of 40 crawls.)
        /// </summary>
        private bool MayIssue(int depth)
        {
            for (int shallower = 0; shallower <= depth - 1; shallower++)
            {
                if ((shallower < _inFlightByDepth.Count && _inFlightByDepth[shallower] > 0)
                    || (shallower < _waitingByDepth.Count && _waitingByDepth[shallower] > 0))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The first URL a crawl delay holds for <paramref name="origin"/> that is still to be requested, or null.</summary>
        private Pending? HeldHead(Origin origin)
        {
            while (origin.Held.Count > 0 && (origin.Held.Peek().Issued || !_queued.ContainsKey(origin.Held.Peek().Key)))
            {
                origin.Held.Dequeue();
            }

            return origin.Held.Count > 0 ? origin.Held.Peek() : null;
        }

        /// <summary>A URL to be requested: in <see cref="_queued"/>, and counted at its depth.</summary>
        private void AddWaiting(Pending page)
        {
            if (!_queued.ContainsKey(page.Key))
            {
                _queued.Add(page.Key, page);
                Count(_waitingByDepth, page.Depth, 1);
            }
        }

        /// <summary>A URL no longer to be requested here (requested now, disallowed, or stood for by its canonical page).</summary>
        private void RemoveWaiting(Pending page)
        {
            if (_queued.Remove(page.Key))
            {
                Count(_waitingByDepth, page.Depth, -1);
            }
        }

        private static void Count(List<int> byDepth, int depth, int change)
        {
            while (byDepth.Count <= depth)
            {
                byDepth.Add(0);
            }

            byDepth[depth] += change;
        }

        /// <summary>
        /// Takes a result of a request from <see cref="TryNext"/>: a robots.txt sets its origin's rules; a page's links
        /// (or redirect) become new URLs. Returns false for a result the caller should not write (robots.txt).
        /// </summary>
        public bool TakeResult(FetchResult result)
        {
            FetchRequest request = result.GetRequest();
            if (request.Tag is RobotsTarget robots)
            {
                _robotsInFlight--;
                SetRobots(robots.Origin, result);
                return false;
            }

            if (!_inFlight.TryGetValue(request, out Pending page))
            {
                return true; // not one of the crawl's (an input refused before it was sent)
            }

            _inFlight.Remove(request);
            Count(_inFlightByDepth, page.Depth, -1);
            if (!result.IsResponse)
            {
                return true;
            }

            Uri at = result.Uri ?? page.Uri;
            if (result.StatusCode >= 300 && result.StatusCode < 400 && result.Headers["Location"] is string location)
            {
                if (page.Hops < _options.MaxRedirects)
                {
                    Discover(at, location, page.Depth, page.Referrer, page.Hops + 1, isLink: false);
                }

                return true;
            }

            if (page.Depth >= _options.MaxDepth)
            {
                return true;
            }

            if (_options.Follow != null)
            {
                IEnumerable<string>? chosen = _options.Follow(result);
                if (chosen != null)
                {
                    foreach (string href in chosen)
                    {
                        LinksFound++;
                        Discover(at, href, page.Depth + 1, at.AbsoluteUri, 0, isLink: false);
                    }
                }

                return true;
            }

            if (IsCanonicalDuplicate(result, page))
            {
                return true;
            }

            _expanded.Add(page.Key);
            string referrer = at.AbsoluteUri;
            foreach (FetchLink link in result.GetLinks())
            {
                LinksFound++;
                link.PrepareForCrawl();
                if (link.CrawlKey == null)
                {
                    OutOfScope++;
                    continue;
                }

                DiscoverKey(link.CrawlKey, link.CrawlHost!, page.Depth + 1, referrer, 0);
            }

            return true;
        }

        /// <summary>
        /// Parses the links of <paramref name="result"/> and normalizes them, on the caller's thread: meant for
        /// <see cref="AsyncFetch.Engine.Batch.FetchBatchOptions.PrepareResult"/>, which runs it on the thread pool as results complete, so that
        /// <see cref="TakeResult"/> (on the crawl's one thread) has only look-ups left. Never throws.
        /// </summary>
        public static void PrepareResult(FetchResult result)
        {
            if (result == null || !result.IsResponse)
            {
                return;
            }

            foreach (FetchLink link in result.GetLinks())
            {
                link.PrepareForCrawl();
            }
        }

        /// <summary>
        /// <paramref name="href"/> (resolved against <paramref name="page"/> when given) as the crawl compares URLs
        /// (<see cref="FetchUrl.Normalize"/>) and its host; false when it is not an http(s) URL.
        /// </summary>
        internal static bool TryCrawlKey(Uri? page, string href, out string? key, out string? host)
        {
            key = host = null;
            if (string.IsNullOrEmpty(href))
            {
                return false;
            }

            Uri? target;
            if (!(page == null ? Uri.TryCreate(href, UriKind.Absolute, out target) : Uri.TryCreate(page, href, out target))
                || (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps)
                || !FetchUrl.TryNormalize(target, out string normalized, out string normalHost))
            {
                return false;
            }

            key = normalized;
            host = normalHost;
            return true;
        }

        /// <summary>
        /// Writes what a later run needs to go on: every URL not finished (in flight, waiting), the start hosts, the
        /// seen-set and the set of pages whose links were followed. A run that resumes from it (<see cref="LoadState"/>)
        /// requests the open URLs again and nothing it had seen. <see cref="FetchCrawlOptions.MaxPages"/> is each run's
        /// own: a resumed run may request as many again.
        /// </summary>
        public void SaveState(Stream stream)
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(StateMagic);
            var open = new List<Pending>(_inFlight.Values);
            open.AddRange(_queued.Values);
            writer.Write(open.Count);
            foreach (Pending p in open)
            {
                writer.Write(p.Uri.AbsoluteUri);
                writer.Write(p.Depth);
                writer.Write(p.Referrer ?? string.Empty);
                writer.Write(p.Hops);
            }

            writer.Write(_startHosts.Count);
            foreach (string host in _startHosts)
            {
                writer.Write(host);
            }

            writer.Flush();
            _seen.Save(stream);
            _expanded.Save(stream);
        }

        /// <summary>
        /// Takes up a crawl <see cref="SaveState"/> wrote: its seen URLs are not requested again, its open URLs are
        /// queued, and its start hosts stay in scope.
        /// Call it before <see cref="AddStart"/>. Reads the state of earlier versions too.
        /// </summary>
        public void LoadState(Stream stream)
        {
            using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            string magic = reader.ReadString();
            bool version1 = magic == StateMagicVersion1;
            if (magic != StateMagic && !version1)
            {
                throw new InvalidDataException("This is not a crawl state that this AsyncFetch can read.");
            }

            int count = reader.ReadInt32();
            var open = new List<Pending>(count);
            for (int i = 0; i < count; i++)
            {
                var uri = new Uri(reader.ReadString());
                int depth = reader.ReadInt32();
                string referrer = reader.ReadString();
                int hops = reader.ReadInt32();
                bool normal = FetchUrl.TryNormalize(uri, out string normalized, out string host);
                open.Add(new Pending(uri, normal ? normalized : uri.AbsoluteUri, depth, referrer.Length == 0 ? null : referrer, hops, null));
                if (version1)
                {
                    _startHosts.Add(normal ? host : uri.Host); // the first version kept no start hosts: the open URLs' stand in
                }
            }

            if (!version1)
            {
                int hosts = reader.ReadInt32();
                for (int i = 0; i < hosts; i++)
                {
                    _startHosts.Add(reader.ReadString());
                }
            }

            _seen = SeenSet.Load(stream); // before any start URL (AddStart): the resumed crawl's seen URLs are all there
            if (!version1)
            {
                _expanded = SeenSet.Load(stream);
            }

            DateTime now = DateTime.UtcNow;
            foreach (Pending p in open)
            {
                AddWaiting(p);
                Enqueue(p, now);
            }
        }

        /// <summary>
        /// True when the page names as canonical another URL whose page was already expanded (its links followed, or
        /// stood for by another page naming it): its links are then not followed again. Otherwise this page stands for
        /// its canonical URL: one not seen yet becomes seen, so it is not fetched as a page of its own, and one waiting is
        /// not requested. A canonical URL seen but never expanded (the URL that redirected to this page, one refused by
        /// robots.txt, one in flight) is not a duplicate: this page's links are followed.
        /// </summary>
        private bool IsCanonicalDuplicate(FetchResult result, Pending page)
        {
            string? canonical = result.GetHtmlLinks()?.Canonical;
            if (canonical == null || !Uri.TryCreate(canonical, UriKind.Absolute, out Uri? target)
                || !FetchUrl.TryNormalize(target, out string key) || key == page.Key
                || (result.Uri != null && FetchUrl.TryNormalize(result.Uri, out string at) && key == at))
            {
                return false;
            }

            if (_expanded.Contains(key))
            {
                CanonicalDuplicates++;
                return true;
            }

            _expanded.Add(key); // this page stands for it: a later page naming it is the duplicate
            if (!_seen.Add(key) && _queued.TryGetValue(key, out Pending? waiting))
            {
                // Not fetched yet: it need not be.
                waiting.Issued = true;
                RemoveWaiting(waiting);
            }

            return false;
        }

        private void Discover(Uri page, string href, int depth, string? referrer, int hops, bool isLink)
        {
            if (!TryCrawlKey(page, href, out string? key, out string? host))
            {
                if (isLink)
                {
                    OutOfScope++;
                }

                return;
            }

            DiscoverKey(key!, host!, depth, referrer, hops);
        }

        /// <summary>A URL found (normalized, with its host): counted, and queued unless out of scope or seen.</summary>
        private void DiscoverKey(string key, string host, int depth, string? referrer, int hops)
        {
            if (_options.Follow == null && !InScope(host, key))
            {
                OutOfScope++;
                return;
            }

            if (!_seen.Add(key))
            {
                Duplicates++;
                if (_queued.TryGetValue(key, out Pending? waiting) && depth < waiting.Depth)
                {
                    // A shorter way to a URL not requested yet: it takes the smaller depth (and this referrer).
                    Count(_waitingByDepth, waiting.Depth, -1);
                    Count(_waitingByDepth, depth, 1);
                    waiting.Depth = depth;
                    waiting.Referrer = referrer;
                    if (waiting.IsReady)
                    {
                        Ready(waiting);
                    }
                }

                return;
            }

            var found = new Pending(new Uri(key), key, depth, referrer, hops, null);
            AddWaiting(found);
            Enqueue(found, DateTime.UtcNow);
        }

        private bool InScope(string host, string key)
        {
            switch (_options.Scope)
            {
                case FetchCrawlScope.SameHost:
                    if (!_startHosts.Contains(host))
                    {
                        return false;
                    }

                    break;
                case FetchCrawlScope.SameSite:
                    if (!InSite(host))
                    {
                        return false;
                    }

                    break;
            }

            if (_options.Include.Count > 0)
            {
                bool any = false;
                foreach (System.Text.RegularExpressions.Regex include in _options.Include)
                {
                    if (include.IsMatch(key))
                    {
                        any = true;
                        break;
                    }
                }

                if (!any)
                {
                    return false;
                }
            }

            foreach (System.Text.RegularExpressions.Regex exclude in _options.Exclude)
            {
                if (exclude.IsMatch(key))
                {
                    return false;
                }
            }

            return true;
        }

        private bool InSite(string host)
        {
            foreach (string start in _startHosts)
            {
                string site = start.StartsWith("www.", StringComparison.OrdinalIgnoreCase) ? start.Substring(4) : start;
                if (host.Equals(site, StringComparison.OrdinalIgnoreCase)
                    || (host.Length > site.Length && host.EndsWith(site, StringComparison.OrdinalIgnoreCase) && host[host.Length - site.Length - 1] == '.'))
                {
                    return true;
                }
            }

            return false;
        }

        private void Enqueue(Pending page, DateTime now)
        {
            if (page.Issued)
            {
                return; // stood for by a page that named it canonical
            }

            if (!_options.RespectRobots)
            {
                Ready(page);
                return;
            }

            Origin origin = OriginOf(page.Uri);
            if (origin.Rules == null)
            {
                origin.Held.Enqueue(page);
                // Past the page limit nothing more is requested, so no robots.txt either: the URL just waits (it is
                // saved as open, and a resumed crawl asks for the robots.txt then).
                if (!origin.RobotsRequested && !LimitReached)
                {
                    origin.RobotsRequested = true;
                    var robots = _newRequest(new Uri(origin.Key + "/robots.txt"));
                    robots.Tag = new RobotsTarget(origin);
                    robots.Method = "GET"; // whatever the pages' requests are, robots.txt is read as rules, in memory
                    robots.Body = null;
                    robots.Content = null;
                    robots.OutFile = null;
                    robots.OutDirectory = null;
                    robots.MaximumRedirection = 5;
                    robots.DiscardBody = false;
                    _control.Enqueue(robots);
                    _robotsInFlight++;
                    RobotsFetched++;
                }

                return;
            }

            if (!origin.Rules.IsAllowed(page.Uri))
            {
                Disallowed++;
                RemoveWaiting(page);
                return;
            }

            if (origin.Delay > 0)
            {
                origin.Held.Enqueue(page);
                return;
            }

            Ready(page);
        }

        /// <summary>Queues a URL that may go as soon as its depth allows (again, at a smaller depth, when a shorter way was found).</summary>
        private void Ready(Pending page)
        {
            while (_readyByDepth.Count <= page.Depth)
            {
                _readyByDepth.Add(new Queue<Pending>());
            }

            page.IsReady = true;
            _readyByDepth[page.Depth].Enqueue(page);
        }

        private void SetRobots(Origin origin, FetchResult result)
        {
            RobotsRules rules;
            if (!result.IsResponse)
            {
                rules = RobotsRules.DisallowAll; // unreachable (RFC 9309 2.3.1.4)
            }
            else
            {
                switch (RobotsRules.ForStatus(result.StatusCode))
                {
                    case RobotsFetchOutcome.Parse:
                        rules = RobotsRules.Parse(result.GetBody() ?? Array.Empty<byte>(), _options.RobotsUserAgent);
                        break;
                    case RobotsFetchOutcome.AllowAll:
                    case RobotsFetchOutcome.FollowRedirect: // more than the redirects followed: unavailable
                        rules = RobotsRules.AllowAll;
                        break;
                    default:
                        rules = RobotsRules.DisallowAll;
                        break;
                }
            }

            origin.Rules = rules;
            origin.Delay = Math.Min(rules.CrawlDelaySeconds ?? 0, MaxCrawlDelaySeconds);
            if (origin.Delay > 0)
            {
                _delayed.Add(origin);
            }

            var waiting = new Queue<Pending>(origin.Held);
            origin.Held.Clear();
            DateTime now = DateTime.UtcNow;
            while (waiting.Count > 0)
            {
                Enqueue(waiting.Dequeue(), now);
            }
        }

        private FetchRequest Issue(Pending page)
        {
            page.Issued = true;
            RemoveWaiting(page);
            Count(_inFlightByDepth, page.Depth, 1);
            FetchRequest request = page.Prototype ?? _newRequest(page.Uri);
            request.Depth = page.Depth;
            request.Referrer = page.Referrer;
            request.MaximumRedirection = 0; // redirects are followed as links, each target once
            request.DiscardBody = false;    // the links are in the body
            _inFlight[request] = page;
            Requested++;
            return request;
        }

        private Origin OriginOf(Uri uri)
        {
            string key = uri.GetLeftPart(UriPartial.Authority);
            if (!_origins.TryGetValue(key, out Origin? origin))
            {
                origin = new Origin(key);
                _origins.Add(key, origin);
            }

            return origin;
        }

        /// <summary>A URL found and not finished: its depth and referrer may still shrink while it waits.</summary>
        private sealed class Pending
        {
            public Pending(Uri uri, string key, int depth, string? referrer, int hops, FetchRequest? prototype)
            {
                Uri = uri;
                Key = key;
                Depth = depth;
                Referrer = referrer;
                Hops = hops;
                Prototype = prototype;
            }

            public Uri Uri { get; }

            public string Key { get; }

            public int Depth { get; set; }

            public string? Referrer { get; set; }

            public int Hops { get; }

            public FetchRequest? Prototype { get; }

            /// <summary>In a ready queue (not held for robots.txt or a crawl delay).</summary>
            public bool IsReady { get; set; }

            public bool Issued { get; set; }
        }

        private sealed class Origin
        {
            public Origin(string key) => Key = key;

            public string Key { get; }

            public RobotsRules? Rules { get; set; }

            public bool RobotsRequested { get; set; }

            public double Delay { get; set; }

            public DateTime NextAllowed { get; set; }

            public Queue<Pending> Held { get; } = new Queue<Pending>();
        }

        private sealed class RobotsTarget
        {
            public RobotsTarget(Origin origin) => Origin = origin;

            public Origin Origin { get; }
        }
    }
}
