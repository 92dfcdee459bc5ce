BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    $script:modulePath = Get-AsyncFetchModulePath
    Import-Module $script:modulePath -Force
    $script:server = Start-TestServer
    $script:base = $server.BaseUri
    $script:base2 = $server.Base2Uri
    $script:hostile = $server.HostileUri
    $script:port = ([uri]$base).Port



}

AfterAll {
    Stop-TestServer $server
}

Describe 'Invoke-AsyncFetch input binding' {
    It 'skips a $null or empty item like a blank line, and the batch goes on' {
        $results = @("$base/bytes/1", $null, '', "$base/bytes/2", $null | Invoke-AsyncFetch -ErrorVariable errs)
        $errs.Count | Should -Be 0
        @($results.StatusCode) | Should -Be @(200, 200)
        @($results.ContentLength | Sort-Object) | Should -Be @(1, 2)
    }

    It '-Uri $null fetches nothing and is no error; -Uri with a $null item fetches the others' {
        @(Invoke-AsyncFetch -Uri $null -ErrorVariable errs).Count | Should -Be 0
        $errs.Count | Should -Be 0
        $results = @(Invoke-AsyncFetch -Uri "$base/bytes/3", $null -ErrorVariable errs2)
        $errs2.Count | Should -Be 0
        $results.Count | Should -Be 1
        $results[0].ContentLength | Should -Be 3
    }

    It 'loses no result of a large input with $null items among failing and succeeding URLs' {
        $urls = foreach ($i in 1..3000) {
            if ($i % 10 -eq 0) { $null } elseif ($i % 7 -eq 0) { 'not a url' } else { "$base/bytes/1?i=$i" }
        }
        $results = @($urls | Invoke-AsyncFetch -ErrorAction SilentlyContinue -ErrorVariable errs)
        $expected = @($urls | Where-Object { $null -ne $_ })
        $results.Count | Should -Be $expected.Count
        @($results | Where-Object StatusCode -eq 200).Count | Should -Be @($expected | Where-Object { $_ -ne 'not a url' }).Count
        $errs.Count | Should -Be @($expected | Where-Object { $_ -eq 'not a url' }).Count
    }

    It 'fetches only the URLs of a URL file read with Get-Content (blank lines and # comments skipped)' {
        Reset-IdleServer $server
        $file = Join-Path TestDrive: 'urls.txt'
        @(
            '# a list of URLs'
            ''
            "$base/bytes/1"
            '   '
            "  # an indented comment $base/bytes/99"
            "$base/bytes/2"
            ''
            "  $base/bytes/3  "
            '#'
        ) | Set-Content -Path $file
        $results = @(Get-Content -Path $file | Invoke-AsyncFetch)
        $results.Count | Should -Be 3
        @($results | Sort-Object ContentLength | ForEach-Object ContentLength) | Should -Be @(1, 2, 3)
        $results | ForEach-Object { $_.StatusCode | Should -Be 200 }
        (Get-ServerStats $server).total | Should -Be 3 -Because 'comments and blank lines must not be fetched'
    }

    It 'binds Import-Csv rows through their Url column and keeps the row as .Input' {
        $csv = Join-Path TestDrive: 'sites.csv'
        @(
            [pscustomobject]@{ Name = 'one'; Url = "$base/bytes/1"; Owner = 'ann' }
            [pscustomobject]@{ Name = 'two'; Url = "$base/bytes/2"; Owner = 'bob' }
            [pscustomobject]@{ Name = 'three'; Url = "$base/status/404"; Owner = 'cy' }
        ) | Export-Csv -Path $csv -NoTypeInformation
        $results = @(Import-Csv -Path $csv | Invoke-AsyncFetch)
        $results.Count | Should -Be 3
        $byName = @{}
        foreach ($r in $results) { $byName[$r.Input.Name] = $r }
        $byName.Keys | Sort-Object | Should -Be @('one', 'three', 'two')
        $byName['one'].Input.Owner | Should -Be 'ann'
        $byName['one'].ContentLength | Should -Be 1
        $byName['two'].Input.Owner | Should -Be 'bob'
        $byName['two'].ContentLength | Should -Be 2
        $byName['three'].Input.Owner | Should -Be 'cy'
        $byName['three'].StatusCode | Should -Be 404
        $byName['three'].RequestedUri | Should -Be "$base/status/404"
    }

    It 'uses the <Property> property of an object and keeps the object as .Input' -ForEach @(
        @{ Property = 'Url' }
        @{ Property = 'Uri' }
        @{ Property = 'Link' }
    ) {
        $item = [pscustomobject]@{ Id = 7; $Property = "$base/bytes/5" }
        $r = $item | Invoke-AsyncFetch
        $r.StatusCode | Should -Be 200
        $r.ContentLength | Should -Be 5
        $r.Input.Id | Should -Be 7
        $r.RequestedUri | Should -Be "$base/bytes/5"
    }

    It 'accepts a [uri] property value' {
        $r = [pscustomobject]@{ Uri = [uri]"$base/bytes/6" } | Invoke-AsyncFetch
        $r.StatusCode | Should -Be 200
        $r.ContentLength | Should -Be 6
    }

    It 'accepts [uri] objects from the pipeline and as -Uri' {
        $piped = @([uri]"$base/bytes/4", [uri]"$base/bytes/5" | Invoke-AsyncFetch)
        $piped.Count | Should -Be 2
        @($piped | Sort-Object ContentLength | ForEach-Object ContentLength) | Should -Be @(4, 5)
        $piped[0].Input | Should -BeOfType ([uri])

        $direct = Invoke-AsyncFetch -Uri ([uri]"$base/bytes/7")
        $direct.ContentLength | Should -Be 7
    }

    It 'fetches every element of an array given as -Uri (not the pipeline)' {
        $urls = "$base/bytes/1", "$base/bytes/2", "$base/bytes/3", "$base/bytes/4"
        $results = @(Invoke-AsyncFetch -Uri $urls)
        $results.Count | Should -Be 4
        @($results | Sort-Object ContentLength | ForEach-Object RequestedUri) | Should -Be $urls

        $positional = @(Invoke-AsyncFetch $urls[0], $urls[1])
        $positional.Count | Should -Be 2
    }

    It 'sends a New-FetchRequest POST with its body, header and content type (echoed by /echo)' {
        $body = '{"name":"caf' + [char]0xE9 + '","n":1}'
        $r = New-FetchRequest -Uri "$base/echo" -Method Post -Body $body -ContentType 'application/json' -Headers @{ 'X-Custom' = 'custom-value' } |
            Invoke-AsyncFetch
        $r.StatusCode | Should -Be 200
        $echo = $r.Content | ConvertFrom-Json
        $echo.method | Should -BeExactly 'POST'
        $echo.body | Should -BeExactly $body
        $echo.bodyLength | Should -Be ([System.Text.Encoding]::UTF8.GetByteCount($body))
        $echo.headers.'X-Custom' | Should -BeExactly 'custom-value'
        $echo.headers.'Content-Type' | Should -BeExactly 'application/json'
    }
}

