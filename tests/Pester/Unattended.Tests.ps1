BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    $script:modulePath = Get-AsyncFetchModulePath
    Import-Module $script:modulePath -Force
    $script:server = Start-TestServer
    $script:base = $server.BaseUri
    $script:hostile = $server.HostileUri
    $script:pwshPath = (Get-Process -Id $PID).Path
    $script:children = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()



    # 10 x 200, 4 x 404, 3 x 503, 2 hostile resets and one unusable URL: 20 inputs of known outcome.
    function Get-MixedUrls {
        @(1..10 | ForEach-Object { "$base/status/200?i=$_" }) +
        @(1..4 | ForEach-Object { "$base/status/404?i=$_" }) +
        @(1..3 | ForEach-Object { "$base/status/503?i=$_" }) +
        @("$hostile/reset", "$hostile/reset", 'ftp://x/')
    }
}

AfterAll {
    foreach ($p in $children) { if (-not $p.HasExited) { $p.Kill() } }
    Stop-TestServer $server
}

Describe '-SummaryVariable figures' {
    BeforeAll {
        Reset-IdleServer $server
        $script:mixed = @(Get-MixedUrls | Invoke-AsyncFetch -SummaryVariable mixedSummary -SkipHttpErrorCheck -ErrorAction SilentlyContinue -ErrorVariable mixedErrors)
        $script:summary = $mixedSummary
    }

    It 'counts totals, status codes and error kinds as the server answered' {
        $mixed.Count | Should -Be 20
        $summary | Should -BeOfType ([AsyncFetch.FetchSummary])
        $summary.Total | Should -Be 20
        $summary.Succeeded | Should -Be 10
        $summary.Failed | Should -Be 10
        $summary.Skipped | Should -Be 0
        @($summary.ByStatus.Keys) | Should -Be @('200', '404', '503')
        $summary.ByStatus['200'] | Should -Be 10
        $summary.ByStatus['404'] | Should -Be 4
        $summary.ByStatus['503'] | Should -Be 3
        @($summary.ByErrorKind.Keys) | Should -Be @('ConnectionLost', 'InvalidRequest')
        $summary.ByErrorKind['ConnectionLost'] | Should -Be 2
        $summary.ByErrorKind['InvalidRequest'] | Should -Be 1
        $mixedErrors.Count | Should -Be 3
        $summary.ElapsedSeconds | Should -BeOfType ([double])
        $summary.ElapsedSeconds | Should -BeGreaterThan 0
        $summary.ElapsedSeconds | Should -BeLessThan 30
        $summary.RequestsPerSecond | Should -BeGreaterThan 0
        "$summary" | Should -Match '^20 total, 10 succeeded, 10 failed, 0 skipped'
    }

    It 'has plausible latency percentiles for /delay/100 responses' {
        Reset-IdleServer $server
        $null = 1..20 | ForEach-Object { "$base/delay/100?i=$_" } | Invoke-AsyncFetch -ThrottleLimit 20 -SummaryVariable delays
        $delays.Total | Should -Be 20
        $delays.Succeeded | Should -Be 20
        $delays.LatencyP50Ms | Should -BeGreaterOrEqual 100
        $delays.LatencyP50Ms | Should -BeLessThan 600
        $delays.LatencyP95Ms | Should -BeGreaterOrEqual $delays.LatencyP50Ms
        $delays.LatencyP99Ms | Should -BeGreaterOrEqual $delays.LatencyP95Ms
        $delays.LatencyP99Ms | Should -BeLessThan 3000
        $delays.ElapsedSeconds | Should -BeGreaterOrEqual 0.1
    }

    It 'converts to JSON (numbers and string-keyed objects, no TimeSpan) and back' {
        $json = $summary | ConvertTo-Json -WarningVariable jsonWarnings
        $jsonWarnings.Count | Should -Be 0 -Because 'the default depth holds the whole summary'
        $json | Should -Not -Match 'Ticks|TotalMilliseconds|"Days"'
        $back = $json | ConvertFrom-Json
        $back.Total | Should -Be 20
        $back.Succeeded | Should -Be 10
        $back.Failed | Should -Be 10
        $back.Skipped | Should -Be 0
        $back.ByStatus.'200' | Should -Be 10
        $back.ByStatus.'404' | Should -Be 4
        $back.ByStatus.'503' | Should -Be 3
        $back.ByErrorKind.ConnectionLost | Should -Be 2
        $back.ByErrorKind.InvalidRequest | Should -Be 1
        $back.ElapsedSeconds | Should -BeOfType ([double])
        $back.ElapsedSeconds | Should -Be $summary.ElapsedSeconds
        $back.LatencyP50Ms | Should -Be $summary.LatencyP50Ms
        $back.RequestsPerSecond | Should -Be $summary.RequestsPerSecond
        ($summary | ConvertTo-Json -Compress) | Should -Match '"ByStatus":\{"200":10,"404":4,"503":3\}'
    }

    It 'formats on screen' {
        $list = $summary | Format-List | Out-String
        $list | Should -Match 'Total\s*:\s*20'
        $list | Should -Match 'Succeeded\s*:\s*10'
        $list | Should -Match 'ByStatus'
        ($summary | Out-String) | Should -Match 'Total'
        ($summary | Format-Table | Out-String) | Should -Match 'Succeeded'
    }
}

