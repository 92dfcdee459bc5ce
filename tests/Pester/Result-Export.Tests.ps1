# Results that travel well: Content as Invoke-WebRequest gives it, flat CSV rows, error kinds by name in JSON,
# headers on one masked line, and one summary type for -SummaryVariable and Receive-FetchJob -Summary.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer
    $script:base = $server.BaseUri
    $script:hostile = $server.HostileUri
}

AfterAll {
    Get-Job | Where-Object PSJobTypeName -eq 'FetchJob' | Remove-Job -Force -ErrorAction SilentlyContinue
    Stop-TestServer $server
}

Describe 'Content like Invoke-WebRequest' {
    BeforeAll {
        $script:byPath = @{}
        foreach ($r in @("$base/bytes/300", "$base/text/20", "$base/json", "$base/xml", "$base/status/404" |
                Invoke-AsyncFetch -SkipHttpErrorCheck)) {
            $byPath[([uri]$r.RequestedUri).AbsolutePath] = $r
        }
    }

    It 'is a byte[] for a body that is not text, with the bytes received' {
        $r = $byPath['/bytes/300']
        $r.ContentType | Should -Be 'application/octet-stream'
        , $r.Content | Should -BeOfType ([byte[]])
        $r.Content.Length | Should -Be 300
        [System.Linq.Enumerable]::SequenceEqual([byte[]]$r.Content, [byte[]]$r.GetBody()) | Should -BeTrue
    }

    It 'is a string for text, JSON and XML bodies' {
        foreach ($path in '/text/20', '/json', '/xml', '/status/404') {
            $byPath[$path].Content | Should -BeOfType ([string]) -Because $path
        }
        $byPath['/text/20'].Content | Should -BeExactly 'abcdefghijklmnopqrst'
        ($byPath['/json'].Content | ConvertFrom-Json).name | Should -Be 'AsyncFetch'
    }

    It 'is a string or bytes as with Invoke-WebRequest, but for the +json types and application/ecmascript, which are text' {
        $differ = 'application/problem+json', 'application/vnd.api+json', 'application/ecmascript'
        $same = 'text/plain', 'text/html; charset=utf-8', 'application/json', 'text/json', 'application/xml', 'application/atom+xml',
            'image/svg+xml', 'application/xml-dtd', 'application/javascript', 'application/x-javascript', 'text/javascript',
            'application/octet-stream', 'application/x-www-form-urlencoded', 'image/png'
        foreach ($type in @($same) + @($differ)) {
            $url = "$base/content?body=abc&type=$([uri]::EscapeDataString($type))"
            $iwr = (Invoke-WebRequest $url).Content.GetType().Name
            $ours = (Invoke-AsyncFetch $url).Content.GetType().Name
            if ($type -in $differ) {
                $iwr | Should -Be 'Byte[]' -Because "Invoke-WebRequest gives bytes for '$type' (documented difference)"
                $ours | Should -Be 'String' -Because "'$type' is text"
            } else {
                $ours | Should -Be $iwr -Because "'$type'"
            }
        }
    }

    It 'follows the text rule of Invoke-WebRequest for content types' {
        $cases = [ordered]@{
            'text/html; charset=utf-8' = $true; 'application/json' = $true; 'application/problem+json' = $true
            'application/xml' = $true; 'image/svg+xml' = $true; 'application/javascript' = $true
            'image/png' = $false; 'application/octet-stream' = $false; 'application/zip' = $false; '' = $false
        }
        foreach ($type in $cases.Keys) {
            [AsyncFetch.PowerShell.FetchResultAdapter]::IsText($type) | Should -Be $cases[$type] -Because "'$type'"
        }
    }

    It 'is null for a failure and for a body written to a file' {
        $failed = Invoke-AsyncFetch "$hostile/reset" -ErrorAction SilentlyContinue
        $failed.Content | Should -BeNullOrEmpty
        $saved = Invoke-AsyncFetch "$base/bytes/50" -OutDirectory (Join-Path TestDrive: 'out')
        $saved.OutFile | Should -Not -BeNullOrEmpty
        $saved.Content | Should -BeNullOrEmpty
    }
}