Describe 'Invoke-AsyncFetch -OnComplete and output' {
    It 'without -OnComplete writes AsyncFetch.FetchResult objects' {
        $results = @(Invoke-AsyncFetch "$base/bytes/1", "$base/bytes/2")
        $results.Count | Should -Be 2
        $results | ForEach-Object { $_ | Should -BeOfType ([AsyncFetch.FetchResult]) }
    }

    It 'makes the -OnComplete output the command output' {
        $out = @(Invoke-AsyncFetch "$base/bytes/1", "$base/bytes/2", "$base/bytes/3" -OnComplete { "len=$($_.ContentLength)"; 'second' })
        $out.Count | Should -Be 6
        $out | ForEach-Object { $_ | Should -BeOfType ([string]) }
        @($out | Where-Object { $_ -like 'len=*' } | Sort-Object) | Should -Be @('len=1', 'len=2', 'len=3')
    }

    It 'gives -OnComplete the FetchResult as $_ and $args[0], on the pipeline thread' {
        $myThread = [System.Threading.Thread]::CurrentThread.ManagedThreadId
        $seen = @(Invoke-AsyncFetch (1..5 | ForEach-Object { "$base/delay/$($_ * 20)" }) -OnComplete {
                [pscustomobject]@{
                    Type     = $_.GetType().FullName
                    ArgType  = $args[0].GetType().FullName
                    Same     = [object]::ReferenceEquals($_, $args[0])
                    Uri      = $_.RequestedUri
                    ThreadId = [System.Threading.Thread]::CurrentThread.ManagedThreadId
                }
            })
        $seen.Count | Should -Be 5
        foreach ($s in $seen) {
            $s.Type | Should -Be 'AsyncFetch.FetchResult'
            $s.ArgType | Should -Be 'AsyncFetch.FetchResult'
            $s.Same | Should -BeTrue
            $s.ThreadId | Should -Be $myThread
        }
        @($seen.Uri | Sort-Object -Unique).Count | Should -Be 5
    }
}