Describe '-SummaryVariable when the run is stopped' {
    It 'is set when -ErrorAction Stop ends the run at the first failure' {
        Reset-IdleServer $server
        $urls = @("$base/bytes/1", "$hostile/reset") + @(1..4 | ForEach-Object { "$base/delay/5000?i=$_" })
        $stopped = $null
        $caught = $null
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        try { $urls | Invoke-AsyncFetch -SummaryVariable stopped -ErrorAction Stop | Out-Null } catch { $caught = $_ }
        $sw.Stop()
        $caught | Should -Not -BeNullOrEmpty
        ($caught.FullyQualifiedErrorId -split ',')[0] | Should -Be 'AsyncFetch.ConnectionLost'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 4 -Because 'the 5 s delays are cancelled, not awaited'
        $stopped | Should -BeOfType ([AsyncFetch.FetchSummary])
        $stopped.ByErrorKind['ConnectionLost'] | Should -Be 1
        $stopped.Total | Should -BeGreaterOrEqual 1
        $stopped.Total | Should -BeLessOrEqual 6
        $stopped.Total | Should -Be ($stopped.Succeeded + $stopped.Failed + $stopped.Skipped)
    }

    It 'is set when a downstream Select-Object -First ends the run' {
        Reset-IdleServer $server
        $urls = @("$base/bytes/1") + @(1..3 | ForEach-Object { "$base/delay/5000?i=$_" })
        $first = $null
        $one = @($urls | Invoke-AsyncFetch -SummaryVariable first | Select-Object -First 1)
        $one.Count | Should -Be 1
        $first | Should -BeOfType ([AsyncFetch.FetchSummary])
        $first.Total | Should -BeGreaterOrEqual 1
        $first.ByStatus['200'] | Should -Be 1
    }

    It 'is set when the pipeline is stopped (Ctrl+C: PowerShell.Stop)' {
        Reset-IdleServer $server
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$modulePath'; @('$base/bytes/1') + @(1..3 | ForEach-Object { '$base/delay/10000?i=' + `$_ }) | Invoke-AsyncFetch -SummaryVariable ctrlc")
            $async = $ps.BeginInvoke()
            Wait-Until { (Get-ServerStats $server).current -ge 3 } -TimeoutSec 10 | Should -BeTrue
            Start-Sleep -Milliseconds 300
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 5
            $s = $ps.Runspace.SessionStateProxy.GetVariable('ctrlc')
            $s | Should -Not -BeNullOrEmpty -Because 'the summary is set also when the run is stopped'
            $s.ByStatus['200'] | Should -Be 1
        } finally {
            $ps.Dispose()
        }
    }
}

