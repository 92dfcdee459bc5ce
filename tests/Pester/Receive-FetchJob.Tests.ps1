BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    $script:modulePath = Get-AsyncFetchModulePath
    Import-Module $script:modulePath -Force
    $script:server = Start-TestServer
    $script:base = $server.BaseUri
    $script:hostile = $server.HostileUri
    $script:otherJobs = [System.Collections.Generic.List[object]]::new()


    # Every test removes the jobs it created: all FetchJobs, and the other jobs it listed in $otherJobs.
    function Remove-TestJobs {
        Get-Job | Where-Object PSJobTypeName -eq 'FetchJob' | Remove-Job -Force
        foreach ($j in $otherJobs) { Remove-Job -Job $j -Force -ErrorAction SilentlyContinue }
        $otherJobs.Clear()
    }

    # A job that is not a FetchJob: a ThreadJob when available, else a background job.
    function New-OtherJob {
        $j = if (Get-Command Start-ThreadJob -ErrorAction SilentlyContinue) { Start-ThreadJob { 1 } } else { Start-Job { 1 } }
        $otherJobs.Add($j)
        Wait-Job $j -Timeout 30 | Out-Null
        $j
    }

    # Starts a FetchJob and waits (bounded) until it has finished.
    function Start-FinishedJob {
        param([object[]] $Uri, [string] $Name, [switch] $SkipHttpErrorCheck)
        $p = @{ Uri = $Uri; SkipHttpErrorCheck = $SkipHttpErrorCheck }
        if ($Name) { $p.Name = $Name }
        $j = Start-FetchJob @p
        Wait-Job $j -Timeout 15 | Should -Not -BeNullOrEmpty -Because 'the job must finish'
        $j
    }


}

AfterAll {
    Remove-TestJobs
    Stop-TestServer $server
}

