# Crawl mode (-Follow) against the test server's generated site, whose manifest gives the exact counts a crawl from /
# must find: pages by depth, redirects, broken links, files, URLs robots.txt disallows. The server's /arrivals count
# shows that nothing is fetched twice.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:site = Start-TestServer -NoHostile -SitePages 120 -SiteSeed 3
    $script:base = $site.BaseUri
    $script:manifest = (Invoke-AsyncFetch "$base/site-manifest.json").Content | ConvertFrom-Json

    function Invoke-Crawl {
        param([hashtable] $Extra = @{})
        $parameters = @{ Follow = 'SameHost'; Depth = 100; SkipHttpErrorCheck = $true }
        foreach ($key in $Extra.Keys) { $parameters[$key] = $Extra[$key] }
        @(Invoke-AsyncFetch "$base/" @parameters)
    }

    function Get-Path([AsyncFetch.FetchResult] $Result) { $Result.Uri.PathAndQuery }
}

AfterAll {
    Stop-TestServer $script:site
}

Describe 'A crawl of the generated site' {
    BeforeAll {
        $script:results = Invoke-Crawl
        $script:on = $manifest.robotsOn
    }

    It 'makes exactly the requests the manifest counts, each URL once' {
        $results.Count | Should -Be $on.requests
        @($results | ForEach-Object { $_.Uri.AbsoluteUri } | Sort-Object -Unique).Count | Should -Be $on.requests
    }

    It 'finds every HTML page at its breadth-first depth' {
        $pages = @($results | Where-Object { $_.StatusCode -eq 200 -and $_.ContentType -like 'text/html*' })
        $pages.Count | Should -Be $on.htmlPages
        $byDepth = @($pages | Group-Object Depth | Sort-Object { [int]$_.Name } | ForEach-Object Count)
        $byDepth | Should -Be @($on.byDepth)
        foreach ($u in @($manifest.urls | Where-Object { $null -ne $_.depth -and $_.kind -eq 'html' })) {
            $r = $pages | Where-Object { (Get-Path $_) -eq $u.url }
            $r | Should -Not -BeNullOrEmpty -Because $u.url
            $r.Depth | Should -Be $u.depth -Because $u.url
        }
    }

    It 'reports redirects, broken links and files once each, and follows no disallowed URL' {
        @($results | Where-Object { $_.StatusCode -in 301, 302 }).Count | Should -Be $on.redirects
        @($results | Where-Object StatusCode -eq 404).Count | Should -Be $on.broken
        @($results | Where-Object { $_.StatusCode -eq 200 -and $_.ContentType -notlike 'text/html*' }).Count | Should -Be $on.files
        @($results | Where-Object { (Get-Path $_) -like '/private/*' }).Count | Should -Be 0
    }

    It 'says where each page was found' {
        $start = $results | Where-Object { (Get-Path $_) -eq '/' }
        $start.Depth | Should -Be 0
        $start.Referrer | Should -BeNullOrEmpty
        foreach ($r in @($results | Where-Object Depth -gt 0 | Select-Object -First 20)) {
            $r.Referrer | Should -Match "^$([regex]::Escape($base))/"
            $parent = $results | Where-Object { $_.Uri.AbsoluteUri -eq $r.Referrer }
            $parent | Should -Not -BeNullOrEmpty -Because "$($r.Uri) was found on $($r.Referrer)"
        }
    }

    It 'gives every page its shortest depth at any concurrency' {
        foreach ($limit in 1, 64) {
            $crawl = Invoke-Crawl @{ ThrottleLimit = $limit; PerHostLimit = $limit }
            foreach ($u in @($manifest.urls | Where-Object { $null -ne $_.depth })) {
                $r = $crawl | Where-Object { (Get-Path $_) -eq $u.url }
                $r.Depth | Should -Be $u.depth -Because "$($u.url) at -ThrottleLimit $limit"
            }
        }
    }

    It 'with -IgnoreRobots also fetches what robots.txt disallows' {
        $all = Invoke-Crawl @{ IgnoreRobots = $true }
        $all.Count | Should -Be $manifest.robotsOff.requests
        @($all | Where-Object { (Get-Path $_) -like '/private/*' }).Count | Should -Be $manifest.robotsOn.disallowed
    }
}