Describe 'Export-Csv and ConvertTo-Json of results' {
    BeforeAll {
        $script:results = @("$base/bytes/300", "$base/text/20", "$base/cookies/set?session=s3cr3tvalue", "$hostile/reset" |
            Invoke-AsyncFetch -MaximumRedirection 0 -SkipHttpErrorCheck -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 4
        $script:csvPath = Join-Path TestDrive: 'results.csv'
        $results | Export-Csv -LiteralPath $csvPath -NoTypeInformation
        $script:csvText = Get-Content -LiteralPath $csvPath -Raw
        $script:rows = @(Import-Csv -LiteralPath $csvPath)
    }

    It 'gives one row per result, as many lines as rows: no multi-line cell' {
        $rows.Count | Should -Be 4
        @($csvText.TrimEnd() -split '\r?\n').Count | Should -Be 5 -Because 'a header line and one line per result'
    }

    It 'has no body, no input object and no links: only scalar columns' {
        $names = $rows[0].PSObject.Properties.Name
        $names | Should -Not -Contain 'Content'
        $names | Should -Not -Contain 'Input'
        $names | Should -Not -Contain 'Links'
        foreach ($name in 'RequestedUri', 'StatusCode', 'ContentLength', 'ContentType', 'ErrorKind', 'ElapsedMs', 'Headers') {
            $names | Should -Contain $name
        }
        $csvText | Should -Not -Match 'abcdefghijklmnopqrst' -Because 'the text body is not exported'
    }

    It 'writes the headers on one line with cookie values masked' {
        $row = $rows | Where-Object RequestedUri -like '*cookies/set*'
        $row.StatusCode | Should -Be '302'
        $row.Headers | Should -Match 'Set-Cookie: \*\*\*'
        $row.Headers | Should -Match 'Location: /cookies'
        $row.Headers | Should -Not -Match 's3cr3tvalue' -Because 'the cookie value is a credential (the URL that set it is not)'
    }

    It 'ConvertTo-Json leaves the links of an HTML page out, and they are there by name' {
        $page = Invoke-AsyncFetch "$base/links/page"
        $page.ContentType | Should -BeLike 'text/html*'
        $page | ConvertTo-Json -Depth 3 -WarningAction SilentlyContinue | Should -Not -Match '"Links"'
        $page.Links.Count | Should -BeGreaterThan 0
        $page.Links[0].Href | Should -Match '^http://'
    }

    It 'writes error kinds by name' {
        ($rows | Where-Object RequestedUri -like '*reset*').ErrorKind | Should -Be 'ConnectionLost'
        $json = $results | ConvertTo-Json -WarningAction SilentlyContinue
        $json | Should -Match '"ErrorKind":\s*"ConnectionLost"'
        $json | Should -Match '"ErrorKind":\s*"None"'
        $json | Should -Not -Match '"ErrorKind":\s*\d'
        @($json | ConvertFrom-Json | Where-Object ErrorKind -eq 'ConnectionLost').Count | Should -Be 1
    }

    It 'still gives the body when it is asked for by name' {
        $picked = $results | Where-Object RequestedUri -like '*text/20' | Select-Object RequestedUri, Content
        $picked.Content | Should -BeExactly 'abcdefghijklmnopqrst'
        $reset = $results | Where-Object RequestedUri -like '*reset*'
        $reset.ErrorKind -eq [AsyncFetch.FetchErrorKind]::ConnectionLost | Should -BeTrue -Because 'ErrorKind is still the enum'
        $reset.ErrorKind | Should -BeOfType ([AsyncFetch.FetchErrorKind])
    }
}

Describe 'One summary type' {
    It '-SummaryVariable and Receive-FetchJob -Summary give the same type with bytes and latency percentiles' {
        $urls = @("$base/bytes/1000", "$base/bytes/24", "$base/status/404", "$hostile/reset")
        $null = $urls | Invoke-AsyncFetch -SummaryVariable fromCommand -SkipHttpErrorCheck -ErrorAction SilentlyContinue
        $job = $urls | Start-FetchJob -SkipHttpErrorCheck
        $fromJob = Receive-FetchJob $job -Summary -Wait
        $fromCommand | Should -BeOfType ([AsyncFetch.FetchSummary])
        $fromJob | Should -BeOfType ([AsyncFetch.FetchSummary])
        foreach ($s in $fromCommand, $fromJob) {
            $s.Total | Should -Be 4
            $s.Completed | Should -Be 4
            $s.Succeeded | Should -Be 2
            $s.Failed | Should -Be 2
            $s.BytesReceived | Should -Be (1000 + 24 + ('status 404').Length)
            $s.ByErrorKind['ConnectionLost'] | Should -Be 1
            $s.LatencyP50Ms | Should -BeGreaterThan 0
            $s.LatencyP95Ms | Should -BeGreaterOrEqual $s.LatencyP50Ms
            $s.InFlight | Should -Be 0
        }
        $fromJob.JobId | Should -Be $job.Id
        $fromJob.State | Should -Be 'Completed'
        ($fromJob | ConvertTo-Json -Compress) | Should -Match '"BytesReceived":1034'
    }
}
