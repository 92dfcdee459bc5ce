<#
    One measured run of a PowerShell client, printing the driver's RESULT line:
    RESULT <client> <count> <concurrency> <seconds> <cpuSeconds> <peakRssMb> <errors> <bytes>
    Clients:
      cmdlet             $urls | Invoke-AsyncFetch -ThrottleLimit N              (results collected in a variable)
      cmdlet-callback    $urls | Invoke-AsyncFetch -ThrottleLimit N -OnComplete { $_.StatusCode }
      foreach-parallel   $urls | ForEach-Object -Parallel { Invoke-WebRequest $_ } -ThrottleLimit N   (what users do today)
#>
param(
    [Parameter(Mandatory)][string] $Client,
    [Parameter(Mandatory)][string] $Url,
    [int] $Count = 20000,
    [int] $Concurrency = 64,
    [int] $Warmup = 1000,
    [string] $ModulePath
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
if ($Client -like 'cmdlet*') { Import-Module $ModulePath }

# The fetch alone is timed; results are collected in a variable and checked after the clock stops.
function Invoke-Client([string[]] $urls) {
    switch ($Client) {
        'cmdlet' { $urls | Invoke-AsyncFetch -ThrottleLimit $Concurrency }
        'cmdlet-callback' { $urls | Invoke-AsyncFetch -ThrottleLimit $Concurrency -OnComplete { $_.StatusCode } }
        'foreach-parallel' { $urls | ForEach-Object -Parallel { $x = Invoke-WebRequest -Uri $_; [pscustomobject]@{ StatusCode = [int]$x.StatusCode; ContentLength = $x.RawContentLength } } -ThrottleLimit $Concurrency }
        default { throw "unknown client $Client" }
    }
}

function Measure-Outcome($results) {
    if ($Client -eq 'cmdlet-callback') { return [pscustomobject]@{ Errors = @($results | Where-Object { $_ -ne 200 }).Count + $Count - @($results).Count; Bytes = 0 } }
    [pscustomobject]@{ Errors = @($results | Where-Object StatusCode -ne 200).Count + $Count - @($results).Count; Bytes = ($results | Measure-Object ContentLength -Sum).Sum }
}

if ($Warmup -gt 0) { $null = Invoke-Client ([string[]]::new($Warmup).ForEach({ $Url })) }
$urls = [string[]]::new($Count)
for ($i = 0; $i -lt $Count; $i++) { $urls[$i] = $Url }
$me = [System.Diagnostics.Process]::GetCurrentProcess()
$cpu0 = $me.TotalProcessorTime
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$results = Invoke-Client $urls
$sw.Stop()
$me.Refresh()
$out = Measure-Outcome $results
$cpu = ($me.TotalProcessorTime - $cpu0).TotalSeconds
$rss = $me.PeakWorkingSet64 / 1MB
[string]::Format([cultureinfo]::InvariantCulture, 'RESULT {0} {1} {2} {3:R} {4:R} {5:R} {6} {7}', $Client, $Count, $Concurrency, $sw.Elapsed.TotalSeconds, $cpu, $rss, $out.Errors, [long]$out.Bytes)
