using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text;
using System.Text.RegularExpressions;
using AsyncFetch.PowerShell.Internal;

namespace AsyncFetch.PowerShell.Commands
{
    /// <summary>
    /// Crawl mode (-Follow): the input URLs are where a crawl starts, and the links of every page (or what a script
    /// block returns for it) are fetched too, each URL once, breadth first, within -Depth and -MaxPages, obeying
    /// robots.txt unless -IgnoreRobots. Results carry Depth and Referrer. Everything else (limits, retries, journal,
    /// -Resume, -OnComplete, jobs) is the command's as usual. Pipeline thread.
    /// </summary>
    public abstract partial class FetchCommandBase
    {
        /// <summary>Per-host concurrency of a crawl when -PerHostLimit is not given: a crawl is polite by default.</summary>
        internal const int CrawlPerHostLimit = 8;

        /// <summary>
        /// Crawl from the input URLs, following links: SameHost (the start URLs' hosts), SameSite (their subdomains
        /// too), Any, or a script block that returns the URLs to follow from the result in $_.
        /// </summary>
        [Parameter]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(FollowCompleter))]
        public object? Follow { get; set; }

        /// <summary>How many links deep from a start URL the crawl goes (default 5).</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int Depth { get; set; } = 5;

        /// <summary>The most URLs a crawl requests (start URLs and redirects included; 0, the default: no limit).</summary>
        [Parameter]
        [ValidateRange(0, long.MaxValue)]
        public long MaxPages { get; set; }

        /// <summary>Wildcard patterns: a crawl follows only links whose URL one of them matches.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? Include { get; set; }

        /// <summary>Wildcard patterns: a crawl does not follow links whose URL one of them matches.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? Exclude { get; set; }

        /// <summary>Crawl without reading robots.txt (its rules and Crawl-delay are then not obeyed).</summary>
        [Parameter]
        public SwitchParameter IgnoreRobots { get; set; }

        /// <summary>True when the command crawls (-Follow).</summary>
        private protected bool IsCrawl => Follow != null;

        /// <summary>
        /// Refuses crawl parameters without -Follow; and -Follow with a body written to a file (its links could not be
        /// read), or with a request body or a method other than GET (a crawl reads pages: each discovered URL would be
        /// sent that body, a GET's form in its query).
        /// </summary>
        private protected void CheckCrawlParameters()
        {
            if (Follow != null)
            {
                foreach (string name in new[] { "OutFile", nameof(OutDirectory) })
                {
                    if (MyInvocation.BoundParameters.ContainsKey(name))
                    {
                        ThrowTerminatingError(new ErrorRecord(new ArgumentException(string.Format(System.Globalization.CultureInfo.CurrentCulture, Strings.FollowWithOutFile, name)), ErrorIds.FollowWithOutFile, ErrorCategory.InvalidArgument, name));
                    }
                }

                foreach (string name in new[] { nameof(Body), nameof(InFile), nameof(Form), nameof(Method) })
                {
                    if (MyInvocation.BoundParameters.ContainsKey(name) && !(name == nameof(Method) && string.Equals(Method, "GET", StringComparison.OrdinalIgnoreCase)))
                    {
                        ThrowTerminatingError(new ErrorRecord(new ArgumentException(string.Format(System.Globalization.CultureInfo.CurrentCulture, Strings.FollowWithBody, name)), ErrorIds.FollowWithBody, ErrorCategory.InvalidArgument, name));
                    }
                }
            }
            else
            {
                foreach (string name in new[] { nameof(Depth), nameof(MaxPages), nameof(Include), nameof(Exclude), nameof(IgnoreRobots) })
                {
                    if (MyInvocation.BoundParameters.ContainsKey(name))
                    {
                        ThrowTerminatingError(new ErrorRecord(new ArgumentException(string.Format(System.Globalization.CultureInfo.CurrentCulture, Strings.CrawlParameterNeedsFollow, name)), ErrorIds.CrawlParameterNeedsFollow, ErrorCategory.InvalidArgument, name));
                    }
                }
            }
        }

        /// <summary>The crawl options of -Follow and its companions; <paramref name="follow"/> runs a script block -Follow.</summary>
        private protected FetchCrawlOptions BuildCrawlOptions(Func<FetchResult, IEnumerable<string>?>? follow)
        {
            var options = new FetchCrawlOptions
            {
                MaxDepth = Depth,
                MaxPages = MaxPages,
                RespectRobots = !IgnoreRobots.IsPresent,
                RobotsUserAgent = UserAgent ?? "AsyncFetch",
                MaxRedirects = MaximumRedirection,
                Follow = follow,
            };
            object? value = Follow is PSObject pso ? pso.BaseObject : Follow;
            if (value is not ScriptBlock)
            {
                if (!Enum.TryParse(value?.ToString(), ignoreCase: true, out FetchCrawlScope scope) || !Enum.IsDefined(typeof(FetchCrawlScope), scope))
                {
                    ThrowTerminatingError(new ErrorRecord(new ArgumentException(string.Format(System.Globalization.CultureInfo.CurrentCulture, Strings.InvalidFollow, value)), ErrorIds.InvalidFollow, ErrorCategory.InvalidArgument, Follow));
                }

                options.Scope = scope;
            }

            foreach (string pattern in Include ?? Array.Empty<string>())
            {
                options.Include.Add(CrawlPattern(nameof(Include), pattern));
            }

            foreach (string pattern in Exclude ?? Array.Empty<string>())
            {
                options.Exclude.Add(CrawlPattern(nameof(Exclude), pattern));
            }

            return options;
        }

        /// <summary>
        /// The crawl of -Follow with the command's request defaults for the URLs it finds, its state file beside the
        /// journal, and, with -Resume, the state a stopped run saved taken up.
        /// </summary>
        private protected CrawlRun OpenCrawlRun(RequestDefaults defaults, Func<FetchResult, IEnumerable<string>?>? follow)
        {
            var crawl = new FetchCrawl(BuildCrawlOptions(follow), uri => defaults.Apply(new FetchRequest(uri) { Tag = uri.AbsoluteUri }, overrideExisting: true));
            string? statePath = JournalPath == null ? null : OutputPaths.ToFileSystemPath(this, JournalPath) + ".crawl";
            var run = new CrawlRun(crawl, statePath, NoContent.IsPresent);
            if (Resume)
            {
                run.Resume();
            }

            return run;
        }

        /// <summary>The script block of -Follow, or null when -Follow is a scope.</summary>
        private protected ScriptBlock? FollowScript => (Follow is PSObject pso ? pso.BaseObject : Follow) as ScriptBlock;

        /// <summary>The URLs a script block returned (strings, [uri]s, links, or objects with a Href, Uri or Url property).</summary>
        internal static IEnumerable<string> UrlsOf(IEnumerable<PSObject> output)
        {
            foreach (PSObject item in output)
            {
                object? value = item?.BaseObject;
                switch (value)
                {
                    case null:
                        continue;
                    case string s:
                        yield return s;
                        continue;
                    case Uri u:
                        yield return u.OriginalString;
                        continue;
                    case FetchLink link:
                        yield return link.Href;
                        continue;
                }

                object? property = item!.Properties["Href"]?.Value ?? item.Properties["Uri"]?.Value ?? item.Properties["Url"]?.Value;
                if (property != null)
                {
                    yield return property.ToString()!;
                }
            }
        }

        /// <summary>A wildcard of -Include or -Exclude as a regular expression; one that cannot be (a range such as [z-a]) is a parameter error.</summary>
        private Regex CrawlPattern(string parameter, string pattern)
        {
            try
            {
                return WildcardToRegex(pattern);
            }
            catch (ArgumentException e)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException(string.Format(System.Globalization.CultureInfo.CurrentCulture, Strings.InvalidCrawlPattern, parameter, pattern, e.Message), e), ErrorIds.InvalidCrawlPattern, ErrorCategory.InvalidArgument, pattern));
                throw; // not reached: ThrowTerminatingError throws
            }
        }

        /// <summary>A PowerShell wildcard pattern (* ? [a-z], ` escapes) as a case-insensitive regular expression over the whole URL.</summary>
        internal static Regex WildcardToRegex(string pattern)
        {
            var regex = new StringBuilder("^");
            for (int i = 0; i < pattern.Length; i++)
            {
                char c = pattern[i];
                switch (c)
                {
                    case '*':
                        regex.Append(".*");
                        break;
                    case '?':
                        regex.Append('.');
                        break;
                    case '`' when i + 1 < pattern.Length:
                        regex.Append(Regex.Escape(pattern[++i].ToString()));
                        break;
                    case '[':
                        int close = pattern.IndexOf(']', i + 1);
                        if (close > i + 1)
                        {
                            regex.Append('[').Append(pattern.Substring(i + 1, close - i - 1).Replace("\\", "\\\\")).Append(']');
                            i = close;
                        }
                        else
                        {
                            regex.Append("\\[");
                        }

                        break;
                    default:
                        regex.Append(Regex.Escape(c.ToString()));
                        break;
                }
            }

            return new Regex(regex.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        }

        /// <summary>Offers the scopes for -Follow.</summary>
        public sealed class FollowCompleter : IArgumentCompleter
        {
            /// <inheritdoc/>
            public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters)
            {
                foreach (string name in Enum.GetNames(typeof(FetchCrawlScope)))
                {
                    if (name.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
                    {
                        yield return new CompletionResult(name);
                    }
                }
            }
        }
    }
}
