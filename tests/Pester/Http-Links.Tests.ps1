# FetchResult.Links: the links of an HTML page as Invoke-WebRequest's users reach them ($r.Links.href), resolved to
# absolute URLs against the page and its <base href>, parsed by the module's HTML parser inside a fresh pwsh (which
# also proves the parser's assembly ships with the module and loads). Served by the loopback test server's /links page.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri
}

AfterAll {
    Stop-TestServer $server
}

Describe 'Links of an HTML result' {
    It 'lists every a and area href as an absolute URL, in document order, skipping comments and scripts' {
        $r = Invoke-AsyncFetch "$base/links/docs/page.html"
        $r.StatusCode | Should -Be 200
        $r.Links.href | Should -Be @(
            "$base/"
            "$base/links/docs/page2.html"
            "$base/links/up.html"
            "$base/links/docs/page.html?page=3"
            "$base/links/docs/list?a=1&b=2"
            "$base/links/docs/page.html#top"
            'http://example.test/abs'
            'mailto:someone@example.test'
            "$base/area"
        )
    }

    It 'keeps each link as written, its tag and its text' {
        $links = (Invoke-AsyncFetch "$base/links/docs/page.html").Links
        $links.RawHref | Should -Be @('/', 'page2.html', '../up.html', '?page=3', 'list?a=1&b=2', '#top', 'http://example.test/abs', 'mailto:someone@example.test', '/area')
        $links.TagName | Should -Be @('a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'area')
        $links[1].Text | Should -Be 'Page 2'
        $links[6].Text | Should -Be "Caf$([char]0xE9)"
    }

    It 'resolves against the first base href' {
        (Invoke-AsyncFetch "$base/links/docs/page.html?base=1").Links.href | Should -Be @(
            "$base/"
            "$base/base/dir/page2.html"
            "$base/base/up.html"
            "$base/base/dir/?page=3"
            "$base/base/dir/list?a=1&b=2"
            "$base/base/dir/#top"
            'http://example.test/abs'
            'mailto:someone@example.test'
            "$base/area"
        )
    }

    It 'decodes a page in the charset its Content-Type names' {
        $r = Invoke-AsyncFetch "$base/links/docs/page.html?charset=iso-8859-1"
        $r.ContentType | Should -Be 'text/html; charset=iso-8859-1'
        ($r.Links | Where-Object Href -EQ 'http://example.test/abs').Text | Should -Be "Caf$([char]0xE9)"
    }

    It 'is empty for a response that is not HTML and for a failure' {
        (Invoke-AsyncFetch "$base/json").Links.Count | Should -Be 0
        (Invoke-AsyncFetch "$base/content?type=text/plain&body=%3Ca%20href%3D%2Fx%3Ex%3C%2Fa%3E").Links.Count | Should -Be 0
        $failure = Invoke-AsyncFetch "http://127.0.0.1:$(Get-UnusedPort)/" -ErrorAction SilentlyContinue
        $failure.ErrorKind | Should -Be 'Connect'
        $failure.Links.Count | Should -Be 0
    }

    It 'does not stop Export-Csv or ConvertTo-Json of results' {
        $results = @(Invoke-AsyncFetch "$base/links/a.html", "$base/json")
        { $results | ConvertTo-Json -Depth 3 | Out-Null } | Should -Not -Throw
        $csv = Join-Path $TestDrive 'results.csv'
        { $results | Export-Csv -Path $csv -NoTypeInformation } | Should -Not -Throw
        @(Import-Csv $csv).Count | Should -Be 2
    }
}