Describe 'Crawl limits and rules' {
    It '-Depth stops at that many links from the start' {
        $results = Invoke-Crawl @{ Depth = 1 }
        $expected = @($manifest.urls | Where-Object { $null -ne $_.depth -and $_.depth -le 1 }).Count
        $results.Count | Should -Be $expected
        ($results | Measure-Object Depth -Maximum).Maximum | Should -Be 1
    }

    It '-MaxPages stops after that many requests' {
        (Invoke-Crawl @{ MaxPages = 25 }).Count | Should -Be 25
    }

    It '-Include and -Exclude filter the links followed (wildcards over the whole URL)' {
        $lists = Invoke-Crawl @{ Include = '*/list/*' }
        @($lists | Where-Object { (Get-Path $_) -notlike '/list/*' -and (Get-Path $_) -ne '/' }).Count | Should -Be 0
        $lists.Count | Should -BeGreaterThan 1
        $noItems = Invoke-Crawl @{ Exclude = '*/item/*' }
        @($noItems | Where-Object { (Get-Path $_) -like '/item/*' }).Count | Should -Be 0
    }

    It 'a script block -Follow chooses the URLs to follow from $_' {
        $results = @(Invoke-AsyncFetch "$base/" -Depth 100 -Follow { $_.Links.Href | Where-Object { $_ -like '*/list/*' } })
        $results.Count | Should -BeGreaterThan 1
        @($results | Where-Object { (Get-Path $_) -notlike '/list/*' -and (Get-Path $_) -ne '/' }).Count | Should -Be 0
    }

    It 'a script block -Follow that throws is that page''s error, and the crawl goes on' {
        $results = @(Invoke-AsyncFetch "$base/" -Depth 1 -Follow { if ($_.Depth -eq 0) { $_.Links.Href } else { throw 'boom' } } -ErrorVariable errs -ErrorAction SilentlyContinue)
        $results.Count | Should -BeGreaterThan 1
        @($errs | Where-Object { $_.FullyQualifiedErrorId -like 'AsyncFetch.FollowFailed*' }).Count | Should -Be 0 -Because 'depth-1 pages are at -Depth: not asked for links'
        $deeper = @(Invoke-AsyncFetch "$base/" -Depth 2 -Follow { if ($_.Depth -eq 0) { $_.Links.Href } else { throw 'boom' } } -ErrorVariable errs2 -ErrorAction SilentlyContinue)
        $asked = @($deeper | Where-Object { $_.Depth -eq 1 -and ($_.StatusCode -lt 300 -or $_.StatusCode -ge 400) }).Count
        $asked | Should -BeGreaterThan 0
        @($errs2 | Where-Object { $_.FullyQualifiedErrorId -like 'AsyncFetch.FollowFailed*' }).Count | Should -Be $asked -Because 'the script runs for each response at depth 1 (a redirect is followed without it)'
    }

    It 'crawl parameters without -Follow, and a -Follow that is no scope, are refused' {
        { Invoke-AsyncFetch "$base/" -Depth 2 } | Should -Throw -ErrorId 'AsyncFetch.CrawlParameterNeedsFollow,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
        { Invoke-AsyncFetch "$base/" -Follow Nowhere } | Should -Throw -ErrorId 'AsyncFetch.InvalidFollow,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
    }

    It '-Follow with a body written to a file, and a wildcard that cannot be matched, are refused before anything is fetched' {
        $dir = Join-Path (Resolve-Path TestDrive:).ProviderPath 'crawl-out'
        { Invoke-AsyncFetch "$base/" -Follow SameHost -OutDirectory $dir } | Should -Throw -ErrorId 'AsyncFetch.FollowWithOutFile,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
        { Invoke-AsyncFetch "$base/" -Follow SameHost -OutFile (Join-Path $dir 'p.html') } | Should -Throw -ErrorId 'AsyncFetch.FollowWithOutFile,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
        { Start-FetchJob "$base/" -Follow SameHost -OutDirectory $dir } | Should -Throw -ErrorId 'AsyncFetch.FollowWithOutFile,AsyncFetch.PowerShell.Commands.StartFetchJobCommand'
        { Invoke-AsyncFetch "$base/" -Follow SameHost -Include '*/[z-a]*' } | Should -Throw -ErrorId 'AsyncFetch.InvalidCrawlPattern,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
        Test-Path -LiteralPath $dir | Should -BeFalse
    }

    It 'refuses a request body or a method other than GET with -Follow (AsyncFetch.FollowWithBody)' {
        $file = Join-Path (Resolve-Path TestDrive:).ProviderPath 'body.txt'
        Set-Content -LiteralPath $file -Value 'x'
        { Invoke-AsyncFetch "$base/" -Follow SameHost -Body @{ q = 1 } } | Should -Throw -ErrorId 'AsyncFetch.FollowWithBody,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
        { Invoke-AsyncFetch "$base/" -Follow SameHost -InFile $file } | Should -Throw -ErrorId 'AsyncFetch.FollowWithBody,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
        { Invoke-AsyncFetch "$base/" -Follow SameHost -Form @{ a = 'b' } } | Should -Throw -ErrorId 'AsyncFetch.FollowWithBody,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
        { Invoke-AsyncFetch "$base/" -Follow SameHost -Method POST } | Should -Throw -ErrorId 'AsyncFetch.FollowWithBody,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
        { Start-FetchJob "$base/" -Follow SameHost -Method HEAD } | Should -Throw -ErrorId 'AsyncFetch.FollowWithBody,AsyncFetch.PowerShell.Commands.StartFetchJobCommand'
        @(Invoke-AsyncFetch "$base/" -Follow SameHost -Method GET -MaxPages 2 -SkipHttpErrorCheck).Count | Should -Be 2 -Because 'GET is what a crawl sends'
    }

    It 'a start URL given twice is crawled once' {
        $results = @("$base/", "$base/" | Invoke-AsyncFetch -Follow SameHost -Depth 0)
        $results.Count | Should -Be 1
    }
}