Describe 'Invoke-AsyncFetch -Ordered' {
    BeforeAll {
        $script:delayUrls = 400, 300, 200, 100, 0 | ForEach-Object { "$base/delay/$_" }
    }

    It 'emits results in input order with -Ordered' {
        $results = @(Invoke-AsyncFetch -Uri $delayUrls -ThrottleLimit 5 -Ordered)
        @($results.RequestedUri) | Should -Be $delayUrls
    }

    It 'emits results in completion order without -Ordered' {
        $results = @(Invoke-AsyncFetch -Uri $delayUrls -ThrottleLimit 5)
        $results.Count | Should -Be 5
        @($results.RequestedUri) | Should -Not -Be $delayUrls
        $results[0].RequestedUri | Should -Be "$base/delay/0"
        $results[-1].RequestedUri | Should -Be "$base/delay/400"
    }

    It 'keeps input order with -Ordered when the input comes from the pipeline' {
        $results = @($delayUrls | Invoke-AsyncFetch -ThrottleLimit 5 -Ordered)
        @($results.RequestedUri) | Should -Be $delayUrls
    }
}

Describe 'Invoke-AsyncFetch concurrency limits' {
    It 'reaches -ThrottleLimit 8 and never exceeds it' {
        Reset-IdleServer $server
        $results = @(1..40 | ForEach-Object { "$base/delay/200" } | Invoke-AsyncFetch -ThrottleLimit 8)
        $results.Count | Should -Be 40
        @($results | Where-Object StatusCode -ne 200).Count | Should -Be 0
        $stats = Get-ServerStats $server
        $stats.total | Should -Be 40
        $stats.max | Should -Be 8
    }

    It 'keeps each host at -PerHostLimit 3' {
        Reset-IdleServer $server
        $urls = 1..20 | ForEach-Object { "$base/delay/200"; "$base2/delay/200" }
        $results = @($urls | Invoke-AsyncFetch -ThrottleLimit 16 -PerHostLimit 3)
        $results.Count | Should -Be 40
        @($results | Where-Object StatusCode -ne 200).Count | Should -Be 0
        $stats = Get-ServerStats $server
        $stats.byHost."127.0.0.1:$port".max | Should -Be 3
        $stats.byHost."127.0.0.2:$port".max | Should -Be 3
        $stats.byHost."127.0.0.1:$port".total | Should -Be 20
        $stats.byHost."127.0.0.2:$port".total | Should -Be 20
        $stats.max | Should -Be 6
    }
}