Describe 'Receive-FetchJob selects jobs' {
    AfterEach { Remove-TestJobs }

    It 'takes the job object (-Job and positional)' {
        $job = Start-FinishedJob "$base/bytes/1", "$base/bytes/2"
        $results = @(Receive-FetchJob -Job $job -Keep)
        $results.Count | Should -Be 2
        $results | ForEach-Object { $_ | Should -BeOfType ([AsyncFetch.FetchResult]) }
        @(Receive-FetchJob $job).Count | Should -Be 2
    }

    It 'takes -Id' {
        $job = Start-FinishedJob "$base/bytes/3"
        $results = @(Receive-FetchJob -Id $job.Id)
        $results.Count | Should -Be 1
        $results[0].ContentLength | Should -Be 3
    }

    It 'takes -Name, exact and with a wildcard' {
        $alpha = Start-FinishedJob "$base/bytes/1" -Name 'rfj-alpha'
        $beta = Start-FinishedJob "$base/bytes/2", "$base/bytes/3" -Name 'rfj-beta'
        @(Receive-FetchJob -Name 'rfj-alpha' -Keep).ContentLength | Should -Be @(1)
        $both = @(Receive-FetchJob -Name 'RFJ-*')
        $both.Count | Should -Be 3
        @($both | ForEach-Object ContentLength | Sort-Object) | Should -Be @(1, 2, 3)
        $alpha.HasMoreData | Should -BeFalse
        $beta.HasMoreData | Should -BeFalse
    }

    It 'takes jobs from the pipeline (Get-Job -Name x | Receive-FetchJob)' {
        $null = Start-FinishedJob "$base/bytes/4" -Name 'piped'
        $results = @(Get-Job -Name 'piped' | Receive-FetchJob)
        $results.Count | Should -Be 1
        $results[0].ContentLength | Should -Be 4
    }

    It 'takes the job straight from Start-FetchJob (Start-FetchJob | Receive-FetchJob -Wait)' {
        $results = @(Start-FetchJob "$base/delay/100", "$base/bytes/5" | Receive-FetchJob -Wait)
        $results.Count | Should -Be 2
    }

    It 'writes a non-terminating AsyncFetch.NotAFetchJob error for another kind of job and goes on' {
        $other = New-OtherJob
        $job = Start-FinishedJob "$base/bytes/6"
        $results = @($other, $job | Receive-FetchJob -ErrorVariable receiveErrors -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 1
        $results[0].ContentLength | Should -Be 6
        $receiveErrors.Count | Should -Be 1
        Get-ErrorId $receiveErrors[0] | Should -Be 'AsyncFetch.NotAFetchJob'
        $receiveErrors[0].TargetObject.InstanceId | Should -Be $other.InstanceId
        $other.HasMoreData | Should -BeTrue -Because 'the other job''s output is left alone'
        @(Receive-Job $other) | Should -Be @(1)
    }

    It 'writes a non-terminating AsyncFetch.JobNotFound error for an unknown -<Parameter>' -ForEach @(
        @{ Parameter = 'Id'; Value = 987654 }
        @{ Parameter = 'Name'; Value = 'no-such-fetch-job' }
        @{ Parameter = 'Name'; Value = 'no-such-*' }
    ) {
        $p = @{ $Parameter = $Value }
        $results = @(Receive-FetchJob @p -ErrorVariable receiveErrors -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 0
        $receiveErrors.Count | Should -Be 1
        Get-ErrorId $receiveErrors[0] | Should -Be 'AsyncFetch.JobNotFound'
        $receiveErrors[0].Exception.Message | Should -BeLike "*$Value*"
    }

    It 'goes on after an unknown -Id to the ids that exist' {
        $job = Start-FinishedJob "$base/bytes/7"
        $results = @(Receive-FetchJob -Id 987654, $job.Id -ErrorVariable receiveErrors -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 1
        $receiveErrors.Count | Should -Be 1
        Get-ErrorId $receiveErrors[0] | Should -Be 'AsyncFetch.JobNotFound'
    }
}

Describe 'Receive-FetchJob consumes like Receive-Job' {
    AfterEach { Remove-TestJobs }

    It 'returns results and errors once without -Keep' {
        $job = Start-FinishedJob "$base/bytes/1", "$hostile/reset", "$base/bytes/2"
        $job.HasMoreData | Should -BeTrue
        $first = @(Receive-FetchJob $job -ErrorVariable firstErrors -ErrorAction SilentlyContinue)
        $first.Count | Should -Be 3
        $firstErrors.Count | Should -Be 1
        $job.HasMoreData | Should -BeFalse
        $second = @(Receive-FetchJob $job -ErrorVariable secondErrors -ErrorAction SilentlyContinue)
        $second.Count | Should -Be 0
        $secondErrors.Count | Should -Be 0
        @(Receive-Job $job).Count | Should -Be 0
    }

    It 'returns the same results and errors again with -Keep, and consumes them without it' {
        $job = Start-FinishedJob "$base/bytes/1", "$hostile/reset", "$base/bytes/2"
        $kept1 = @(Receive-FetchJob $job -Keep -ErrorVariable keptErrors1 -ErrorAction SilentlyContinue)
        $kept2 = @(Receive-FetchJob $job -Keep -ErrorVariable keptErrors2 -ErrorAction SilentlyContinue)
        $kept1.Count | Should -Be 3
        $kept2.Count | Should -Be 3
        for ($i = 0; $i -lt 3; $i++) { [object]::ReferenceEquals($kept1[$i], $kept2[$i]) | Should -BeTrue }
        $keptErrors1.Count | Should -Be 1
        $keptErrors2.Count | Should -Be 1 -Because '-Keep does not consume errors either'
        Get-ErrorId $keptErrors2[0] | Should -Be 'AsyncFetch.ConnectionLost'
        $job.HasMoreData | Should -BeTrue

        $all = @(Receive-FetchJob $job -ErrorVariable allErrors -ErrorAction SilentlyContinue)
        $all.Count | Should -Be 3
        $allErrors.Count | Should -Be 1
        @(Receive-FetchJob $job).Count | Should -Be 0
    }

    It 'leaves nothing for Receive-Job after it, and takes what Receive-Job -Keep left' {
        $job = Start-FinishedJob "$base/bytes/1", "$base/bytes/2"
        @(Receive-Job $job -Keep).Count | Should -Be 2
        @(Receive-FetchJob $job).Count | Should -Be 2
        @(Receive-Job $job).Count | Should -Be 0
    }
}

Describe 'Receive-FetchJob -Wait' {
    AfterEach { Remove-TestJobs }

    It 'streams results as they complete until the job ends' {
        $delays = 0, 400, 800, 1200
        $job = Start-FetchJob -Uri ($delays | ForEach-Object { "$base/delay/$_" }) -ThrottleLimit 4
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $arrivals = @(Receive-FetchJob $job -Wait | ForEach-Object {
                [pscustomobject]@{ At = $sw.Elapsed.TotalSeconds; Uri = $_.RequestedUri }
            })
        $sw.Stop()
        $arrivals.Count | Should -Be 4
        @($arrivals.Uri) | Should -Be @($delays | ForEach-Object { "$base/delay/$_" }) -Because 'they arrive in completion order'
        $arrivals[0].At | Should -BeLessThan ($arrivals[-1].At - 0.7) -Because 'the first result must arrive well before the last'
        $arrivals[0].At | Should -BeLessThan 0.6
        $arrivals[-1].At | Should -BeGreaterOrEqual 1.1
        $job.State | Should -Be 'Completed' -Because '-Wait returns once the job has ended'
        @(Receive-FetchJob $job).Count | Should -Be 0
    }

    It 'with -Keep returns each result once' {
        $job = Start-FetchJob "$base/delay/0", "$base/delay/300", "$base/delay/600"
        @(Receive-FetchJob $job -Wait -Keep).Count | Should -Be 3
        @(Receive-FetchJob $job -Keep).Count | Should -Be 3
    }

    It 'removes the job with -AutoRemoveJob' {
        $job = Start-FetchJob "$base/delay/300", "$base/bytes/1"
        $id = $job.Id
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $results = @(Receive-FetchJob $job -Wait -AutoRemoveJob)
        $sw.Stop()
        $results.Count | Should -Be 2
        Get-Job -Id $id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 3
    }

    It 'refuses -AutoRemoveJob without -Wait with a terminating error' {
        $job = Start-FinishedJob "$base/bytes/1"
        $after = $false
        $caught = $null
        try {
            Receive-FetchJob $job -AutoRemoveJob
            $after = $true
        }
        catch {
            $caught = $_
        }
        $after | Should -BeFalse
        $caught | Should -Not -BeNullOrEmpty
        Get-ErrorId $caught | Should -Be 'AsyncFetch.AutoRemoveNeedsWait'
        @(Get-Job -Id $job.Id).Count | Should -Be 1
        $job.HasMoreData | Should -BeTrue -Because 'nothing was received'
    }
}

Describe 'Receive-FetchJob -Failed and -Summary' {
    BeforeAll {
        $script:mixUrls = @("$base/bytes/1", "$hostile/reset", "$base/status/500", "$base/status/404")
    }

    AfterEach { Remove-TestJobs }

    It '-Failed returns only the failed results (reset, 500, 404; not /bytes/1)' {
        $job = Start-FinishedJob $mixUrls
        $failed = @(Receive-FetchJob $job -Failed -ErrorAction SilentlyContinue)
        $failed.Count | Should -Be 3
        $failed | ForEach-Object { $_.Succeeded | Should -BeFalse }
        @($failed.RequestedUri | Sort-Object) | Should -Be @($mixUrls[1..3] | Sort-Object)
        $job.HasMoreData | Should -BeFalse -Because 'without -Keep the passed-over results are consumed too'
    }

    It '-Failed -Keep leaves every result' {
        $job = Start-FinishedJob $mixUrls
        @(Receive-FetchJob $job -Failed -Keep -ErrorAction SilentlyContinue).Count | Should -Be 3
        @(Receive-FetchJob $job -ErrorAction SilentlyContinue).Count | Should -Be 4
    }

    It '-Summary returns the FetchSummary type -SummaryVariable gives, with the job, bytes and latency, and consumes nothing' {
        $job = Start-FinishedJob $mixUrls -Name 'summary-job' -SkipHttpErrorCheck
        $summary = @(Receive-FetchJob $job -Summary)
        $summary.Count | Should -Be 1
        $s = $summary[0]
        $s | Should -BeOfType ([AsyncFetch.FetchSummary])
        $s.JobId | Should -Be $job.Id
        $s.JobName | Should -Be 'summary-job'
        $s.State | Should -Be 'Completed'
        $s.Queued | Should -Be 4
        $s.Total | Should -Be 4
        $s.Completed | Should -Be 4
        $s.Succeeded | Should -Be 1
        $s.Failed | Should -Be 3
        $s.InFlight | Should -Be 0
        $s.ByStatus.Count | Should -Be 3
        $s.ByStatus['200'] | Should -Be 1
        $s.ByStatus['500'] | Should -Be 1
        $s.ByStatus['404'] | Should -Be 1
        $s.ByErrorKind.Count | Should -Be 1
        $s.ByErrorKind['ConnectionLost'] | Should -Be 1
        $s.ElapsedSeconds | Should -BeGreaterThan 0
        $s.RequestsPerSecond | Should -BeGreaterThan 0
        $s.LatencyP50Ms | Should -BeGreaterThan 0
        $s.LatencyP99Ms | Should -BeGreaterOrEqual $s.LatencyP50Ms
        $bodies = @(Receive-FetchJob $job -Keep -ErrorAction SilentlyContinue | Where-Object IsResponse | ForEach-Object ContentLength)
        $s.BytesReceived | Should -Be ($bodies | Measure-Object -Sum).Sum
        $s.BytesReceived | Should -BeGreaterThan 0

        $job.HasMoreData | Should -BeTrue
        $results = @(Receive-FetchJob $job -ErrorVariable laterErrors -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 4 -Because '-Summary consumes nothing'
        $laterErrors.Count | Should -Be 1
    }

    It '-Summary without -Wait describes a running job as it is now' {
        $job = Start-FetchJob "$base/bytes/1", "$base/delay/3000"
        Wait-Until { $job.Completed -ge 1 } | Should -BeTrue
        $s = Receive-FetchJob $job -Summary
        $s.State | Should -Be 'Running'
        $s.Completed | Should -Be 1
        $s.InFlight | Should -Be 1
    }

    It '-Summary -Wait waits for the job to finish first' {
        $job = Start-FetchJob "$base/delay/700", "$base/bytes/1"
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $s = Receive-FetchJob $job -Summary -Wait
        $sw.Stop()
        $sw.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.5
        $s.State | Should -Be 'Completed'
        $s.Completed | Should -Be 2
        $s.Succeeded | Should -Be 2
        @(Receive-FetchJob $job).Count | Should -Be 2
    }
}

Describe 'Receive-FetchJob errors' {
    BeforeAll {
        $script:unusedPort = Get-UnusedPort
    }

    AfterEach { Remove-TestJobs }

    It '<Case> is written to the error stream with ErrorId AsyncFetch.<Kind>' -ForEach @(
        @{ Case = 'reset'; Kind = 'ConnectionLost' }
        @{ Case = 'unused-port'; Kind = 'Connect' }
        @{ Case = 'ftp'; Kind = 'InvalidRequest' }
        @{ Case = 'timeout'; Kind = 'Timeout' }
    ) {
        $bad = switch ($Case) {
            'reset' { "$hostile/reset" }
            'unused-port' { "http://127.0.0.1:$unusedPort/" }
            'ftp' { 'ftp://x/' }
            'timeout' { "$base/delay/3000" }
        }
        $job = Start-FetchJob "$base/bytes/1", $bad -TimeoutSec 1
        Wait-Job $job -Timeout 15 | Out-Null
        $results = @(Receive-FetchJob $job -ErrorVariable receiveErrors -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 2
        $failed = @($results | Where-Object ErrorKind -ne 'None')
        $failed.Count | Should -Be 1
        $failed[0].ErrorKind | Should -Be $Kind
        $receiveErrors.Count | Should -Be 1
        $receiveErrors[0] | Should -BeOfType ([System.Management.Automation.ErrorRecord])
        Get-ErrorId $receiveErrors[0] | Should -Be "AsyncFetch.$Kind"
        $receiveErrors[0].TargetObject.ErrorKind | Should -Be $Kind
        $receiveErrors[0].TargetObject.RequestedUri | Should -Be $failed[0].RequestedUri
    }

    It 'makes the error terminating with -ErrorAction Stop' {
        $job = Start-FinishedJob "$hostile/reset"
        $caught = $null
        try { $null = Receive-FetchJob $job -ErrorAction Stop } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        Get-ErrorId $caught | Should -Be 'AsyncFetch.ConnectionLost'
    }
}
