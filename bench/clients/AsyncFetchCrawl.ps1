<#
    One crawl of the generated site with Invoke-AsyncFetch's crawl mode, for bench/crawl:
        pwsh -NoProfile -File AsyncFetchCrawl.ps1 -Url http://127.0.0.1:PORT/ -ModulePath out/AsyncFetch
    The crawl itself is
        Invoke-AsyncFetch $Url -Follow SameHost -Depth 1000000 -MaxPages 1000000 -NoContent -ThrottleLimit 64 -PerHostLimit 64
    (robots.txt obeyed, the crawl mode's default; no depth limit and 64 requests to the one host, as the Scrapy and
    wget2 runs are configured), streamed into a counter; nothing collected. Prints one line
    RESULT {json} like bench/clients/scrapy_crawl.py: HTML pages (200, text/html), the distinct ones among them (URL
    normalized), all results, disallowed URLs fetched, failures, and the crawl's own seconds.
    A module whose Invoke-AsyncFetch has no -Follow prints "skipped: the module has no crawl mode" and exits 0.
    Loopback only (the caller passes the URL; the site links only to itself); bounded by -MaxPages.
#>
param(
    [Parameter(Mandatory)][string] $Url,
    [Parameter(Mandatory)][string] $ModulePath,
    [int] $Concurrency = 64,
    [int] $MaxPages = 1000000
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath
if (-not (Get-Command Invoke-AsyncFetch).Parameters.ContainsKey('Follow')) {
    'skipped: the module has no crawl mode'
    return
}

function Get-NormalizedPath([uri] $u) {
    # The same normalization as scrapy_crawl.py: unreserved percent-encodings decoded, dot segments removed by [uri].
    $path = [regex]::Replace($u.AbsolutePath, '%([0-9A-Fa-f]{2})', {
            param($m)
            $c = [char][Convert]::ToInt32($m.Groups[1].Value, 16)
            if ([char]::IsLetterOrDigit($c) -or '-._~'.Contains($c)) { [string]$c } else { $m.Value }
        })
    $path + $u.Query
}

$pages = 0; $results = 0; $failures = 0; $disallowed = 0
$distinct = [Collections.Generic.HashSet[string]]::new([StringComparer]::Ordinal)
$clock = [Diagnostics.Stopwatch]::StartNew()
# -OnComplete runs in the cmdlet for each result (no pipeline stage), and the crawl's URLs are already in normal form
# (FetchUrl: dot segments removed, unreserved percent-encodings decoded), which Get-NormalizedPath only confirms.
# -SkipHttpErrorCheck: a broken link is a result with its status here, not also an error record.
Invoke-AsyncFetch $Url -Follow SameHost -Depth 1000000 -MaxPages $MaxPages -NoContent -ThrottleLimit $Concurrency -PerHostLimit $Concurrency `
    -SkipHttpErrorCheck -ErrorAction SilentlyContinue -OnComplete {
        $script:results++
        if ($_.ErrorKind -ne 'None') { $script:failures++ }
        elseif ($_.StatusCode -eq 200 -and $_.ContentType -like 'text/html*') {
            $script:pages++
            $null = $distinct.Add($_.Uri.PathAndQuery)
        }
    }
$clock.Stop()
$normalized = [Collections.Generic.HashSet[string]]::new([StringComparer]::Ordinal)
foreach ($path in $distinct) {
    # Normalized again only where a spelling could differ (a percent-encoding or a dot segment): a script call per
    # path costs about a millisecond, which would be most of this process's time for 20,000 pages.
    $same = if ($path.Contains('%') -or $path.Contains('/.')) { Get-NormalizedPath ([uri]::new([uri]$Url, $path)) } else { $path }
    $null = $normalized.Add($same)
    if ($path.StartsWith('/private/')) { $disallowed++ }
}
$distinct = $normalized
'RESULT ' + (@{
        pages             = $pages
        distinct          = $distinct.Count
        titles            = $null
        responses         = $results
        disallowedFetched = $disallowed
        errors            = $failures
        seconds           = [math]::Round($clock.Elapsed.TotalSeconds, 3)
    } | ConvertTo-Json -Compress)