Describe 'Invoke-AsyncFetch errors' {
    BeforeAll {
        $script:unusedPort = Get-UnusedPort
        # Cases name their input; it is built here because the server's addresses are only known at run time.
        function New-CaseInput([string] $Case) {
            switch ($Case) {
                'reset' { "$hostile/reset" }
                'unused-port' { "http://127.0.0.1:$unusedPort/" }
                'ftp' { 'ftp://x/' }
                'not-a-url' { 'not a url' }
                'no-uri-property' { [pscustomobject]@{ Name = 'no url here'; Size = 3 } }
            }
        }
    }

    It '<Case> gives a <Kind> result and a non-terminating <ErrorId> error; the batch continues' -ForEach @(
        @{ Case = 'reset'; Kind = 'ConnectionLost'; ErrorId = 'AsyncFetch.ConnectionLost' }
        @{ Case = 'unused-port'; Kind = 'Connect'; ErrorId = 'AsyncFetch.Connect' }
        @{ Case = 'ftp'; Kind = 'InvalidRequest'; ErrorId = 'AsyncFetch.InvalidRequest' }
        @{ Case = 'not-a-url'; Kind = 'InvalidRequest'; ErrorId = 'AsyncFetch.InvalidRequest' }
        @{ Case = 'no-uri-property'; Kind = 'InvalidRequest'; ErrorId = 'AsyncFetch.NoUriProperty' }
    ) {
        $bad = New-CaseInput $Case
        $inputs = @("$base/bytes/11", $bad, "$base/bytes/12")
        $results = @($inputs | Invoke-AsyncFetch -ErrorVariable fetchErrors -ErrorAction SilentlyContinue)
        $ok = $?
        $ok | Should -BeFalse -Because '$? is false after a command that wrote an error'

        $results.Count | Should -Be 3
        $failed = @($results | Where-Object ErrorKind -ne 'None')
        $failed.Count | Should -Be 1
        $failed[0].ErrorKind | Should -Be $Kind
        $failed[0].Succeeded | Should -BeFalse
        $failed[0].IsResponse | Should -BeFalse
        $failed[0].ErrorMessage | Should -Not -BeNullOrEmpty
        [object]::ReferenceEquals($failed[0].Input, $bad) | Should -BeTrue -Because 'the input object rides along as .Input'
        @($results | Where-Object Succeeded | ForEach-Object ContentLength | Sort-Object) | Should -Be @(11, 12)

        $fetchErrors.Count | Should -Be 1
        $fetchErrors[0] | Should -BeOfType ([System.Management.Automation.ErrorRecord])
        $fetchErrors[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        [object]::ReferenceEquals($fetchErrors[0].TargetObject, $failed[0].psobject.BaseObject) | Should -BeTrue -Because 'the TargetObject is the result'
    }

    It 'throws at the first failure with -ErrorAction Stop, without waiting for slow requests in flight' {
        Reset-IdleServer $server
        $inputs = @(1..10 | ForEach-Object { "$base/delay/5000" }) + "$hostile/reset"
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $caught = $null
        try {
            $null = Invoke-AsyncFetch -Uri $inputs -ErrorAction Stop
        }
        catch {
            $caught = $_
        }
        $sw.Stop()
        $caught | Should -Not -BeNullOrEmpty -Because 'the failure must terminate the command'
        $caught.FullyQualifiedErrorId | Should -BeLike 'AsyncFetch.ConnectionLost,*'
        $caught.TargetObject.ErrorKind | Should -Be 'ConnectionLost'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 2 -Because 'the slow requests must be canceled, not awaited'
        Wait-Until { (Get-ServerStats $server).current -eq 0 } -TimeoutSec 3 | Should -BeTrue -Because 'the canceled requests close their connections'
    }

    It 'stops the statements after it with -ErrorAction Stop (terminating, not just an error record)' {
        $after = $false
        try {
            Invoke-AsyncFetch 'not a url' -ErrorAction Stop
            $after = $true
        }
        catch {
        }
        $after | Should -BeFalse
    }

    It 'treats HTTP <Code> as a response: StatusCode set, ErrorKind None, Succeeded false, no error record with -SkipHttpErrorCheck' -ForEach @(
        @{ Code = 404 }
        @{ Code = 500 }
        @{ Code = 503 }
    ) {
        $r = Invoke-AsyncFetch "$base/status/$Code" -SkipHttpErrorCheck -ErrorVariable fetchErrors
        $ok = $?
        $r.StatusCode | Should -Be $Code
        $r.ErrorKind | Should -Be 'None'
        $r.IsResponse | Should -BeTrue
        $r.Succeeded | Should -BeFalse
        $r.Content | Should -Be "status $Code"
        $fetchErrors.Count | Should -Be 0
        $ok | Should -BeTrue
    }

    It 'turns an exception in -OnComplete into a non-terminating AsyncFetch.OnCompleteFailed error naming the item' {
        $badUrl = "$base/bytes/2"
        $out = @(Invoke-AsyncFetch "$base/bytes/1", $badUrl, "$base/bytes/3" -ErrorVariable cbErrors -ErrorAction SilentlyContinue -OnComplete {
                if ($_.ContentLength -eq 2) { throw 'callback exploded' }
                "done $($_.ContentLength)"
            })
        $out | Sort-Object | Should -Be @('done 1', 'done 3')
        $cbErrors.Count | Should -Be 1
        $cbErrors[0].FullyQualifiedErrorId | Should -BeLike 'AsyncFetch.OnCompleteFailed,*'
        $cbErrors[0].Exception.Message | Should -BeLike "*$badUrl*"
        $cbErrors[0].Exception.Message | Should -BeLike '*callback exploded*'
        $cbErrors[0].TargetObject.RequestedUri | Should -Be $badUrl
    }

    It 'terminates on an -OnComplete exception with -ErrorAction Stop' {
        $caught = $null
        $out = [System.Collections.Generic.List[object]]::new()
        try {
            Invoke-AsyncFetch "$base/bytes/1" -ErrorAction Stop -OnComplete { throw 'callback exploded' } | ForEach-Object { $out.Add($_) }
        }
        catch {
            $caught = $_
        }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike 'AsyncFetch.OnCompleteFailed,*'
        $out.Count | Should -Be 0
    }
}

Describe 'Invoke-AsyncFetch stopping and timeouts' {
    It 'stops a running batch within one second and closes its sockets (run <Run>)' -ForEach @(
        @{ Run = 1 }
        @{ Run = 2 }
        @{ Run = 3 }
    ) {
        Reset-IdleServer $server
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript('param($ModulePath, $Base) Import-Module $ModulePath; 1..50 | ForEach-Object { "$Base/delay/10000" } | Invoke-AsyncFetch -ThrottleLimit 50').
                AddArgument($modulePath).AddArgument($base)
            $async = $ps.BeginInvoke()
            Wait-Until { (Get-ServerStats $server).current -ge 50 } -TimeoutSec 10 | Should -BeTrue -Because 'the 50 requests must be in flight'

            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $sw.Stop()
            Write-Host "    Stop() took $([math]::Round($sw.Elapsed.TotalMilliseconds)) ms"
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 1.0
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $async.IsCompleted | Should -BeTrue
            Wait-Until { (Get-ServerStats $server).current -eq 0 } -TimeoutSec 5 | Should -BeTrue -Because 'stopped requests must close their connections'
        }
        finally {
            $ps.Dispose()
        }
    }

    It 'ends a slow request with ErrorKind Timeout after about -TimeoutSec 1' {
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $r = Invoke-AsyncFetch "$base/delay/5000" -TimeoutSec 1 -ErrorVariable timeoutErrors -ErrorAction SilentlyContinue
        $sw.Stop()
        $r.ErrorKind | Should -Be 'Timeout'
        $r.StatusCode | Should -Be 0
        $timeoutErrors[0].FullyQualifiedErrorId | Should -BeLike 'AsyncFetch.Timeout,*'
        $sw.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.9
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 2.5
    }
}