Describe 'A crawl as a job, and resumed from its journal' {
    It 'Start-FetchJob -Follow crawls the same pages as Invoke-AsyncFetch' {
        $job = Start-FetchJob "$base/" -Follow SameHost -Depth 100 -SkipHttpErrorCheck
        $results = @(Receive-FetchJob $job -Wait -AutoRemoveJob)
        $results.Count | Should -Be $manifest.robotsOn.requests
    }

    It 'a crawl stopped by -MaxPages goes on with -Resume, fetching nothing twice' {
        $journal = Join-Path (Resolve-Path TestDrive:).ProviderPath 'crawl.journal'
        $first = @(Invoke-AsyncFetch "$base/" -Follow SameHost -Depth 100 -SkipHttpErrorCheck -JournalPath $journal -MaxPages 40)
        $first.Count | Should -Be 40
        Test-Path -LiteralPath "$journal.crawl" | Should -BeTrue
        $rest = @(Invoke-AsyncFetch "$base/" -Follow SameHost -Depth 100 -SkipHttpErrorCheck -JournalPath $journal -Resume)
        $fetched = @($first) + @($rest) | ForEach-Object { $_.Uri.AbsoluteUri }
        @($fetched | Sort-Object -Unique).Count | Should -Be $fetched.Count -Because 'nothing is fetched twice'
        $fetched.Count | Should -Be $manifest.robotsOn.requests
    }

    It 'a crawl whose saved state is gone starts again from its start URLs, though the journal finished them (<Command>)' -TestCases @(
        @{ Command = 'Invoke-AsyncFetch' }
        @{ Command = 'Start-FetchJob' }
    ) {
        $journal = Join-Path (Resolve-Path TestDrive:).ProviderPath "lost-$Command.journal"
        $first = @(Invoke-AsyncFetch "$base/" -Follow SameHost -Depth 100 -SkipHttpErrorCheck -JournalPath $journal -MaxPages 1)
        $first.Count | Should -Be 1
        Remove-Item -LiteralPath "$journal.crawl" # as if the run had been killed before its first save
        $rest = if ($Command -eq 'Invoke-AsyncFetch') {
            @(Invoke-AsyncFetch "$base/" -Follow SameHost -Depth 100 -SkipHttpErrorCheck -JournalPath $journal -Resume)
        } else {
            @(Start-FetchJob "$base/" -Follow SameHost -Depth 100 -SkipHttpErrorCheck -JournalPath $journal -Resume | Receive-FetchJob -Wait -AutoRemoveJob)
        }
        $rest.Count | Should -Be $manifest.robotsOn.requests
    }
}