Describe 'A non-interactive run in a child pwsh with stdin closed' {
    BeforeAll {
        $script:scriptPath = Join-Path (Resolve-Path TestDrive:).ProviderPath 'scheduled.ps1'
        @'
param([string] $ModulePath, [string] $Base, [string] $Hostile, [switch] $AllGood)
Import-Module $ModulePath
# Long enough (about 2 s at -ThrottleLimit 2) for progress to be reported several times, if it were shown.
$urls = @(1..6 | ForEach-Object { "$Base/delay/600?i=$_" }) + "$Base/bytes/3"
if (-not $AllGood) { $urls += "$Hostile/reset" }
$results = @($urls | Invoke-AsyncFetch -ThrottleLimit 2 -SummaryVariable s)
"fetched $($results.Count) total=$($s.Total) failed=$($s.Failed)"
exit ([int]($s.Failed -gt 0))
'@ | Set-Content -LiteralPath $scriptPath

        function Invoke-Scheduled([switch] $AllGood) {
            $psi = [System.Diagnostics.ProcessStartInfo]::new($pwshPath)
            $arguments = @('-NonInteractive', '-NoProfile', '-File', $scriptPath, '-ModulePath', $modulePath, '-Base', $base, '-Hostile', $hostile)
            if ($AllGood) { $arguments += '-AllGood' }
            foreach ($a in $arguments) { $psi.ArgumentList.Add($a) }
            $psi.RedirectStandardInput = $true
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            $psi.UseShellExecute = $false
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            $p = [System.Diagnostics.Process]::Start($psi)
            $children.Add($p)
            $p.StandardInput.Close()   # as under a scheduler: no console, no input
            $out = $p.StandardOutput.ReadToEndAsync()
            $err = $p.StandardError.ReadToEndAsync()
            $exited = $p.WaitForExit(15000)
            if ($exited) { $p.WaitForExit() }   # and the redirected streams are at their end
            $sw.Stop()
            [pscustomobject]@{
                Exited   = $exited
                ExitCode = if ($exited) { $p.ExitCode } else { $null }
                Seconds  = $sw.Elapsed.TotalSeconds
                Stdout   = if ($out.Wait(5000)) { $out.Result } else { '<no end of stdout>' }
                Stderr   = if ($err.Wait(5000)) { $err.Result } else { '<no end of stderr>' }
            }
        }
    }

    AfterEach {
        foreach ($p in $children) { if (-not $p.HasExited) { $p.Kill(); $null = $p.WaitForExit(5000) } }
    }

    It 'completes promptly, writes only its own output to stdout, the error to stderr, and exits 1 on a failure' {
        $r = Invoke-Scheduled
        $r.Exited | Should -BeTrue -Because "the run must not hang (stdout: $($r.Stdout); stderr: $($r.Stderr))"
        $r.Seconds | Should -BeLessThan 15
        $r.ExitCode | Should -Be 1 -Because "exit ([int](`$s.Failed -gt 0)) with one failure (stderr: $($r.Stderr))"
        @($r.Stdout.TrimEnd() -split '\r?\n') | Should -Be @('fetched 8 total=8 failed=1') -Because 'stdout carries only the script output'
        $r.Stdout | Should -Not -Match "`e" -Because 'no ANSI sequences (progress bars, colours) in redirected output'
        $r.Stderr | Should -Match 'reset' -Because 'the failed request is reported on stderr'
        $r.Stderr | Should -Not -Match 'NonInteractive|prompt' -Because 'nothing may prompt'
    }

    It 'exits 0 when every request succeeded, with nothing on stderr' {
        $r = Invoke-Scheduled -AllGood
        $r.Exited | Should -BeTrue
        $r.Seconds | Should -BeLessThan 15
        $r.ExitCode | Should -Be 0 -Because "stderr: $($r.Stderr)"
        @($r.Stdout.TrimEnd() -split '\r?\n') | Should -Be @('fetched 7 total=7 failed=0')
        $r.Stdout | Should -Not -Match "`e"
        $r.Stderr.Trim() | Should -BeNullOrEmpty -Because 'no progress or other noise goes to stderr either'
    }
}