Describe 'Invoke-AsyncFetch -NoContent and -Verbose' {
    It '-NoContent drops the body of <Path> but reports ContentLength <Length>' -ForEach @(
        @{ Path = 'bytes/1000'; Length = 1000 }
        @{ Path = 'chunked/5000'; Length = 5000 }
        @{ Path = 'gzip/3000'; Length = 3000 }
    ) {
        $r = Invoke-AsyncFetch "$base/$Path" -NoContent
        $r.StatusCode | Should -Be 200
        $r.GetBody() | Should -BeNullOrEmpty
        $null -eq $r.GetBody() | Should -BeTrue
        $r.Content | Should -BeNullOrEmpty
        $r.ContentLength | Should -Be $Length

        $kept = Invoke-AsyncFetch "$base/$Path"
        $kept.GetBody().Length | Should -Be $Length -Because 'without -NoContent the body is kept'
    }

    It '-Verbose writes one line per completion with its status and URI' {
        $urls = "$base/bytes/3", "$base/status/404", "$hostile/reset"
        $all = @(Invoke-AsyncFetch -Uri $urls -Verbose -ErrorAction SilentlyContinue 4>&1)
        $verbose = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $results = @($all | Where-Object { $_ -is [AsyncFetch.FetchResult] })
        $results.Count | Should -Be 3
        $verbose.Count | Should -Be 3
        @($verbose | Where-Object { $_.Message -match '\b200\b' -and $_.Message.Contains("$base/bytes/3") }).Count | Should -Be 1
        @($verbose | Where-Object { $_.Message -match '\b404\b' -and $_.Message.Contains("$base/status/404") }).Count | Should -Be 1
        @($verbose | Where-Object { $_.Message -match 'ConnectionLost' -and $_.Message.Contains("$hostile/reset") }).Count | Should -Be 1
    }

    It 'writes no verbose output without -Verbose' {
        $all = @(Invoke-AsyncFetch "$base/bytes/3" 4>&1)
        @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -Be 0
    }
}

