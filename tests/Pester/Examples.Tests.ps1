# docs/examples/*.ps1 are real: they run against the loopback test server.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    $script:modulePath = Get-AsyncFetchModulePath
    $script:server = Start-TestServer -NoHostile
    $script:script = (Resolve-Path (Join-Path $PSScriptRoot '../../docs/examples/nightly-check.ps1')).Path

    function script:Invoke-Nightly([string] $dir) {
        $env:PSModulePath = (Split-Path $modulePath) + [IO.Path]::PathSeparator + $env:PSModulePath
        $out = & pwsh -NoProfile -NonInteractive -File $script -UrlFile (Join-Path $dir 'urls.txt') -OutDirectory (Join-Path $dir 'out') 2>&1
        [pscustomobject]@{ Output = $out; ExitCode = $LASTEXITCODE }
    }
}

AfterAll {
    Stop-TestServer $script:server
}

Describe 'docs/examples/nightly-check.ps1' {
    BeforeEach {
        $script:dir = Join-Path $TestDrive ([guid]::NewGuid())
        New-Item -ItemType Directory -Path $dir | Out-Null
        @("$($server.BaseUri)/bytes/10", "$($server.BaseUri)/status/503", '# comment', "$($server.BaseUri)/delay/50") |
            Set-Content (Join-Path $dir 'urls.txt')
    }

    It 'reports, writes the summary and the report, and exits 1 when a URL failed' {
        $r = Invoke-Nightly $dir
        $r.ExitCode | Should -Be 1
        ($r.Output -join "`n") | Should -Match '3 URLs: 2 succeeded, 1 failed, 0 skipped'
        $summary = Get-Content (Join-Path $dir 'out/summary.json') -Raw | ConvertFrom-Json
        $summary.Total | Should -Be 3
        $summary.ByStatus.'503' | Should -Be 1
        @(Import-Csv (Join-Path $dir 'out/report.csv')).Count | Should -Be 3
    }

    It 'exits 0 when everything succeeded' {
        "$($server.BaseUri)/bytes/1" | Set-Content (Join-Path $dir 'urls.txt')
        (Invoke-Nightly $dir).ExitCode | Should -Be 0
    }

    It 'finishes an interrupted run: what succeeded before is skipped' {
        $first = Invoke-Nightly $dir
        $first.ExitCode | Should -Be 1
        Remove-Item (Join-Path $dir 'out/completed.marker')   # as if the run had been killed before the end
        $second = Invoke-Nightly $dir
        ($second.Output -join "`n") | Should -Match '3 URLs: 0 succeeded, 1 failed, 2 skipped'
        $third = Invoke-Nightly $dir                            # a completed run: the next one starts afresh
        ($third.Output -join "`n") | Should -Match '3 URLs: 2 succeeded, 1 failed, 0 skipped'
    }

    It 'rewrites the report each run with every URL''s latest outcome, also the URLs a resumed run skipped' {
        $report = Join-Path $dir 'out/report.csv'
        (Invoke-Nightly $dir).ExitCode | Should -Be 1
        @(Import-Csv $report).Count | Should -Be 3
        (Invoke-Nightly $dir).ExitCode | Should -Be 1          # a completed run again: a fresh report, not appended
        @(Import-Csv $report).Count | Should -Be 3

        Remove-Item (Join-Path $dir 'out/completed.marker')     # as if the run had been killed before the end
        $resumed = Invoke-Nightly $dir
        ($resumed.Output -join "`n") | Should -Match '3 URLs: 0 succeeded, 1 failed, 2 skipped'
        $rows = @(Import-Csv $report)
        $rows.Count | Should -Be 3 -Because 'the two URLs skipped from the journal are in the report too'
        @($rows | Where-Object StatusCode -eq '200').Count | Should -Be 2
        @($rows | Where-Object StatusCode -eq '503').Count | Should -Be 1
        @($rows.RequestedUri | Sort-Object) | Should -Be @(
            "$($server.BaseUri)/bytes/10", "$($server.BaseUri)/delay/50", "$($server.BaseUri)/status/503" | Sort-Object)
    }

    It 'exits 2, not 0, when another run holds the journal' {
        (Invoke-Nightly $dir).ExitCode | Should -Be 1           # makes out/ and the journal's lock file
        Remove-Item (Join-Path $dir 'out/completed.marker')     # so the next run resumes the same journal
        $lock = [System.IO.FileStream]::new((Join-Path $dir 'out/journal.jsonl.lock'), 'OpenOrCreate', 'ReadWrite', 'None')
        try {
            $r = Invoke-Nightly $dir
        }
        finally {
            $lock.Dispose()
        }
        $r.ExitCode | Should -Be 2
        ($r.Output -join "`n") | Should -Match 'in use by another run'
    }
}

Describe 'docs/examples/crawl-to-sqlite.ps1' {
    BeforeAll {
        $script:site = Start-TestServer -NoHostile -SitePages 80 -SiteSeed 2
        $script:manifest = (Invoke-RestMethod "$($site.BaseUri)/site-manifest.json")
        $script:crawlScript = (Resolve-Path (Join-Path $PSScriptRoot '../../docs/examples/crawl-to-sqlite.ps1')).Path
    }

    AfterAll {
        Stop-TestServer $script:site
    }

    It 'stores one row per detail page with its title, as the crawler of the tutorials does' {
        Get-Command sqlite3 -ErrorAction Stop | Out-Null   # .ci/run installs it; a missing one fails here, loudly
        $db = Join-Path (Resolve-Path TestDrive:).ProviderPath 'pages.db'
        $env:PSModulePath = (Split-Path $modulePath) + [IO.Path]::PathSeparator + $env:PSModulePath
        $out = & pwsh -NoProfile -NonInteractive -File $crawlScript -StartUrl "$($site.BaseUri)/" -Database $db -Depth 100 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out | Out-String)
        $expected = @($manifest.urls | Where-Object { $_.kind -eq 'html' -and $null -ne $_.depth -and $_.url -match '^/item/\d+\.html$' })
        $expected.Count | Should -Be $manifest.robotsOn.detailPages
        $rows = @(sqlite3 -separator "`t" $db 'SELECT url, title, depth FROM pages ORDER BY url;' | ForEach-Object {
                $url, $title, $depth = $_ -split "`t"
                [pscustomobject]@{ Path = ([uri]$url).PathAndQuery; Title = $title; Depth = [int]$depth }
            })
        $rows.Count | Should -Be $expected.Count
        foreach ($page in $expected) {
            $row = $rows | Where-Object Path -eq $page.url
            $row | Should -Not -BeNullOrEmpty -Because $page.url
            $row.Title | Should -BeExactly $page.title
            $row.Depth | Should -Be $page.depth
        }
    }
}
