# HTTP error statuses as Invoke-WebRequest users expect them: a 4xx or 5xx response is still a result, and also a
# non-terminating AsyncFetch.HttpError (the result as TargetObject), so $?, -ErrorAction and -ErrorVariable work;
# -SkipHttpErrorCheck turns that off. The same rule for Invoke-AsyncFetch and fetch jobs (one result writer).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri

    function Read-JournalEntries([string] $Path) {
        @(Get-Content $Path | Where-Object { $_.Trim() } | ForEach-Object { $_ | ConvertFrom-Json })
    }
}

AfterAll {
    Remove-FetchJobs
    Stop-TestServer $server
}

Describe 'Invoke-AsyncFetch and an HTTP error status' {
    It 'sets $? to false after a batch with a 404, and outputs every result of the batch' {
        $inputs = "$base/bytes/1", "$base/status/404", "$base/bytes/2", "$base/status/500"
        $results = @($inputs | Invoke-AsyncFetch -Ordered -ErrorAction SilentlyContinue)
        $ok = $?
        $ok | Should -BeFalse -Because 'the command wrote errors'
        $results.Count | Should -Be 4 -Because 'the batch goes on after an HTTP error'
        @($results.StatusCode) | Should -Be @(200, 404, 200, 500)
    }

    It '-ErrorVariable collects one record per failing URL, with the result as TargetObject' {
        $inputs = "$base/status/404", "$base/bytes/3", "$base/status/503", "$base/status/410"
        $results = @($inputs | Invoke-AsyncFetch -ErrorVariable httpErrors -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 4
        $httpErrors.Count | Should -Be 3
        foreach ($e in $httpErrors) {
            Get-ErrorId $e | Should -Be 'AsyncFetch.HttpError'
            $e.CategoryInfo.Category | Should -Be 'InvalidOperation' -Because 'Invoke-WebRequest reports an error status as InvalidOperation'
            $e.TargetObject | Should -BeOfType ([AsyncFetch.FetchResult])
            $same = @($results | Where-Object { [object]::ReferenceEquals($_.psobject.BaseObject, $e.TargetObject) })
            $same.Count | Should -Be 1 -Because 'the TargetObject is the result that was written out'
            $e.Exception | Should -BeOfType ([AsyncFetch.PowerShell.FetchException])
            [object]::ReferenceEquals($e.Exception.Response, $e.TargetObject) | Should -BeTrue
            $e.Exception.ErrorKind | Should -Be 'None' -Because 'a response is not a failure'
        }
        @($httpErrors.TargetObject.StatusCode | Sort-Object) | Should -Be @(404, 410, 503)
    }

    It 'says the status code, the reason and the URL in the message' {
        $null = Invoke-AsyncFetch "$base/status/404" -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].Exception.Message | Should -BeExactly "Response status code does not indicate success: 404 (Not Found) from $base/status/404"
    }

    It 'names the URL that answered and the one requested after a redirect' {
        $target = [uri]::EscapeDataString('/status/404')
        $null = Invoke-AsyncFetch "$base/redirect-to?url=$target" -ErrorVariable e -ErrorAction SilentlyContinue
        $e.Count | Should -Be 1
        $e[0].Exception.Message | Should -Match ([regex]::Escape("404 (Not Found) from $base/status/404 (redirected from $base/redirect-to?url="))
    }

    It 'shows a password of the URL as u:***@ in the message' {
        $withUser = $base -replace '^http://', 'http://u:secretpw@'
        $null = Invoke-AsyncFetch "$withUser/status/401" -ErrorVariable e -ErrorAction SilentlyContinue
        $e.Count | Should -Be 1
        $e[0].Exception.Message | Should -Not -Match 'secretpw'
        $e[0].Exception.Message | Should -Match ([regex]::Escape('http://u:***@127.0.0.1:'))
    }

    It 'stops with -ErrorAction Stop: the statements after it do not run and the error carries the result' {
        $after = $false
        $caught = $null
        try {
            $null = "$base/bytes/1", "$base/status/500" | Invoke-AsyncFetch -Ordered -ErrorAction Stop
            $after = $true
        }
        catch {
            $caught = $_
        }
        $after | Should -BeFalse
        Get-ErrorId $caught | Should -Be 'AsyncFetch.HttpError'
        $caught.TargetObject.StatusCode | Should -Be 500
        $caught.Exception | Should -BeOfType ([AsyncFetch.PowerShell.FetchException])
    }

    It 'with -ErrorAction Stop, the journal holds the results written out and not the canceled ones, so -Resume fetches those again' {
        Reset-IdleServer $server
        $journal = Join-Path TestDrive: 'stop.jsonl'
        $slow = 1..3 | ForEach-Object { "$base/delay/3000?n=$_" }
        try {
            $null = @($slow + "$base/status/404") | Invoke-AsyncFetch -JournalPath $journal -ErrorAction Stop
        }
        catch {
        }
        $entries = Read-JournalEntries $journal
        $entries.Count | Should -Be 1 -Because 'only the 404 was written out before the command stopped'
        $entries[0].status | Should -Be 404
        $entries[0].succeeded | Should -BeFalse

        $again = @(@($slow + "$base/status/404") | Invoke-AsyncFetch -JournalPath $journal -Resume -SkipHttpErrorCheck)
        $again.Count | Should -Be 4 -Because 'neither the canceled requests nor the 404 count as done'
        @($again | Where-Object StatusCode -eq 200).Count | Should -Be 3
    }

    It '-SkipHttpErrorCheck writes no error records: $? stays true and the results are the same' {
        $inputs = "$base/status/404", "$base/bytes/3", "$base/status/500"
        $results = @($inputs | Invoke-AsyncFetch -SkipHttpErrorCheck -ErrorVariable e)
        $ok = $?
        $ok | Should -BeTrue
        $e.Count | Should -Be 0
        $results.Count | Should -Be 3
        @($results | Where-Object Succeeded).Count | Should -Be 1
    }

    It 'does not take a 3xx that was not followed for an error' -ForEach @(
        @{ Case = '-MaximumRedirection 0'; Path = '/redirect/1'; Extra = @{ MaximumRedirection = 0 }; Status = 302 }
        @{ Case = 'a 3xx without Location'; Path = '/redirect-no-location/301'; Extra = @{}; Status = 301 }
    ) {
        $r = Invoke-AsyncFetch "$base$Path" @Extra -ErrorVariable e
        $ok = $?
        $r.StatusCode | Should -Be $Status
        $e.Count | Should -Be 0
        $ok | Should -BeTrue
    }

    It 'keeps the ErrorIds of failures without a response (AsyncFetch.Connect), with no HttpError besides' {
        $port = Get-UnusedPort
        $results = @("http://127.0.0.1:$port/", "$base/status/404" | Invoke-AsyncFetch -ErrorVariable e -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 2
        @($e | ForEach-Object { Get-ErrorId $_ } | Sort-Object) | Should -Be @('AsyncFetch.Connect', 'AsyncFetch.HttpError')
    }

    It 'writes one error for a retried status: the last attempt''s' {
        $key = [guid]::NewGuid().ToString('n')
        $r = Invoke-AsyncFetch "$base/flaky?key=$key&fail=5&status=503" -MaximumRetryCount 1 -RetryIntervalSec 1 -ErrorVariable e -ErrorAction SilentlyContinue
        $r.Attempts | Should -Be 2
        $r.StatusCode | Should -Be 503
        $e.Count | Should -Be 1
    }

    It 'runs -OnComplete for the result of an HTTP error, after its error' {
        $out = @(Invoke-AsyncFetch "$base/status/418" -OnComplete { "seen $($_.StatusCode)" } -ErrorVariable e -ErrorAction SilentlyContinue)
        $out | Should -Be @('seen 418')
        $e.Count | Should -Be 1
    }
}

Describe 'Fetch jobs and an HTTP error status' {
    AfterEach { Remove-FetchJobs }

    It 'carries the errors in the job''s Error stream; Receive-Job shows them, and every result is output' {
        $job = "$base/status/404", "$base/bytes/1", "$base/status/500" | Start-FetchJob
        Wait-Job $job -Timeout 20 | Should -Not -BeNullOrEmpty
        @($job.Error).Count | Should -Be 2
        $results = @(Receive-Job $job -ErrorVariable e -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 3
        $e.Count | Should -Be 2
        @($e | ForEach-Object { Get-ErrorId $_ } | Select-Object -Unique) | Should -Be @('AsyncFetch.HttpError')
        @($e.TargetObject.StatusCode | Sort-Object) | Should -Be @(404, 500)
    }

    It 'Receive-FetchJob writes them, with the result as TargetObject' {
        $job = "$base/status/404", "$base/bytes/1" | Start-FetchJob
        $results = @(Receive-FetchJob $job -Wait -ErrorVariable e -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 2
        $e.Count | Should -Be 1
        Get-ErrorId $e[0] | Should -Be 'AsyncFetch.HttpError'
        $e[0].TargetObject.StatusCode | Should -Be 404
    }

    It 'Start-FetchJob -SkipHttpErrorCheck writes none' {
        $job = "$base/status/404", "$base/status/503" | Start-FetchJob -SkipHttpErrorCheck
        $results = @(Receive-FetchJob $job -Wait -ErrorVariable e)
        $results.Count | Should -Be 2
        $e.Count | Should -Be 0
        @($job.Error).Count | Should -Be 0
    }
}