Describe 'FetchResult export' {
    BeforeAll {
        $script:exportUrls = @("$base/bytes/5", "$base/bytes/3000", "$base/text/20", "$base/status/404", "$hostile/reset")
        $script:exported = @($exportUrls | Invoke-AsyncFetch -ErrorAction SilentlyContinue)
    }

    It 'Export-Csv / Import-Csv gives one flat row per result with headers as text and no byte arrays' {
        $exported.Count | Should -Be 5
        $csv = Join-Path TestDrive: 'results.csv'
        $exported | Export-Csv -LiteralPath $csv -NoTypeInformation
        $text = Get-Content -LiteralPath $csv -Raw
        $text | Should -Not -Match 'System\.Byte\[\]'
        $text | Should -Not -Match 'AsyncFetch\.FetchRequest|System\.Collections|System\.Object\[\]'
        $rows = @(Import-Csv -LiteralPath $csv)
        $rows.Count | Should -Be 5
        foreach ($name in 'StatusCode', 'RequestedUri', 'ContentLength', 'ErrorKind', 'Headers') {
            $rows[0].PSObject.Properties.Name | Should -Contain $name
        }
        foreach ($row in $rows) {
            foreach ($p in $row.PSObject.Properties) {
                $p.Value | Should -Not -Match '^(System\.|AsyncFetch\.|@\{)' -Because "column $($p.Name) must be a plain value"
            }
        }
        $byUri = @{}
        foreach ($row in $rows) { $byUri[$row.RequestedUri] = $row }
        @($byUri.Keys | Sort-Object) | Should -Be @($exportUrls | Sort-Object)
        $byUri["$base/bytes/5"].StatusCode | Should -Be '200'
        $byUri["$base/bytes/5"].ContentLength | Should -Be '5'
        $byUri["$base/bytes/5"].ErrorKind | Should -Be 'None'
        $byUri["$base/bytes/5"].Headers | Should -Match 'Content-Type: application/octet-stream'
        $byUri["$base/bytes/3000"].ContentLength | Should -Be '3000'
        $byUri["$base/text/20"].Headers | Should -Match 'Content-Type: '
        $byUri["$base/status/404"].StatusCode | Should -Be '404'
        $byUri["$hostile/reset"].ErrorKind | Should -Be 'ConnectionLost'
        $byUri["$hostile/reset"].StatusCode | Should -Be '0'
    }

    It 'ConvertTo-Json at the default depth works: no body bytes, no nested request, and it parses back' {
        $json = $null
        { $script:json = $exported | ConvertTo-Json -WarningAction SilentlyContinue } | Should -Not -Throw
        $json = $script:json
        $json | Should -Not -BeNullOrEmpty
        $json | Should -Not -Match '"Body"'
        $json | Should -Not -Match '"(Request|GetRequest|Exception)"'
        $json | Should -Not -Match '\[\s*\d+\s*(,\s*\d+\s*){5,}\]' -Because 'no byte array rendered as a list of numbers'
        $json.Length | Should -BeLessThan 20000 -Because 'the 3000-byte body is not spelled out as numbers'
        $back = @($json | ConvertFrom-Json)
        $back.Count | Should -Be 5
        @($back.RequestedUri | Sort-Object) | Should -Be @($exportUrls | Sort-Object)
        ($back | Where-Object RequestedUri -eq "$base/bytes/5").StatusCode | Should -Be 200
        ($back | Where-Object RequestedUri -eq "$base/status/404").StatusCode | Should -Be 404
        ($back | Where-Object RequestedUri -eq "$hostile/reset").StatusCode | Should -Be 0
    }
}
