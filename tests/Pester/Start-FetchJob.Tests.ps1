BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    $script:modulePath = Get-AsyncFetchModulePath
    Import-Module $script:modulePath -Force
    $script:server = Start-TestServer
    $script:base = $server.BaseUri
    $script:base2 = $server.Base2Uri
    $script:hostile = $server.HostileUri
    $script:port = ([uri]$base).Port





    # Waits (bounded) until the server has no request in flight (a stopped job's requests were aborted).
    function Wait-ServerIdle {
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        while ((Get-ServerStats $server).current -ne 0 -and $sw.Elapsed.TotalSeconds -lt 10) { Start-Sleep -Milliseconds 50 }
    }
}

AfterAll {
    Remove-FetchJobs
    Stop-TestServer $server
}

Describe 'Start-FetchJob parameters' {
    AfterEach { Remove-FetchJobs }

    It 'takes every request parameter of Invoke-AsyncFetch, plus -Name' {
        $request = 'Uri', 'Method', 'Headers', 'Body', 'ContentType', 'UserAgent', 'TimeoutSec', 'ConnectionTimeoutSeconds', 'ThrottleLimit', 'PerHostLimit', 'NoContent', 'SkipHttpErrorCheck'
        $invoke = (Get-Command Invoke-AsyncFetch).Parameters
        $start = (Get-Command Start-FetchJob).Parameters
        foreach ($p in $request) {
            $invoke.ContainsKey($p) | Should -BeTrue -Because "Invoke-AsyncFetch has -$p"
            $start.ContainsKey($p) | Should -BeTrue -Because "Start-FetchJob must have -$p too"
            $start[$p].ParameterType | Should -Be $invoke[$p].ParameterType -Because "-$p must have the same type"
        }
        $start.ContainsKey('Name') | Should -BeTrue
        $start['Uri'].Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] }).ValueFromPipeline | Should -Contain $true
    }

    It 'applies the request parameters in the job (POST with body, header, content type and user agent to /echo)' {
        $job = Start-FetchJob "$base/echo" -Method Post -Body 'job-body' -ContentType 'text/plain' -Headers @{ 'X-Job' = 'yes' } -UserAgent 'job-agent/1'
        Wait-Job $job -Timeout 10 | Should -Not -BeNullOrEmpty
        $r = Receive-Job $job
        $r.StatusCode | Should -Be 200
        $echo = $r.Content | ConvertFrom-Json
        $echo.method | Should -BeExactly 'POST'
        $echo.body | Should -BeExactly 'job-body'
        $echo.headers.'X-Job' | Should -BeExactly 'yes'
        $echo.headers.'Content-Type' | Should -BeLike 'text/plain*'
        $echo.headers.'User-Agent' | Should -BeExactly 'job-agent/1'
    }
}

