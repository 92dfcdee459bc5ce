<#
.SYNOPSIS
    Checks every URL in a list, unattended, and reports through its exit code.

.DESCRIPTION
    Meant for cron or the Windows Task Scheduler. Each finished request is appended to a journal, so a run that
    is interrupted (a reboot, a kill) is finished by the next one: with -Resume the URLs that already succeeded
    are skipped and only the rest are fetched. A run that completes starts the next night afresh with a new
    journal. Each run rewrites report.csv with every URL's latest outcome, also the ones an interrupted run finished.
    Exit code 0: everything succeeded; 1: some URLs failed (see the report); 2: the run itself failed or did not
    complete (for example, another run holds the journal), so a scheduler never sees success for a run that did not
    happen.

    cron (Linux), every night at 02:30:
        30 2 * * *  pwsh -NoProfile -NonInteractive -File /opt/checks/nightly-check.ps1 -UrlFile /opt/checks/urls.txt -OutDirectory /var/lib/checks >> /var/log/nightly-check.log 2>&1

    Windows Task Scheduler (run as a service account, whether logged on or not):
        schtasks /Create /TN "Nightly URL check" /SC DAILY /ST 02:30 /RU "NT AUTHORITY\NETWORK SERVICE" ^
          /TR "pwsh.exe -NoProfile -NonInteractive -File C:\checks\nightly-check.ps1 -UrlFile C:\checks\urls.txt -OutDirectory C:\checks\out"

.EXAMPLE
    pwsh -NoProfile -NonInteractive -File ./nightly-check.ps1 -UrlFile ./urls.txt -OutDirectory ./out
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $UrlFile,
    [Parameter(Mandatory)] [string] $OutDirectory,
    [int] $ThrottleLimit = 64,
    [int] $TimeoutSec = 30
)

$ErrorActionPreference = 'Stop'
try {
    Import-Module AsyncFetch
    New-Item -ItemType Directory -Path $OutDirectory -Force | Out-Null
    $journal = Join-Path $OutDirectory 'journal.jsonl'
    $report = Join-Path $OutDirectory 'report.csv'

    # Resume only an unfinished run: the marker is written when a run completes.
    $done = Join-Path $OutDirectory 'completed.marker'
    if (Test-Path $done) {
        Remove-Item $journal, $done -ErrorAction SilentlyContinue
    }

    $summary = $null
    Get-Content $UrlFile |
        Invoke-AsyncFetch -NoContent -TimeoutSec $TimeoutSec -ThrottleLimit $ThrottleLimit `
            -JournalPath $journal -Resume -SummaryVariable summary -ErrorAction SilentlyContinue -ErrorVariable failures |
        Out-Null
    # No summary: the run did not happen or did not finish (another run holds the journal, the disk is full...).
    if ($null -eq $summary) { throw "the run did not complete: $($failures | Select-Object -Last 1)" }

    # One report of every URL's latest outcome: the journal holds this run's results and, after an interrupted
    # run, the ones that run finished (the URLs this run skipped). Rewritten whole each run.
    $latest = [ordered]@{}
    foreach ($line in Get-Content $journal) {
        if (-not $line.Trim()) { continue }
        try { $entry = $line | ConvertFrom-Json } catch { continue }   # a line torn by a killed run
        $latest[$entry.id] = $entry
    }
    $latest.Values |
        Select-Object @{ n = 'RequestedUri'; e = { $_.uri } }, @{ n = 'StatusCode'; e = { $_.status } },
            @{ n = 'ErrorKind'; e = { $_.errorKind } }, @{ n = 'ErrorMessage'; e = { $_.error } },
            @{ n = 'ElapsedMs'; e = { $_.elapsedMs } }, @{ n = 'ContentLength'; e = { $_.bytes } }, @{ n = 'Time'; e = { $_.time } } |
        Export-Csv -Path $report -NoTypeInformation

    New-Item -ItemType File -Path $done -Force | Out-Null
    $summary | ConvertTo-Json | Set-Content (Join-Path $OutDirectory 'summary.json')
    "{0:u} {1} URLs: {2} succeeded, {3} failed, {4} skipped (done earlier); p95 {5} ms" -f (Get-Date),
        $summary.Total, $summary.Succeeded, $summary.Failed, $summary.Skipped, $summary.LatencyP95Ms
    foreach ($f in $failures | Select-Object -First 20) { "  $($f.Exception.Message)" }
    exit ([int]($summary.Failed -gt 0))
}
catch {
    Write-Error "nightly-check failed: $_" -ErrorAction Continue
    exit 2
}
