# Regression tests for the review fixes of commit 49b49b1 (cmdlet and job side); the engine side is in
# tests/AsyncFetch.Engine.Tests/Regression. Every wait is bounded; the server and every job are cleaned up.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:modulePath = Get-AsyncFetchModulePath
    Import-Module $script:modulePath -Force
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri
    # -JournalPath /dev/full takes a companion lock file /dev/full.lock: removed afterwards unless it was there before.
    $script:devFullLockExisted = Test-Path -LiteralPath '/dev/full.lock'



    # Waits (bounded) until the server has no request in flight (a stopped job's requests were aborted).
    function Wait-ServerIdle {
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        while ((Get-ServerStats $server).current -ne 0 -and $sw.Elapsed.TotalSeconds -lt 10) { Start-Sleep -Milliseconds 50 }
    }
}

AfterAll {
    Remove-FetchJobs
    Stop-TestServer $server
    if (-not $devFullLockExisted) { Remove-Item -LiteralPath '/dev/full.lock' -Force -ErrorAction SilentlyContinue }
}

Describe '-Ordered keeps results that need no request in input order' {
    AfterEach { Remove-FetchJobs }

    BeforeAll {
        # The first input is slow: a result that needs no request (not a URL) used to be output at once, ahead of it.
        $script:inputs = @("$base/delay/300", [pscustomobject]@{ Name = 'not a url' }, "$base/status/200")

        function Assert-InputOrder($Results) {
            $Results.Count | Should -Be 3
            $Results[0].RequestedUri | Should -Be "$base/delay/300"
            $Results[0].StatusCode | Should -Be 200
            $Results[1].ErrorKind | Should -Be 'InvalidRequest'
            $Results[1].Input.Name | Should -Be 'not a url'
            $Results[2].RequestedUri | Should -Be "$base/status/200"
            $Results[2].StatusCode | Should -Be 200
        }
    }

    It 'Invoke-AsyncFetch -Ordered outputs the not-a-URL result second, with AsyncFetch.NoUriProperty' {
        $results = @($inputs | Invoke-AsyncFetch -Ordered -ErrorAction SilentlyContinue -ErrorVariable errs)
        Assert-InputOrder $results
        @($errs | ForEach-Object { Get-ErrorId $_ }) | Should -Be @('AsyncFetch.NoUriProperty')
    }

    It 'Start-FetchJob -Ordered + Receive-FetchJob -Wait outputs them in input order too' {
        $job = $inputs | Start-FetchJob -Ordered
        Wait-Job $job -Timeout 20 | Should -Not -BeNullOrEmpty -Because 'the job must finish'
        $results = @($job | Receive-FetchJob -Wait -ErrorAction SilentlyContinue -ErrorVariable errs)
        $job.State | Should -Be 'Completed'
        Assert-InputOrder $results
        @($errs | ForEach-Object { Get-ErrorId $_ }) | Should -Be @('AsyncFetch.NoUriProperty')
    }

    It '-Resume -IncludeSkipped: Skipped results keep their place with -Ordered (cmdlet and job)' {
        $journal = Join-Path TestDrive: 'ordered-resume.jsonl'
        $done = @("$base/bytes/31", "$base/bytes/32")
        $done | Invoke-AsyncFetch -JournalPath $journal | Out-Null
        # Slow new input first, a skipped one, a fast new one, another skipped one.
        $urls = @("$base/delay/300?r=1", $done[0], "$base/status/201", $done[1])

        $results = @($urls | Invoke-AsyncFetch -JournalPath $journal -Resume -IncludeSkipped -Ordered -ErrorVariable errs)
        @($results.RequestedUri) | Should -Be $urls
        @($results.ErrorKind | ForEach-Object { "$_" }) | Should -Be @('None', 'Skipped', 'None', 'Skipped')
        $errs.Count | Should -Be 0

        $urls[0] = "$base/delay/300?r=2"   # new to the journal, so fetched again
        $job = $urls | Start-FetchJob -JournalPath $journal -Resume -IncludeSkipped -Ordered
        Wait-Job $job -Timeout 20 | Should -Not -BeNullOrEmpty -Because 'the job must finish'
        $jobResults = @($job | Receive-FetchJob -Wait)
        $job.State | Should -Be 'Completed'
        @($jobResults.RequestedUri) | Should -Be $urls
        @($jobResults.ErrorKind | ForEach-Object { "$_" }) | Should -Be @('None', 'Skipped', 'Skipped', 'Skipped')
    }
}

Describe 'No user script runs on the job pump thread' {
    AfterEach { Remove-FetchJobs }

    It 'a ScriptProperty Url of the input runs on the caller''s pipeline thread' {
        $threads = [System.Collections.Concurrent.ConcurrentQueue[int]]::new()
        $url = "$base/status/200"
        $o = [pscustomobject]@{ Name = 'x' } | Add-Member -PassThru -MemberType ScriptProperty -Name Url -Value {
            $threads.Enqueue([System.Threading.Thread]::CurrentThread.ManagedThreadId)
            $url
        }.GetNewClosure()
        $caller = [System.Threading.Thread]::CurrentThread.ManagedThreadId

        $job = $o | Start-FetchJob
        Wait-Job $job -Timeout 20 | Should -Not -BeNullOrEmpty -Because 'the job must finish'
        $results = @($job | Receive-FetchJob -Wait -ErrorAction SilentlyContinue -ErrorVariable errs)

        $seen = @($threads.ToArray())
        $seen.Count | Should -BeGreaterThan 0 -Because 'the Url property was read to build the request'
        $seen | ForEach-Object { $_ | Should -Be $caller -Because 'the input is converted on the pipeline thread, not on the pump' }
        $job.State | Should -Be 'Completed'
        $errs.Count | Should -Be 0
        $results.Count | Should -Be 1
        $results[0].StatusCode | Should -Be 200
    }
}

