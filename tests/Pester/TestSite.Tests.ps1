# The generated crawl site of the test server (Start-TestServer -SitePages), fetched through Invoke-AsyncFetch:
# the server answers every URL of its manifest as the manifest says, at the root, with its own robots.txt.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:site = Start-TestServer -NoHostile -SitePages 60 -SiteSeed 4
    $script:manifest = (Invoke-AsyncFetch "$($site.BaseUri)/site-manifest.json").Content | ConvertFrom-Json
}

AfterAll {
    Stop-TestServer $script:site
}

Describe 'The generated crawl site' {
    It 'serves its own robots.txt at the root' {
        $r = Invoke-AsyncFetch "$($site.BaseUri)/robots.txt"
        $r.StatusCode | Should -Be 200
        $r.Content | Should -Match '(?m)^Disallow: /private/$'
    }

    It 'has a manifest whose depth counts add up to its pages' {
        $manifest.pages | Should -Be 60
        ($manifest.robotsOn.byDepth | Measure-Object -Sum).Sum | Should -Be $manifest.robotsOn.htmlPages
        $manifest.robotsOff.htmlPages | Should -Be 61   # every page, plus the one query variant
        @($manifest.urls).Count | Should -Be $manifest.robotsOff.requests
    }

    It 'answers every URL of its manifest with the status, title and redirect the manifest gives' {
        $urls = @($manifest.urls)
        $results = @($urls | ForEach-Object { "$($site.BaseUri)$($_.url)" } |
                Invoke-AsyncFetch -Ordered -SkipHttpErrorCheck -MaximumRedirection 0)
        $results.Count | Should -Be $urls.Count
        for ($i = 0; $i -lt $urls.Count; $i++) {
            $u = $urls[$i]; $r = $results[$i]
            $r.StatusCode | Should -Be $u.status -Because $u.url
            switch ($u.kind) {
                'html' { $r.Content | Should -BeLike "*<title>$($u.title)</title>*" -Because $u.url }
                'redirect' { $r.Headers['Location'] | Should -Be $u.location -Because $u.url }
            }
        }
    }
}