Describe 'FetchJob with the built-in job cmdlets' {
    AfterEach { Remove-FetchJobs }

    It 'is returned at once and listed by Get-Job (PSJobTypeName FetchJob), also by -Name' {
        $job = Start-FetchJob "$base/delay/300" -Name 'named-fetch'
        $job | Should -BeOfType ([System.Management.Automation.Job])
        $job.PSJobTypeName | Should -Be 'FetchJob'
        $job.Name | Should -Be 'named-fetch'
        $job.State | Should -Be 'Running'

        $listed = @(Get-Job | Where-Object InstanceId -eq $job.InstanceId)
        $listed.Count | Should -Be 1
        [object]::ReferenceEquals($listed[0], $job) | Should -BeTrue
        $listed[0].PSJobTypeName | Should -Be 'FetchJob'

        $byName = @(Get-Job -Name 'named-fetch')
        $byName.Count | Should -Be 1
        $byName[0].InstanceId | Should -Be $job.InstanceId
        @(Get-Job -Id $job.Id).Count | Should -Be 1
        @(Get-Job -InstanceId $job.InstanceId).Count | Should -Be 1
    }

    It 'is found by Get-Job -State Running while it runs and -State Completed afterwards' {
        $job = Start-FetchJob "$base/delay/400"
        @(Get-Job -State Running | Where-Object InstanceId -eq $job.InstanceId).Count | Should -Be 1
        @(Get-Job -State Completed | Where-Object InstanceId -eq $job.InstanceId).Count | Should -Be 0
        Wait-Job $job -Timeout 10 | Out-Null
        @(Get-Job -State Completed | Where-Object InstanceId -eq $job.InstanceId).Count | Should -Be 1
        @(Get-Job -State Running | Where-Object InstanceId -eq $job.InstanceId).Count | Should -Be 0
    }

    It 'is filtered by Get-Job -Newest, -After and -Before' {
        $first = Start-FetchJob "$base/bytes/1" -Name 'first'
        Wait-Job $first -Timeout 10 | Out-Null
        Start-Sleep -Milliseconds 50
        $second = Start-FetchJob "$base/bytes/2" -Name 'second'
        Wait-Job $second -Timeout 10 | Out-Null
        $first.PSEndTime | Should -BeLessThan $second.PSBeginTime

        @(Get-Job -Newest 1 | Where-Object PSJobTypeName -eq 'FetchJob').Name | Should -Be @('second')
        @(Get-Job -Newest 2 | Where-Object PSJobTypeName -eq 'FetchJob').Name | Sort-Object | Should -Be @('first', 'second')
        @(Get-Job -After $second.PSBeginTime | Where-Object PSJobTypeName -eq 'FetchJob').Name | Should -Be @('second')
        @(Get-Job -Before $second.PSBeginTime | Where-Object PSJobTypeName -eq 'FetchJob').Name | Should -Be @('first')
        @(Get-Job -After $first.PSBeginTime | Where-Object PSJobTypeName -eq 'FetchJob').Name | Sort-Object | Should -Be @('first', 'second')
    }

    It 'works with Wait-Job -Timeout (returns nothing while running, the job once done)' {
        $slow = Start-FetchJob "$base/delay/3000"
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $waited = Wait-Job $slow -Timeout 1
        $sw.Stop()
        $waited | Should -BeNullOrEmpty
        $sw.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.9
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 2.5
        $slow.State | Should -Be 'Running'

        $fast = Start-FetchJob "$base/delay/100"
        $done = Wait-Job $fast -Timeout 10
        $done.InstanceId | Should -Be $fast.InstanceId
        $done.State | Should -Be 'Completed'
    }

    It 'works with Wait-Job -Any: the faster of two jobs comes back first' {
        $slow = Start-FetchJob "$base/delay/2500" -Name 'slow'
        $fast = Start-FetchJob "$base/delay/200" -Name 'fast'
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $first = @(Wait-Job $slow, $fast -Any -Timeout 10)
        $sw.Stop()
        $first.Count | Should -Be 1
        $first[0].Name | Should -Be 'fast'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 2 -Because 'Wait-Job -Any must not wait for the slow job'
        $slow.State | Should -Be 'Running'
    }

    It 'works with Receive-Job -Keep, then Receive-Job without -Keep, then nothing is left' {
        $job = Start-FetchJob "$base/bytes/1", "$base/bytes/2", "$base/bytes/3"
        Wait-Job $job -Timeout 10 | Out-Null
        $kept = @(Receive-Job $job -Keep)
        $kept.Count | Should -Be 3
        $kept | ForEach-Object { $_ | Should -BeOfType ([AsyncFetch.FetchResult]) }
        $again = @(Receive-Job $job)
        $again.Count | Should -Be 3
        @($again | ForEach-Object ContentLength | Sort-Object) | Should -Be @(1, 2, 3)
        @(Receive-Job $job).Count | Should -Be 0
    }

    It 'works with Receive-Job -Wait (all results, job finished)' {
        $job = Start-FetchJob "$base/delay/0", "$base/delay/300", "$base/delay/600"
        $results = @(Receive-Job $job -Wait)
        $results.Count | Should -Be 3
        $job.State | Should -Be 'Completed'
    }

    It 'is removed by Receive-Job -Wait -AutoRemoveJob' {
        $job = Start-FetchJob "$base/delay/200", "$base/bytes/5"
        $id = $job.Id
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $results = @(Receive-Job $job -Wait -AutoRemoveJob)
        $sw.Stop()
        $results.Count | Should -Be 2
        Get-Job -Id $id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $job.State | Should -Be 'Completed'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 3 -Because 'Receive-Job -Wait -AutoRemoveJob must return when the 200 ms job ends'
    }

    It 'is stopped by Stop-Job' {
        $job = Start-FetchJob (1..3 | ForEach-Object { "$base/delay/5000" })
        Wait-Until { $job.InFlight -eq 3 } | Should -BeTrue
        Stop-Job $job
        $job.State | Should -Be 'Stopped'
        @(Get-Job -State Stopped | Where-Object InstanceId -eq $job.InstanceId).Count | Should -Be 1
    }

    It 'is removed by Remove-Job once finished' {
        $job = Start-FetchJob "$base/bytes/1"
        Wait-Job $job -Timeout 10 | Out-Null
        Remove-Job $job
        Get-Job -Id $job.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'is stopped and removed by Remove-Job -Force while running, closing its connections' {
        Reset-IdleServer $server
        $job = Start-FetchJob (1..5 | ForEach-Object { "$base/delay/10000" })
        Wait-Until { (Get-ServerStats $server).current -ge 5 } | Should -BeTrue
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        Remove-Job $job -Force
        $sw.Stop()
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 2
        Get-Job -Id $job.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $job.State | Should -Be 'Stopped'
        Wait-Until { (Get-ServerStats $server).current -eq 0 } | Should -BeTrue -Because 'the removed job must cancel its requests'
    }

    It 'refuses a plain Remove-Job while running, as for other jobs (JobObjectNotFinishedCannotBeRemoved), and keeps running' {
        $job = Start-FetchJob "$base/delay/3000"
        Remove-Job $job -ErrorVariable removeErrors -ErrorAction SilentlyContinue
        $removeErrors.Count | Should -Be 1
        $removeErrors[0].FullyQualifiedErrorId | Should -BeLike 'JobObjectNotFinishedCannotBeRemoved,*'
        @(Get-Job -Id $job.Id).Count | Should -Be 1
        $job.State | Should -Be 'Running'
    }
}

Describe 'FetchJob HasMoreData' {
    AfterEach { Remove-FetchJobs }

    It 'is false before any result, true after completion until received, false after Receive-Job' {
        $job = Start-FetchJob "$base/delay/600"
        $job.HasMoreData | Should -BeFalse -Because 'nothing has been written yet'
        Wait-Job $job -Timeout 10 | Out-Null
        $job.State | Should -Be 'Completed'
        $job.HasMoreData | Should -BeTrue -Because 'the result has not been received'
        $null = Receive-Job $job -Keep
        $job.HasMoreData | Should -BeTrue -Because '-Keep leaves the data'
        $null = Receive-Job $job
        $job.HasMoreData | Should -BeFalse -Because 'everything was received'
    }

    It 'is true while running once a result is unread' {
        $job = Start-FetchJob "$base/bytes/1", "$base/delay/3000"
        Wait-Until { $job.Completed -ge 1 } | Should -BeTrue
        $job.State | Should -Be 'Running'
        $job.HasMoreData | Should -BeTrue
    }
}

Describe 'FetchJob streams' {
    AfterEach { Remove-FetchJobs }

    It 'writes AsyncFetch.FetchResult objects to Output' {
        $job = Start-FetchJob "$base/bytes/4", "$base/status/404" -SkipHttpErrorCheck
        Wait-Job $job -Timeout 10 | Out-Null
        $job.Output.Count | Should -Be 2
        $job.Output | ForEach-Object { $_ | Should -BeOfType ([AsyncFetch.FetchResult]) }
        $job.Error.Count | Should -Be 0 -Because 'an HTTP 404 is a response, not an error (with -SkipHttpErrorCheck)'
    }

    It '<Case> writes a <ErrorId> error to the Error stream, the same ErrorId as Invoke-AsyncFetch' -ForEach @(
        @{ Case = 'reset'; ErrorId = 'AsyncFetch.ConnectionLost'; Kind = 'ConnectionLost' }
        @{ Case = 'ftp'; ErrorId = 'AsyncFetch.InvalidRequest'; Kind = 'InvalidRequest' }
    ) {
        $bad = if ($Case -eq 'reset') { "$hostile/reset" } else { 'ftp://x/' }
        $job = Start-FetchJob "$base/bytes/1", $bad, "$base/bytes/2"
        Wait-Job $job -Timeout 10 | Out-Null
        $job.State | Should -Be 'Completed' -Because 'a failed request does not fail the job'
        $job.Error.Count | Should -Be 1
        Get-ErrorId $job.Error[0] | Should -Be $ErrorId
        $job.Error[0].TargetObject.ErrorKind | Should -Be $Kind

        $results = @(Receive-Job $job -ErrorVariable jobErrors -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 3
        $jobErrors.Count | Should -Be 1
        Get-ErrorId $jobErrors[0] | Should -Be $ErrorId

        $null = Invoke-AsyncFetch $bad -ErrorVariable invokeErrors -ErrorAction SilentlyContinue
        Get-ErrorId $invokeErrors[0] | Should -Be (Get-ErrorId $jobErrors[0])
    }

    It 'keeps live statistics while running (Completed grows, InFlight <= ThrottleLimit), writes progress records, and ends with the right totals' {
        $urls = 1..24 | ForEach-Object { "$base/delay/300" }
        $job = Start-FetchJob -Uri $urls -ThrottleLimit 3
        $samples = [System.Collections.Generic.List[object]]::new()
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        while ($job.State -eq 'Running' -and $sw.Elapsed.TotalSeconds -lt 15) {
            $samples.Add([pscustomobject]@{ Completed = $job.Completed; InFlight = $job.InFlight })
            Start-Sleep -Milliseconds 100
        }
        Wait-Job $job -Timeout 10 | Out-Null
        $job.State | Should -Be 'Completed'

        $samples.Count | Should -BeGreaterThan 5
        ($samples.InFlight | Measure-Object -Maximum).Maximum | Should -BeLessOrEqual 3
        ($samples.InFlight | Measure-Object -Maximum).Maximum | Should -Be 3 -Because 'the limit is reached'
        for ($i = 1; $i -lt $samples.Count; $i++) {
            $samples[$i].Completed | Should -BeGreaterOrEqual $samples[$i - 1].Completed
        }
        @($samples.Completed | Sort-Object -Unique).Count | Should -BeGreaterThan 3 -Because 'Completed must grow while the job runs'
        $samples[0].Completed | Should -BeLessThan 24

        $job.Queued | Should -Be 24
        $job.Completed | Should -Be 24
        $job.Succeeded | Should -Be 24
        $job.Failed | Should -Be 0
        $job.InFlight | Should -Be 0

        $progress = @($job.Progress)
        $progress.Count | Should -BeGreaterThan 0
        @($progress | Where-Object { $_.StatusDescription -match 'completed' }).Count | Should -BeGreaterThan 0
        $progress[-1].RecordType | Should -Be 'Completed'
        $progress[-1].StatusDescription | Should -Match '\b24 completed'
    }

    It 'ends with Queued == Completed == the number of URLs and the right Succeeded/Failed split' {
        $urls = "$base/bytes/1", "$base/bytes/2", "$base/status/500", "$hostile/reset", 'ftp://x/', "$base/status/204"
        $job = Start-FetchJob -Uri $urls
        Wait-Job $job -Timeout 10 | Out-Null
        $job.State | Should -Be 'Completed'
        $job.Queued | Should -Be 6
        $job.Completed | Should -Be 6
        $job.Succeeded | Should -Be 3
        $job.Failed | Should -Be 3
        $job.InFlight | Should -Be 0
        $job.Elapsed | Should -BeGreaterThan ([timespan]::Zero)
        $job.RequestsPerSecond | Should -BeGreaterThan 0
        $job.StatusMessage | Should -Match '6 completed'
    }

    It 'freezes Elapsed and RequestsPerSecond once the job has finished' {
        $job = Start-FetchJob "$base/delay/200", "$base/delay/300"
        Wait-Job $job -Timeout 10 | Out-Null
        $elapsed = $job.Elapsed
        $rate = $job.RequestsPerSecond
        Start-Sleep -Milliseconds 600
        $runTime = $job.PSEndTime - $job.PSBeginTime
        $job.Elapsed.TotalSeconds | Should -BeLessThan ($runTime.TotalSeconds + 0.2) -Because 'a finished job does not go on running'
        $job.Elapsed | Should -Be $elapsed
        $job.RequestsPerSecond | Should -Be $rate
        (Receive-FetchJob $job -Summary).ElapsedSeconds | Should -Be ([math]::Round($elapsed.TotalSeconds, 3))
    }

    It 'shows the Completed, Failed and InFlight columns in Get-Job table output' {
        $job = Start-FetchJob "$base/bytes/1", "$base/status/500", "$base/bytes/2" -Name 'table-job'
        Wait-Job $job -Timeout 10 | Out-Null
        $text = Get-Job -Id $job.Id | Format-Table | Out-String -Width 200
        $lines = $text -split "`r?`n"
        $header = $lines | Where-Object { $_ -match '\bPSJobTypeName\b' } | Select-Object -First 1
        $header | Should -Match '\bCompleted\b'
        $header | Should -Match '\bFailed\b'
        $header | Should -Match '\bInFlight\b'
        $row = $lines | Where-Object { $_ -match 'table-job' } | Select-Object -First 1
        $row | Should -Match '\bFetchJob\s+Completed\s+True\s+3\s+1\s+0\b'
    }

    It 'writes one verbose record per completion with -Verbose (Verbose stream; Receive-Job -Verbose shows them)' {
        $urls = "$base/bytes/3", "$base/status/404", "$hostile/reset"
        $job = Start-FetchJob -Uri $urls -Verbose
        Wait-Job $job -Timeout 10 | Out-Null
        $job.Verbose.Count | Should -Be 3
        @($job.Verbose | Where-Object { $_.Message -match '\b200\b' -and $_.Message.Contains("$base/bytes/3") }).Count | Should -Be 1
        @($job.Verbose | Where-Object { $_.Message -match '\b404\b' -and $_.Message.Contains("$base/status/404") }).Count | Should -Be 1
        @($job.Verbose | Where-Object { $_.Message -match 'ConnectionLost' -and $_.Message.Contains("$hostile/reset") }).Count | Should -Be 1

        $all = @(Receive-Job $job -Verbose -ErrorAction SilentlyContinue 4>&1)
        @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -Be 3
        @($all | Where-Object { $_ -is [AsyncFetch.FetchResult] }).Count | Should -Be 3
    }

    It 'writes no verbose records without -Verbose' {
        $job = Start-FetchJob "$base/bytes/3"
        Wait-Job $job -Timeout 10 | Out-Null
        $job.Verbose.Count | Should -Be 0
    }
}

Describe 'Start-FetchJob pipeline input' {
    AfterEach { Remove-FetchJobs }

    It 'skips a $null or empty item like a blank line, and the job goes on' {
        $job = "$base/bytes/1", $null, '', "$base/bytes/2", $null | Start-FetchJob
        $results = @(Receive-FetchJob $job -Wait -ErrorVariable errs)
        $job.State | Should -Be 'Completed'
        $errs.Count | Should -Be 0
        @($results.ContentLength | Sort-Object) | Should -Be @(1, 2)
    }

    It '-Uri $null starts a job that completes with nothing to fetch' {
        $job = Start-FetchJob -Uri $null
        $results = @(Receive-FetchJob $job -Wait -ErrorVariable errs)
        $job.State | Should -Be 'Completed'
        $errs.Count | Should -Be 0
        $results.Count | Should -Be 0
    }

    AfterEach { Remove-FetchJobs }

    It 'emits the job at once, feeds it while the pipeline runs, and the job outlives the pipeline' {
        $state = @{ Job = $null; FirstOutput = $null; ProducerStart = $null; CompletedBeforeSecond = $null; Clock = [System.Diagnostics.Stopwatch]::StartNew() }
        $emitted = @(
            & {
                $state.ProducerStart = $state.Clock.Elapsed.TotalSeconds
                "$base/delay/50"
                # Before emitting the second URL, wait (bounded) until the job has completed the first one.
                $deadline = [datetime]::UtcNow.AddSeconds(5)
                while ([datetime]::UtcNow -lt $deadline -and -not ($state.Job -and $state.Job.Completed -ge 1)) {
                    Start-Sleep -Milliseconds 20
                }
                $state.CompletedBeforeSecond = if ($state.Job) { $state.Job.Completed } else { -1 }
                Start-Sleep -Milliseconds 300
                "$base/delay/1500"
            } | Start-FetchJob | ForEach-Object {
                if ($null -eq $state.Job) {
                    $state.Job = $_
                    $state.FirstOutput = $state.Clock.Elapsed.TotalSeconds
                }
                $_
            }
        )
        $pipelineEnd = $state.Clock.Elapsed.TotalSeconds

        $emitted.Count | Should -Be 1
        $job = $emitted[0]
        $job.PSJobTypeName | Should -Be 'FetchJob'
        $state.FirstOutput | Should -Not -BeNullOrEmpty
        $state.FirstOutput | Should -BeLessOrEqual $state.ProducerStart -Because 'the job is written before the input arrives'
        $state.FirstOutput | Should -BeLessThan ($pipelineEnd - 0.3)
        $state.CompletedBeforeSecond | Should -Be 1 -Because 'the first URL is fetched while the pipeline still runs'

        $job.State | Should -Be 'Running' -Because 'the job outlives the pipeline that started it'
        Wait-Job $job -Timeout 10 | Out-Null
        $job.State | Should -Be 'Completed'
        $job.Completed | Should -Be 2
        @(Receive-Job $job).Count | Should -Be 2
    }
}

Describe 'Start-FetchJob -OnComplete' {
    AfterEach { Remove-FetchJobs }

    It 'runs in a runspace the job owns: output is job output, $_ and $args[0] are the result, other thread and runspace, module loaded, caller variables invisible' {
        $callerThread = [System.Threading.Thread]::CurrentThread.ManagedThreadId
        $callerRunspace = [runspace]::DefaultRunspace.InstanceId
        $callerSecret = 'only-in-the-caller'
        $job = Start-FetchJob "$base/bytes/1", "$base/bytes/2" -OnComplete {
            [pscustomobject]@{
                Type     = $_.GetType().FullName
                ArgType  = $args[0].GetType().FullName
                Same     = [object]::ReferenceEquals($_, $args[0])
                Length   = $_.ContentLength
                Thread   = [System.Threading.Thread]::CurrentThread.ManagedThreadId
                Runspace = [runspace]::DefaultRunspace.InstanceId
                Module   = (Get-Module AsyncFetch).Name
                Secret   = $callerSecret
            }
        }
        Wait-Job $job -Timeout 20 | Out-Null
        $job.State | Should -Be 'Completed'
        $out = @(Receive-Job $job)
        $out.Count | Should -Be 2
        @($out | ForEach-Object Length | Sort-Object) | Should -Be @(1, 2)
        foreach ($o in $out) {
            $o.Type | Should -Be 'AsyncFetch.FetchResult'
            $o.ArgType | Should -Be 'AsyncFetch.FetchResult'
            $o.Same | Should -BeTrue
            $o.Thread | Should -Not -Be $callerThread
            $o.Runspace | Should -Not -Be $callerRunspace
            $o.Module | Should -Be 'AsyncFetch'
            $o.Secret | Should -BeNullOrEmpty
        }
    }

    It 'sees a caller''s variable as $using:name, with its value when the job started' {
        $label = 'at-start'
        $job = Start-FetchJob "$base/delay/300" -OnComplete { "$($using:label) $($_.StatusCode)" }
        $label = 'changed-later'
        Wait-Job $job -Timeout 20 | Out-Null
        @(Receive-Job $job) | Should -Be @('at-start 200')
    }

    It 'refuses $using: of an expression with a terminating AsyncFetch.UsingNotSupported error' {
        $h = @{ a = 1 }
        $caught = $null
        try { $null = Start-FetchJob "$base/bytes/1" -OnComplete { $using:h.a } } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        Get-ErrorId $caught | Should -Be 'AsyncFetch.UsingNotSupported'
    }

    It 'turns an exception in -OnComplete into a job error AsyncFetch.OnCompleteFailed naming the URL; the job completes' {
        $badUrl = "$base/bytes/2"
        $job = Start-FetchJob "$base/bytes/1", $badUrl, "$base/bytes/3" -OnComplete {
            if ($_.ContentLength -eq 2) { throw 'callback exploded' }
            "done $($_.ContentLength)"
        }
        Wait-Job $job -Timeout 20 | Out-Null
        $job.State | Should -Be 'Completed'
        $job.Completed | Should -Be 3
        $out = @(Receive-Job $job -ErrorVariable cbErrors -ErrorAction SilentlyContinue)
        @($out | Sort-Object) | Should -Be @('done 1', 'done 3')
        $cbErrors.Count | Should -Be 1
        Get-ErrorId $cbErrors[0] | Should -Be 'AsyncFetch.OnCompleteFailed'
        $cbErrors[0].Exception.Message | Should -BeLike "*$badUrl*"
        $cbErrors[0].Exception.Message | Should -BeLike '*callback exploded*'
    }
}

Describe 'FetchJob under stress' {
    AfterEach { Remove-FetchJobs }

    It 'Stop-Job with <InFlight> of 50 slow requests in flight (-ThrottleLimit <Throttle>, run <Run>) returns within 1 s; all results stay receivable' -ForEach @(
        @{ Throttle = 64; InFlight = 50; Run = 1 }
        @{ Throttle = 64; InFlight = 50; Run = 2 }
        @{ Throttle = 10; InFlight = 10; Run = 1 }
    ) {
        Reset-IdleServer $server
        $urls = @(1..5 | ForEach-Object { "$base/bytes/$_" }) + @(1..50 | ForEach-Object { "$base/delay/10000" })
        $job = Start-FetchJob -Uri $urls -ThrottleLimit $Throttle
        Wait-Until { $job.Completed -ge 5 -and (Get-ServerStats $server).current -ge $InFlight } -TimeoutSec 10 | Should -BeTrue -Because "$InFlight slow requests must be in flight"

        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        Stop-Job $job
        $sw.Stop()
        Write-Host "    Stop-Job took $([math]::Round($sw.Elapsed.TotalMilliseconds)) ms"
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 1.0
        $job.State | Should -Be 'Stopped'

        $results = @(Receive-FetchJob $job -ErrorVariable stopErrors -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 55
        $ok = @($results | Where-Object Succeeded)
        $ok.Count | Should -Be 5
        @($ok | ForEach-Object ContentLength | Sort-Object) | Should -Be @(1, 2, 3, 4, 5)
        @($results | Where-Object ErrorKind -eq 'Canceled').Count | Should -Be 50
        $stopErrors.Count | Should -Be 0 -Because 'requests canceled by Stop-Job are the user''s doing, not errors'
        $job.InFlight | Should -Be 0

        Wait-Until { (Get-ServerStats $server).current -eq 0 } -TimeoutSec 5 | Should -BeTrue -Because 'stopped requests must close their connections'
    }

    It 'keeps each job''s own limits and statistics when two jobs run at once' {
        Reset-IdleServer $server
        $jobA = Start-FetchJob (1..10 | ForEach-Object { "$base/delay/200" }) -ThrottleLimit 2 -Name 'job-a'
        $jobB = Start-FetchJob (1..20 | ForEach-Object { "$base2/delay/200" }) -ThrottleLimit 4 -Name 'job-b'
        Wait-Job $jobA, $jobB -Timeout 15 | Out-Null
        $jobA.State | Should -Be 'Completed'
        $jobB.State | Should -Be 'Completed'

        $stats = Get-ServerStats $server
        $stats.byHost."127.0.0.1:$port".max | Should -Be 2
        $stats.byHost."127.0.0.1:$port".total | Should -Be 10
        $stats.byHost."127.0.0.2:$port".max | Should -Be 4
        $stats.byHost."127.0.0.2:$port".total | Should -Be 20
        $stats.max | Should -Be 6 -Because 'the two jobs ran at the same time'

        $jobA.Queued | Should -Be 10
        $jobA.Completed | Should -Be 10
        $jobA.Succeeded | Should -Be 10
        $jobB.Queued | Should -Be 20
        $jobB.Completed | Should -Be 20
        $jobB.Succeeded | Should -Be 20
        @(Receive-Job $jobA | Where-Object { $_.RequestedUri -like "$base/*" }).Count | Should -Be 10
        @(Receive-Job $jobB | Where-Object { $_.RequestedUri -like "$base2/*" }).Count | Should -Be 20
    }

    It 'does not hold up the exit of pwsh while a job runs (child process)' {
        Reset-IdleServer $server
        $command = @"
Import-Module '$modulePath'
`$job = Start-FetchJob (1..20 | ForEach-Object { '$base/delay/30000' })
`$deadline = [datetime]::UtcNow.AddSeconds(10)
while (`$job.InFlight -lt 20 -and [datetime]::UtcNow -lt `$deadline) { Start-Sleep -Milliseconds 50 }
'in flight: ' + `$job.InFlight
"@
        $psi = [System.Diagnostics.ProcessStartInfo]::new('pwsh')
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $command) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $psi.UseShellExecute = $false
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $process = [System.Diagnostics.Process]::Start($psi)
        try {
            $line = $process.StandardOutput.ReadLineAsync()
            $line.Wait(15000) | Should -BeTrue -Because 'the child must start the job'
            $line.Result | Should -Be 'in flight: 20'
            $running = $sw.Elapsed.TotalSeconds
            $exited = $process.WaitForExit(15000)
            $sw.Stop()
            Write-Host "    child ran $([math]::Round($running, 1)) s, exited $([math]::Round($sw.Elapsed.TotalSeconds - $running, 2)) s after its job was in flight"
            $exited | Should -BeTrue -Because 'a running FetchJob must not keep pwsh alive'
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 10
            $process.ExitCode | Should -Be 0
            Wait-Until { (Get-ServerStats $server).current -eq 0 } -TimeoutSec 5 | Should -BeTrue -Because 'the exited process closed its connections'
        }
        finally {
            if (-not $process.HasExited) { $process.Kill($true) }
            $process.Dispose()
        }
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