Describe 'A journal that cannot be written is one error, not a dead run' {
    AfterEach { Remove-FetchJobs }

    It 'Start-FetchJob -JournalPath /dev/full: the producer finishes, the job completes with every result and one JournalFailed' {
        # More inputs than the job's input queue holds (10,000): when the pump died on the journal error, the producer
        # blocked forever. It runs in a runspace of its own, so that hang is a bounded failure here.
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($ModulePath, $Base)
                Import-Module $ModulePath
                $sw = [System.Diagnostics.Stopwatch]::StartNew()
                $job = 1..12000 | ForEach-Object { "$Base/bytes/1?i=$_" } | Start-FetchJob -JournalPath /dev/full
                $producerSeconds = $sw.Elapsed.TotalSeconds
                $null = Wait-Job $job -Timeout 20
                $results = @($job | Receive-FetchJob -Wait -ErrorAction SilentlyContinue -ErrorVariable errs)
                [pscustomobject]@{
                    ProducerSeconds = $producerSeconds
                    State           = "$($job.State)"
                    Results         = $results.Count
                    Succeeded       = @($results | Where-Object StatusCode -eq 200).Count
                    ErrorIds        = @($errs | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] })
                }
                $job | Remove-Job -Force
            }).AddArgument($modulePath).AddArgument($base)
            $handle = $ps.BeginInvoke()
            $finished = $handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(40))
            if (-not $finished) { $null = $ps.BeginStop($null, $null) }
            $finished | Should -BeTrue -Because 'Start-FetchJob and Receive-FetchJob must return within 40 s'
            $out = $ps.EndInvoke($handle)
            $ps.Streams.Error | ForEach-Object { Write-Host "child error: $_" }
            $r = $out[0]
            $r.ProducerSeconds | Should -BeLessThan 20
            $r.State | Should -Be 'Completed'
            $r.Results | Should -Be 12000
            $r.Succeeded | Should -Be 12000
            @($r.ErrorIds) | Should -Be @('AsyncFetch.JournalFailed')
        }
        finally {
            $ps.Dispose()
        }
    }

    It 'Invoke-AsyncFetch -JournalPath /dev/full: every result and one non-terminating JournalFailed' {
        $urls = 1..3000 | ForEach-Object { "$base/bytes/1?j=$_" }
        $results = @($urls | Invoke-AsyncFetch -JournalPath /dev/full -ErrorAction SilentlyContinue -ErrorVariable errs)
        $results.Count | Should -Be 3000
        @($results | Where-Object StatusCode -eq 200).Count | Should -Be 3000
        @($errs | ForEach-Object { Get-ErrorId $_ }) | Should -Be @('AsyncFetch.JournalFailed')
    }
}

Describe '-OnComplete in a job has backpressure' {
    AfterEach { Remove-FetchJobs; Wait-ServerIdle }

    It 'completed requests run at most about two windows ahead of the callback''s outputs' {
        # Window = max(64, 4 x ThrottleLimit) = 64: up to a window waits in the batch and up to a window in the
        # callback's queue (each callback outputs before it counts as done), so Completed - outputs <= 2 x 64.
        $bound = 2 * 64
        $urls = 1..2000 | ForEach-Object { "$base/bytes/100000?i=$_" }
        $job = $urls | Start-FetchJob -ThrottleLimit 16 -OnComplete { Start-Sleep -Milliseconds 5; $_.StatusCode }
        try {
            $samples = [System.Collections.Generic.List[object]]::new()
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            while ($sw.Elapsed.TotalSeconds -lt 3 -and $job.State -eq 'Running') {
                Start-Sleep -Milliseconds 200
                $completed = $job.Completed        # read first: outputs only grow, so the lead is never overstated
                $outputs = $job.Output.Count
                $samples.Add([pscustomobject]@{ Ms = [int]$sw.ElapsedMilliseconds; Completed = $completed; Outputs = $outputs; Lead = $completed - $outputs })
            }
            $text = ($samples | ForEach-Object { "$($_.Ms)ms: $($_.Completed)-$($_.Outputs)=$($_.Lead)" }) -join '; '
            $samples.Count | Should -BeGreaterOrEqual 5 -Because "the run lasts longer than the sampling ($text)"
            $samples[-1].Outputs | Should -BeGreaterThan 0 -Because "the callback ran ($text)"
            $samples[-1].Completed | Should -BeLessThan 2000 -Because "the callback (5 ms each) holds the run back ($text)"
            $lead = ($samples | Measure-Object Lead -Maximum).Maximum
            $lead | Should -BeLessOrEqual $bound -Because "requests must not run far ahead of -OnComplete ($text)"
            @($job.Output | Select-Object -First 10) | ForEach-Object { $_ | Should -Be 200 }
        }
        finally {
            $job | Stop-Job
        }
    }
}