Describe 'Invoke-AsyncFetch progress' {
    It 'with $ProgressPreference = <Preference> writes <Expect> progress records' -ForEach @(
        @{ Preference = 'Continue'; Expect = 'some' }
        @{ Preference = 'SilentlyContinue'; Expect = 'no' }
    ) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript('param($ModulePath, $Base, $Pref) $ProgressPreference = $Pref; Import-Module $ModulePath; 1..30 | ForEach-Object { "$Base/delay/300" } | Invoke-AsyncFetch -ThrottleLimit 5 | Measure-Object | ForEach-Object Count').
                AddArgument($modulePath).AddArgument($base).AddArgument($Preference)
            $async = $ps.BeginInvoke()
            $async.AsyncWaitHandle.WaitOne(20000) | Should -BeTrue -Because 'the batch must finish'
            $out = $ps.EndInvoke($async)
            $out[0] | Should -Be 30
            $progress = @($ps.Streams.Progress)
            if ($Expect -eq 'some') {
                @($progress | Where-Object { $_.StatusDescription -match 'completed' }).Count | Should -BeGreaterThan 0
            }
            else {
                $progress.Count | Should -Be 0
            }
        }
        finally {
            $ps.Dispose()
        }
    }
}

Describe 'Invoke-AsyncFetch with 100,000 inputs' {
    BeforeAll {
        $script:childScript = Join-Path TestDrive: 'many.ps1'
        @'
param($ModulePath, $Base, [int] $Count)
Import-Module $ModulePath
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$n = 0; $failed = 0
1..$Count | ForEach-Object { "$Base/bytes/10" } |
    Invoke-AsyncFetch -NoContent -ThrottleLimit 64 -ErrorVariable +fetchErrors -ErrorAction SilentlyContinue |
    ForEach-Object { $n++; if (-not $_.Succeeded -or $_.ContentLength -ne 10) { $failed++ } }
$sw.Stop()
[pscustomobject]@{
    Count     = $n
    Failed    = $failed
    Errors    = $fetchErrors.Count
    PeakBytes = [System.Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64
    Seconds   = $sw.Elapsed.TotalSeconds
} | ConvertTo-Json -Compress
'@ | Set-Content -Path $childScript

        function Invoke-Child([int] $Count) {
            $json = & pwsh -NoProfile -NonInteractive -File (Get-Item $childScript).FullName -ModulePath $modulePath -Base $base -Count $Count
            $LASTEXITCODE | Should -Be 0
            $json | Select-Object -Last 1 | ConvertFrom-Json
        }
    }

    It 'completes 100,000 inputs with bounded memory (child process)' {
        Reset-IdleServer $server
        $small = Invoke-Child 10000
        $large = Invoke-Child 100000
        $mb = { param($b) [math]::Round($b / 1MB) }
        Write-Host "    10,000: $([math]::Round($small.Seconds, 1)) s, peak $(& $mb $small.PeakBytes) MB; 100,000: $([math]::Round($large.Seconds, 1)) s, peak $(& $mb $large.PeakBytes) MB"

        $small.Count | Should -Be 10000
        $small.Failed | Should -Be 0
        $small.Errors | Should -Be 0
        $large.Count | Should -Be 100000
        $large.Failed | Should -Be 0
        $large.Errors | Should -Be 0
        (Get-ServerStats $server).total | Should -Be 110000
        $large.PeakBytes | Should -BeLessThan 600MB
        $large.PeakBytes | Should -BeLessThan (1.5 * $small.PeakBytes + 50MB) -Because 'memory must not grow with the input count'
    }
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
