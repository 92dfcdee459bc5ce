BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    $script:modulePath = Get-AsyncFetchModulePath
    Import-Module $script:modulePath -Force
    $script:server = Start-TestServer
    $script:base = $server.BaseUri
}

AfterAll {
    Remove-FetchJobs
    Stop-TestServer $server
}

Describe '-CoalesceRequests' {
    BeforeEach { Reset-IdleServer $server }
    AfterEach { Remove-FetchJobs }

    It 'is a switch of <_>' -ForEach 'Invoke-AsyncFetch', 'Start-FetchJob' {
        (Get-Command $_).Parameters['CoalesceRequests'].ParameterType | Should -Be ([switch])
    }

    It 'sends 50 identical GETs in flight at once as one request, and still returns 50 results' {
        $urls = 1..50 | ForEach-Object { "$base/delay/1500" }
        $results = $urls | Invoke-AsyncFetch -ThrottleLimit 50 -CoalesceRequests -SummaryVariable summary

        $results | Should -HaveCount 50
        $results.StatusCode | Sort-Object -Unique | Should -Be 200
        $results.Content | Sort-Object -Unique | Should -Be 'delayed 1500'
        ($results | Where-Object Coalesced) | Should -HaveCount 49
        $summary.Coalesced | Should -Be 49
        $summary.Succeeded | Should -Be 50
        (Get-ServerStats $server).total | Should -Be 1 -Because 'the server saw one request for the 50 inputs'
    }

    It 'sends every input without the switch' {
        $urls = 1..50 | ForEach-Object { "$base/delay/1500" }
        $results = $urls | Invoke-AsyncFetch -ThrottleLimit 50 -SummaryVariable summary

        $results | Should -HaveCount 50
        ($results | Where-Object Coalesced) | Should -HaveCount 0
        $summary.Coalesced | Should -Be 0
        (Get-ServerStats $server).total | Should -Be 50
    }

    It 'gives each result its own input' {
        $inputs = 1..5 | ForEach-Object { [pscustomobject]@{ Uri = "$base/delay/800"; Row = $_ } }
        $results = $inputs | Invoke-AsyncFetch -CoalesceRequests -Ordered

        $results.Input.Row | Should -Be 1, 2, 3, 4, 5
        $results.StatusCode | Sort-Object -Unique | Should -Be 200
        (Get-ServerStats $server).total | Should -Be 1
    }

    It 'keeps requests with different headers apart' {
        $a = 1..3 | ForEach-Object { "$base/delay/800" } | Invoke-AsyncFetch -CoalesceRequests -Headers @{ 'X-Test' = 'a' }
        $a | Should -HaveCount 3
        (Get-ServerStats $server).total | Should -Be 1

        Reset-IdleServer $server
        $b = @(
            New-FetchRequest -Uri "$base/delay/800" -Headers @{ 'X-Test' = 'a' }
            New-FetchRequest -Uri "$base/delay/800" -Headers @{ 'X-Test' = 'b' }
        ) | Invoke-AsyncFetch -CoalesceRequests
        $b | Should -HaveCount 2
        (Get-ServerStats $server).total | Should -Be 2
    }

    It 'shares in a job too' {
        $job = 1..20 | ForEach-Object { "$base/delay/1500" } | Start-FetchJob -ThrottleLimit 20 -CoalesceRequests
        $results = Receive-FetchJob $job -Wait

        $results | Should -HaveCount 20
        $results.StatusCode | Sort-Object -Unique | Should -Be 200
        ($results | Where-Object Coalesced) | Should -HaveCount 19
        (Get-ServerStats $server).total | Should -Be 1
    }
}
