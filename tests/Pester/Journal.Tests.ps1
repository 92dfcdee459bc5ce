BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    $script:modulePath = Get-AsyncFetchModulePath
    Import-Module $script:modulePath -Force
    $script:server = Start-TestServer
    $script:base = $server.BaseUri
    $script:hostile = $server.HostileUri
    $script:pwshPath = (Get-Process -Id $PID).Path
    $script:children = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()



    # The server's arrivals since the last reset: path -> count.
    function Get-ArrivalCounts {
        $counts = @{}
        $list = Invoke-RestMethod -Uri "$base/arrivals"   # one array object: PowerShell 7 does not enumerate it
        foreach ($a in $list) { $counts[$a.path] = 1 + [int]$counts[$a.path] }
        $counts
    }

    # The ErrorId of an error record: the part of FullyQualifiedErrorId before the comma.
    # Reads a journal (also while another process appends to it): Entries (parsed objects) and Torn (the other non-blank lines).
    function Read-Journal([string] $Path) {
        $Path = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
        $entries = [System.Collections.Generic.List[object]]::new()
        $torn = [System.Collections.Generic.List[string]]::new()
        if (Test-Path -LiteralPath $Path) {
            $stream = [System.IO.FileStream]::new($Path, 'Open', 'Read', 'ReadWrite')
            try {
                $reader = [System.IO.StreamReader]::new($stream, [System.Text.UTF8Encoding]::new($false))
                while ($null -ne ($line = $reader.ReadLine())) {
                    if ($line.Trim().Length -eq 0) { continue }
                    $entry = $null
                    try { $entry = $line | ConvertFrom-Json -ErrorAction Stop } catch { $entry = $null }
                    if ($entry -is [pscustomobject] -and $entry.PSObject.Properties['id']) { $entries.Add($entry) } else { $torn.Add($line) }
                }
            } finally { $stream.Dispose() }
        }
        [pscustomobject]@{ Entries = $entries.ToArray(); Torn = $torn.ToArray() }
    }

    # Counts the newlines of a file another process may be appending to.
    function Get-LineCount([string] $Path) {
        $Path = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
        if (-not (Test-Path -LiteralPath $Path)) { return 0 }
        $bytes = $null
        $stream = [System.IO.FileStream]::new($Path, 'Open', 'Read', 'ReadWrite')
        try { $ms = [System.IO.MemoryStream]::new(); $stream.CopyTo($ms); $bytes = $ms.ToArray() } finally { $stream.Dispose() }
        @($bytes -eq 10).Count
    }
    # -JournalPath /dev/full takes a companion lock file /dev/full.lock: removed afterwards unless it was there before.
    $script:devFullLockExisted = Test-Path -LiteralPath '/dev/full.lock'
}

AfterAll {
    foreach ($p in $children) { if (-not $p.HasExited) { $p.Kill() } }
    Get-Job | Where-Object PSJobTypeName -eq 'FetchJob' | Remove-Job -Force
    Stop-TestServer $server
    if (-not $devFullLockExisted) { Remove-Item -LiteralPath '/dev/full.lock' -Force -ErrorAction SilentlyContinue }
}

