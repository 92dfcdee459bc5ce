<#
.SYNOPSIS
    The scale check: 1,000,000 URLs streamed from a file through
    Get-Content big.txt | Invoke-AsyncFetch -NoContent -JournalPath j.jsonl
    against a loopback server, reporting requests/s and peak RSS against pwsh's own baseline, and the same
    for a 20,000-URL run (throughput must not degrade at scale; memory must stay bounded).

.EXAMPLE
    pwsh -File bench/scale-journal.ps1 -Url http://127.0.0.1:8080/1k.bin
    (bench/run starts nginx; any loopback URL of a small file works)
#>
param(
    [Parameter(Mandatory)] [string] $Url,
    [int] $Count = 1000000,
    [int] $SmallCount = 20000,
    [int] $ThrottleLimit = 64,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/AsyncFetch')
)
$ErrorActionPreference = 'Stop'
$work = Join-Path ([IO.Path]::GetTempPath()) ("asyncfetch-scale-" + [guid]::NewGuid())
New-Item -ItemType Directory $work | Out-Null
try {
    $big = Join-Path $work 'big.txt'; $small = Join-Path $work 'small.txt'
    [IO.File]::WriteAllLines($big, [Linq.Enumerable]::Repeat($Url, $Count))
    [IO.File]::WriteAllLines($small, [Linq.Enumerable]::Repeat($Url, $SmallCount))
    # Each measurement in a fresh pwsh (same module import and warm-up); the baseline stops after the warm-up.
    $child = @'
param($Module, $Url, $File, $Journal, $Throttle)
Import-Module $Module
$null = [Linq.Enumerable]::Repeat($Url, 1000) | Invoke-AsyncFetch -NoContent -ThrottleLimit $Throttle
$me = [Diagnostics.Process]::GetCurrentProcess()
if (-not $File) { $me.Refresh(); '{0}' -f $me.PeakWorkingSet64; return }
$sw = [Diagnostics.Stopwatch]::StartNew()
$n = (Get-Content $File | Invoke-AsyncFetch -NoContent -ThrottleLimit $Throttle -JournalPath $Journal -SummaryVariable s | Measure-Object).Count
$t = $sw.Elapsed.TotalSeconds; $me.Refresh()
'{0} {1} {2} {3}' -f $n, $t, $s.Failed, $me.PeakWorkingSet64
'@
    $script = Join-Path $work 'child.ps1'; Set-Content $script $child
    $baseline = [long](pwsh -NoProfile -NonInteractive -File $script -Module $ModulePath -Url $Url -Throttle $ThrottleLimit)
    $rows = foreach ($f in @($small, $big)) {
        $journal = Join-Path $work ("j-" + [guid]::NewGuid() + '.jsonl')
        $n, $t, $failed, $peak = (pwsh -NoProfile -NonInteractive -File $script -Module $ModulePath -Url $Url -File $f -Journal $journal -Throttle $ThrottleLimit) -split ' '
        $lines = [IO.File]::ReadLines($journal) | Measure-Object | ForEach-Object Count
        [pscustomobject]@{
            Urls = [int]$n; Seconds = [math]::Round([double]$t, 2); RequestsPerSecond = [math]::Round([int]$n / [double]$t)
            Failed = [int]$failed; JournalLines = $lines; PeakMB = [math]::Round([long]$peak / 1MB)
            AboveBaselineMB = [math]::Round(([long]$peak - $baseline) / 1MB)
        }
        Remove-Item $journal, "$journal.lock" -ErrorAction SilentlyContinue
    }
    "pwsh baseline (module imported, warmed up): {0} MB" -f [math]::Round($baseline / 1MB)
    $rows | Format-Table -AutoSize | Out-String
    $bigRow = $rows[1]; $smallRow = $rows[0]
    "Goal: peak RSS under 150 MB above baseline: {0} MB -> {1}" -f $bigRow.AboveBaselineMB, $(if ($bigRow.AboveBaselineMB -lt 150) { 'met' } else { 'MISSED' })
    "Goal: requests/s within 20% of the 20,000-URL run (no degradation at scale): {0:N0} vs {1:N0} -> {2}" -f $bigRow.RequestsPerSecond, $smallRow.RequestsPerSecond, $(if ($bigRow.RequestsPerSecond -ge 0.8 * $smallRow.RequestsPerSecond) { 'met' } else { 'MISSED' })
    "Every result journaled: {0}" -f ($bigRow.JournalLines -eq $bigRow.Urls -and $smallRow.JournalLines -eq $smallRow.Urls)
}
finally {
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