Describe 'Journal format' {
    It 'writes one JSON line per finished request with the documented fields' {
        Reset-IdleServer $server
        $journal = Join-Path TestDrive: 'format.jsonl'
        $inputs = @("  $base/bytes/5  ", "$base/status/404", "$hostile/reset", 'ftp://x/', "$base/delay/10?q=a%20b")
        $results = @($inputs | Invoke-AsyncFetch -JournalPath $journal -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 5

        $raw = [System.IO.File]::ReadAllText((Resolve-Path $journal).ProviderPath)
        $raw | Should -Match '\n$'
        $raw | Should -Not -Match '\r'
        $lines = @($raw.TrimEnd("`n") -split "`n")
        $lines.Count | Should -Be 5 -Because 'one line per finished request'
        $entries = @($lines | ForEach-Object { $_ | ConvertFrom-Json -AsHashtable -ErrorAction Stop })
        foreach ($e in $entries) {
            foreach ($field in 'id', 'time', 'input', 'method', 'uri', 'status', 'errorKind', 'bytes', 'elapsedMs', 'attempts', 'succeeded') {
                $e.ContainsKey($field) | Should -BeTrue -Because "every line has '$field'"
            }
            $e.id | Should -Match '^[0-9a-f]{32}$'
            $e.method | Should -Be 'GET'
            $e.succeeded | Should -BeOfType [bool]
        }
        foreach ($line in $lines) {
            # The time is ISO 8601 UTC (ConvertFrom-Json turns it into a [datetime], so look at the text).
            $line | Should -Match '"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"'
        }
        $byInput = @{}
        foreach ($e in $entries) { $byInput[$e.input] = $e }
        @($byInput.Keys | Sort-Object) | Should -Be @($inputs | Sort-Object) -Because "'input' is the input line as given"

        $ok = $byInput["  $base/bytes/5  "]
        $ok.uri | Should -Be "$base/bytes/5"
        $ok.status | Should -Be 200
        $ok.errorKind | Should -Be 'None'
        $ok.bytes | Should -Be 5
        $ok.attempts | Should -Be 1
        $ok.succeeded | Should -BeTrue
        $ok.elapsedMs | Should -BeGreaterThan 0

        $nf = $byInput["$base/status/404"]
        $nf.status | Should -Be 404
        $nf.errorKind | Should -Be 'None'
        $nf.succeeded | Should -BeFalse -Because 'a 404 is a response that did not succeed'

        $lost = $byInput["$hostile/reset"]
        $lost.status | Should -Be 0
        $lost.errorKind | Should -Be 'ConnectionLost'
        $lost.succeeded | Should -BeFalse

        $byInput['ftp://x/'].errorKind | Should -Be 'InvalidRequest'
        $byInput["$base/delay/10?q=a%20b"].uri | Should -Be "$base/delay/10?q=a%20b"

        # The same request has the same id in a later run.
        $again = Join-Path TestDrive: 'format2.jsonl'
        Invoke-AsyncFetch "$base/bytes/5" -JournalPath $again | Out-Null
        (Get-Content $again | ConvertFrom-Json).id | Should -Be $ok.id
    }

    It "uses the URL as 'input' for input that is not a string (an Import-Csv row)" {
        $journal = Join-Path TestDrive: 'rows.jsonl'
        [pscustomobject]@{ Name = 'one'; Url = "$base/bytes/3" } | Invoke-AsyncFetch -JournalPath $journal | Out-Null
        $e = Get-Content $journal | ConvertFrom-Json
        $e.input | Should -Be "$base/bytes/3"
        $e.uri | Should -Be "$base/bytes/3"
    }

    It 'creates the folder of the journal and appends to an existing journal' {
        $journal = Join-Path TestDrive: 'new/folder/j.jsonl'
        Invoke-AsyncFetch "$base/bytes/1" -JournalPath $journal | Out-Null
        Invoke-AsyncFetch "$base/bytes/2" -JournalPath $journal | Out-Null
        @(Get-Content $journal).Count | Should -Be 2
        @(Get-Content $journal | ConvertFrom-Json).bytes | Should -Be @(1, 2)
    }
}

Describe 'Resume' {
    It 'skips the inputs that already succeeded and fetches the failed ones again (500, hostile reset)' {
        Reset-IdleServer $server
        $journal = Join-Path TestDrive: 'resume.jsonl'
        $good = @("$base/bytes/11", "$base/bytes/12", "$base/delay/13")
        $bad = @("$base/status/500", "$hostile/reset")
        $first = @($good + $bad | Invoke-AsyncFetch -JournalPath $journal -ErrorAction SilentlyContinue)
        $first.Count | Should -Be 5

        Reset-IdleServer $server
        $second = @($good + $bad | Invoke-AsyncFetch -JournalPath $journal -Resume -SummaryVariable sum -SkipHttpErrorCheck -ErrorVariable errs -ErrorAction SilentlyContinue)
        @($second.RequestedUri | Sort-Object) | Should -Be @($bad | Sort-Object) -Because 'only the failed inputs are fetched again'
        $arrivals = Get-ArrivalCounts
        $arrivals['/status/500'] | Should -Be 1
        foreach ($p in '/bytes/11', '/bytes/12', '/delay/13') { $arrivals.ContainsKey($p) | Should -BeFalse -Because "$p already succeeded" }
        @($errs | ForEach-Object { Get-ErrorId $_ }) | Should -Be @('AsyncFetch.ConnectionLost')
        $sum.Total | Should -Be 5
        $sum.Skipped | Should -Be 3
        $sum.Succeeded | Should -Be 0
        $sum.Failed | Should -Be 2

        # Both failures were journaled again: two lines each; the successes once.
        $entries = (Read-Journal $journal).Entries
        $entries.Count | Should -Be 7
        @($entries | Where-Object uri -eq "$hostile/reset").Count | Should -Be 2
        @($entries | Where-Object uri -eq "$base/status/500").Count | Should -Be 2
        @($entries | Where-Object succeeded).Count | Should -Be 3
    }

    It 'treats a different method or body as a different request' {
        Reset-IdleServer $server
        $journal = Join-Path TestDrive: 'methods.jsonl'
        Invoke-AsyncFetch "$base/echo" -Method Post -Body 'one' -JournalPath $journal | Out-Null
        Reset-IdleServer $server
        $r = @(
            Invoke-AsyncFetch "$base/echo" -Method Post -Body 'one' -JournalPath $journal -Resume
            Invoke-AsyncFetch "$base/echo" -Method Post -Body 'two' -JournalPath $journal -Resume
            Invoke-AsyncFetch "$base/echo" -Method Put -Body 'one' -JournalPath $journal -Resume
        )
        $r.Count | Should -Be 2
        (Get-ServerStats $server).total | Should -Be 2
    }

    It '-IncludeSkipped outputs a Skipped result for each skipped input, with no error record' {
        $journal = Join-Path TestDrive: 'skipped.jsonl'
        $urls = @("$base/bytes/21", "$base/bytes/22", "$base/status/503")
        $urls | Invoke-AsyncFetch -JournalPath $journal -SkipHttpErrorCheck | Out-Null
        $linesBefore = @(Get-Content $journal).Count
        Reset-IdleServer $server
        $results = @($urls | Invoke-AsyncFetch -JournalPath $journal -Resume -IncludeSkipped -SkipHttpErrorCheck -ErrorVariable errs)
        $results.Count | Should -Be 3
        $skipped = @($results | Where-Object { $_.ErrorKind -eq 'Skipped' })
        @($skipped.RequestedUri | Sort-Object) | Should -Be @("$base/bytes/21", "$base/bytes/22")
        foreach ($s in $skipped) {
            $s | Should -BeOfType ([AsyncFetch.FetchResult])
            $s.Succeeded | Should -BeFalse
            $s.StatusCode | Should -Be 0
            $s.Input | Should -BeIn $urls
        }
        ($results | Where-Object RequestedUri -eq "$base/status/503").StatusCode | Should -Be 503
        $errs.Count | Should -Be 0 -Because 'a skipped input is not an error (and a 503 is a response)'
        (Get-ServerStats $server).total | Should -Be 1
        @(Get-Content $journal).Count | Should -Be ($linesBefore + 1) -Because 'skipped inputs are not journaled again'
    }

    It '-Resume without -JournalPath is the terminating error AsyncFetch.ResumeNeedsJournal (nothing fetched)' {
        Reset-IdleServer $server
        $err = $null
        try { Invoke-AsyncFetch "$base/bytes/1" -Resume -ErrorAction Stop | Out-Null } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        Get-ErrorId $err | Should -Be 'AsyncFetch.ResumeNeedsJournal'
        # Terminating even with -ErrorAction SilentlyContinue (ThrowTerminatingError).
        { Invoke-AsyncFetch "$base/bytes/1" -Resume -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'AsyncFetch.ResumeNeedsJournal*'
        $jobErr = $null
        try { Start-FetchJob "$base/bytes/1" -Resume -ErrorAction Stop | Out-Null } catch { $jobErr = $_ }
        Get-ErrorId $jobErr | Should -Be 'AsyncFetch.ResumeNeedsJournal'
        (Get-ServerStats $server).total | Should -Be 0
    }

    It 'an unusable journal path is the terminating error AsyncFetch.JournalFailed: <Case>' -ForEach @(
        @{ Case = 'a path under a file'; Make = { $f = Join-Path TestDrive: 'plainfile'; Set-Content $f 'x'; Join-Path $f 'j.jsonl' } }
        @{ Case = 'a folder'; Make = { $d = Join-Path TestDrive: 'adir'; New-Item -ItemType Directory $d -Force | Out-Null; $d } }
        @{ Case = 'under /proc'; Make = { '/proc/x/j.jsonl' } }
    ) {
        Reset-IdleServer $server
        $path = & $Make
        foreach ($resume in $false, $true) {
            $err = $null
            try { Invoke-AsyncFetch "$base/bytes/1" -JournalPath $path -Resume:$resume -ErrorAction SilentlyContinue | Out-Null } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty -Because "$Case must fail (resume: $resume)"
            Get-ErrorId $err | Should -Be 'AsyncFetch.JournalFailed'
            $err.CategoryInfo.Category | Should -Be 'OpenError'
        }
        $jobErr = $null
        try { Start-FetchJob "$base/bytes/1" -JournalPath $path -ErrorAction SilentlyContinue | Out-Null } catch { $jobErr = $_ }
        Get-ErrorId $jobErr | Should -Be 'AsyncFetch.JournalFailed'
        (Get-ServerStats $server).total | Should -Be 0 -Because 'nothing is fetched when the journal cannot be opened'
    }
}

Describe 'Torn journal lines' {
    It 'a torn fragment at the end of the journal is ignored, reported by -Verbose, and closed off for later runs' {
        $journal = Join-Path TestDrive: 'torn.jsonl'
        $urls = @("$base/bytes/31", "$base/bytes/32")
        $urls | Invoke-AsyncFetch -JournalPath $journal | Out-Null
        $full = (Resolve-Path $journal).ProviderPath
        $lastLine = @(Get-Content $journal)[-1]
        $fragment = $lastLine.Substring(0, [int]($lastLine.Length / 2))   # half a line, no newline: a killed writer
        [System.IO.File]::AppendAllText($full, $fragment)

        Reset-IdleServer $server
        $all = $urls + "$base/bytes/33"
        $verbose = @()
        $results = @($all | Invoke-AsyncFetch -JournalPath $journal -Resume -Verbose -SummaryVariable sum 4>&1 | Where-Object {
                if ($_ -is [System.Management.Automation.VerboseRecord]) { $verbose += $_.Message; $false } else { $true } })
        @($results.RequestedUri) | Should -Be @("$base/bytes/33") -Because 'the two whole lines still count; the new URL is fetched'
        $sum.Skipped | Should -Be 2
        ($verbose -match 'torn') | Should -Match '\b1 torn line' -Because 'the resume message reports the ignored fragment'
        (Get-ServerStats $server).total | Should -Be 1

        # The fragment stays a line of its own; the new entry starts on a fresh line.
        $lines = @(Get-Content $journal)
        $lines.Count | Should -Be 4
        $lines[2] | Should -Be $fragment
        { $lines[3] | ConvertFrom-Json -ErrorAction Stop } | Should -Not -Throw
        ($lines[3] | ConvertFrom-Json).uri | Should -Be "$base/bytes/33"

        # And it does not break later reads: still one torn line, three succeeded entries.
        Reset-IdleServer $server
        $verbose = @()
        $later = @($all | Invoke-AsyncFetch -JournalPath $journal -Resume -Verbose -SummaryVariable sum2 4>&1 | Where-Object {
                if ($_ -is [System.Management.Automation.VerboseRecord]) { $verbose += $_.Message; $false } else { $true } })
        $later.Count | Should -Be 0
        $sum2.Skipped | Should -Be 3
        ($verbose -match 'torn') | Should -Match '3 entries, 3 succeeded requests will be skipped, 1 torn line'
        (Get-ServerStats $server).total | Should -Be 0
    }
}

Describe 'Start-FetchJob with a journal' {
    AfterEach { Get-Job | Where-Object PSJobTypeName -eq 'FetchJob' | Remove-Job -Force }

    It 'journals, resumes (Skipped count in the job summary) and outputs Skipped results with -IncludeSkipped' {
        $journal = Join-Path TestDrive: 'job.jsonl'
        $urls = @("$base/bytes/41", "$base/bytes/42", "$base/status/500", "$base/delay/20")
        $job = Start-FetchJob $urls -JournalPath $journal -SkipHttpErrorCheck
        $s1 = Receive-FetchJob $job -Summary -Wait
        $s1.State | Should -Be 'Completed'
        $s1.Completed | Should -Be 4
        $s1.Skipped | Should -Be 0
        $j1 = Read-Journal $journal
        $j1.Entries.Count | Should -Be 4 -Because 'the journal is complete when the job says it has finished'
        $j1.Torn.Count | Should -Be 0

        Reset-IdleServer $server
        $job2 = Start-FetchJob $urls -JournalPath $journal -Resume -SkipHttpErrorCheck
        $s2 = Receive-FetchJob $job2 -Summary -Wait
        $s2.Skipped | Should -Be 3
        $s2.Completed | Should -Be 1
        $s2.Failed | Should -Be 1
        $r2 = @(Receive-FetchJob $job2)
        @($r2.RequestedUri) | Should -Be @("$base/status/500")
        $job2.Skipped | Should -Be 3
        $arrivals = Get-ArrivalCounts
        @($arrivals.Keys) | Should -Be @('/status/500')

        $job3 = Start-FetchJob $urls -JournalPath $journal -Resume -IncludeSkipped -SkipHttpErrorCheck
        $null = Receive-FetchJob $job3 -Summary -Wait
        $r3 = @(Receive-FetchJob $job3 -ErrorVariable jobErrs)
        $r3.Count | Should -Be 4
        @($r3 | Where-Object { $_.ErrorKind -eq 'Skipped' }).Count | Should -Be 3
        $jobErrs.Count | Should -Be 0
        (Read-Journal $journal).Entries.Count | Should -Be 6 -Because 'the 500 was journaled by each run; skipped inputs not at all'
    }
}

Describe 'Two writers on one journal' {
    AfterEach { Get-Job | Where-Object PSJobTypeName -eq 'FetchJob' | Remove-Job -Force }

    It 'two runs writing one journal at the same time lose no lines (or the second is refused with AsyncFetch.JournalFailed)' {
        # E.g. a scheduled run that overlaps the previous one. Lines are documented as appended: neither run may
        # overwrite the other's lines.
        $journal = Join-Path TestDrive: 'shared.jsonl'
        $a = Start-FetchJob (1..30 | ForEach-Object { "$base/delay/$(40 + $_)?writer=A" }) -JournalPath $journal -ThrottleLimit 4
        $refused = $null
        $b = $null
        try {
            $b = Start-FetchJob (1..30 | ForEach-Object { "$base/delay/$(40 + $_)?writer=B" }) -JournalPath $journal -ThrottleLimit 4 -ErrorAction Stop
        } catch { $refused = $_ }
        $null = Receive-FetchJob $a -Summary -Wait
        if ($b) { $null = Receive-FetchJob $b -Summary -Wait }
        $expected = 60
        if ($refused) {
            Get-ErrorId $refused | Should -Be 'AsyncFetch.JournalFailed'
            $expected = 30
        }
        $state = Read-Journal $journal
        $state.Torn.Count | Should -Be 0 -Because 'no line may be overwritten by the other writer'
        $state.Entries.Count | Should -Be $expected -Because 'every finished request of both runs must keep its line'
    }
}

Describe 'Resume after kill -9' {
    AfterEach {
        foreach ($p in $children) { if (-not $p.HasExited) { $p.Kill(); $null = $p.WaitForExit(5000) } }
        $children.Clear()
    }

    It 'loses nothing and repeats no success when the run is killed at several points and resumed' {
        # 400 distinct requests, each with its own path (so /arrivals tells them apart): every other one a delay
        # of 150..349 ms, the rest fast. At -ThrottleLimit 8 a whole run takes about 6-7 s.
        $throttle = 8
        $urls = foreach ($i in 0..399) {
            switch ($i % 4) {
                0 { "$base/bytes/$($i / 4)?n=$i" }
                2 { "$base/text/$(($i - 2) / 4)?n=$i" }
                default { "$base/delay/$(150 + ($i - 1) / 2)?n=$i" }
            }
        }
        $pathOf = @{}
        foreach ($u in $urls) { $pathOf[$u] = ([uri]$u).AbsolutePath }
        $pathOf.Count | Should -Be 400
        @($pathOf.Values | Sort-Object -Unique).Count | Should -Be 400

        $dir = (Resolve-Path TestDrive:).ProviderPath
        $urlFile = Join-Path $dir 'kill-urls.txt'
        $journal = Join-Path $dir 'kill.jsonl'
        Set-Content -LiteralPath $urlFile -Value $urls
        $command = @"
`$ErrorActionPreference = 'Continue'
`$ProgressPreference = 'SilentlyContinue'
Import-Module '$modulePath'
Get-Content -LiteralPath '$urlFile' | Invoke-AsyncFetch -ThrottleLimit $throttle -JournalPath '$journal' -Resume -NoContent -SummaryVariable s | Out-Null
"DONE total=`$(`$s.Total) skipped=`$(`$s.Skipped) succeeded=`$(`$s.Succeeded) failed=`$(`$s.Failed)"
"@

        function Start-Run {
            $psi = [System.Diagnostics.ProcessStartInfo]::new($pwshPath)
            foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $command) { $psi.ArgumentList.Add($a) }
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            $psi.RedirectStandardInput = $true
            $psi.UseShellExecute = $false
            $p = [System.Diagnostics.Process]::Start($psi)
            $children.Add($p)
            $p.StandardInput.Close()
            [pscustomobject]@{ Process = $p; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync() }
        }

        Reset-IdleServer $server
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        # Kill points: when the journal holds about 10%, 35% and 60% of the inputs (and at the latest after 15 s),
        # so each kill lands mid-run however fast the machine starts PowerShell.
        $killAt = @(40, 140, 240)
        $kills = 0
        $snapshots = @()
        foreach ($target in $killAt) {
            $run = Start-Run
            $reached = Wait-Until { (Get-LineCount $journal) -ge $target -or $run.Process.HasExited } -TimeoutSec 15 -PollMs 20
            $run.Process.HasExited | Should -BeFalse -Because "the run must still be going when it is killed (journal at $(Get-LineCount $journal) lines; stderr: $(if ($run.Process.HasExited) { $run.Err.Result }))"
            $run.Process.Kill()    # SIGKILL: no finally blocks, no Dispose, no flush
            $run.Process.WaitForExit(10000) | Should -BeTrue
            $kills++
            # What the server saw and what the journal holds at this kill (after the server noticed the dead sockets).
            Wait-Until { (Get-ServerStats $server).current -eq 0 } -TimeoutSec 10 | Should -BeTrue
            $state = Read-Journal $journal
            $snapshots += [pscustomobject]@{
                Reached   = $reached
                Succeeded = @($state.Entries | Where-Object succeeded | ForEach-Object uri)
                Arrivals  = Get-ArrivalCounts
            }
        }

        # Resume until a run completes normally (it should be the first one).
        $final = $null
        foreach ($attempt in 1..3) {
            $run = Start-Run
            $run.Process.WaitForExit(45000) | Should -BeTrue -Because 'a resumed run finishes'
            $run.Process.WaitForExit()
            if ($run.Process.ExitCode -eq 0 -and $run.Out.Result -match 'DONE') { $final = $run; break }
        }
        $final | Should -Not -BeNullOrEmpty -Because "a resumed run completes normally (stderr: $($run.Err.Result))"
        $elapsed = $sw.Elapsed.TotalSeconds

        # Zero lost, zero duplicated successes, at most one torn line per kill.
        $state = Read-Journal $journal
        $state.Torn.Count | Should -BeLessOrEqual $kills
        $succeeded = @($state.Entries | Where-Object succeeded)
        $missing = @($urls | Where-Object { $_ -notin $succeeded.uri })
        $missing.Count | Should -Be 0 -Because "every input has a succeeded line (missing: $($missing -join ', '))"
        $dupIds = @($succeeded | Group-Object id | Where-Object Count -gt 1)
        $dupIds.Count | Should -Be 0 -Because "no request succeeded twice (duplicated: $(($dupIds | ForEach-Object { $_.Group[0].uri }) -join ', '))"
        $succeeded.Count | Should -Be 400
        @($state.Entries | Where-Object { -not $_.succeeded }).Count | Should -Be 0 -Because 'no request failed against a healthy server'
        $final.Out.Result | Should -Match "DONE total=400 skipped=\d+ succeeded=\d+ failed=0"
        [int]($final.Out.Result -replace '(?s).*skipped=(\d+).*', '$1') | Should -Be $snapshots[-1].Succeeded.Count -Because 'the final run skipped exactly what the journal held'

        # Fetches: each URL at most 1 + kills times, and at most a window of re-fetches per kill in all.
        $arrivals = Get-ArrivalCounts
        $totalArrivals = ($arrivals.Values | Measure-Object -Sum).Sum
        foreach ($u in $urls) {
            $n = [int]$arrivals[$pathOf[$u]]
            $n | Should -BeGreaterOrEqual 1
            $n | Should -BeLessOrEqual (1 + $kills) -Because "$u was fetched $n times"
        }
        # Per kill, at most a window's worth is fetched again: requests in flight plus results that had completed
        # but were still waiting for the pipeline thread to take (and journal) them. The window is 4 x ThrottleLimit, at least 64.
        $totalArrivals | Should -BeLessOrEqual (400 + $kills * [Math]::Max(64, 4 * $throttle))
        # URLs journaled as succeeded before a kill were never fetched after it.
        foreach ($snap in $snapshots) {
            foreach ($u in $snap.Succeeded) {
                [int]$arrivals[$pathOf[$u]] | Should -Be ([int]$snap.Arrivals[$pathOf[$u]]) -Because "$u had succeeded before a kill and must not be fetched again"
            }
        }
        Write-Host ("    kill -9 test: {0} kills at {1} journal lines; {2} arrivals for 400 inputs; {3} torn lines; {4:0.0} s" -f $kills, (($snapshots | ForEach-Object { $_.Succeeded.Count }) -join '/'), $totalArrivals, $state.Torn.Count, $elapsed)
        $elapsed | Should -BeLessThan 60
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
