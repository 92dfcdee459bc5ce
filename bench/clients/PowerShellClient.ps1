<#
    One measured run of a PowerShell client, printing the driver's RESULT line:
    RESULT <client> <count> <concurrency> <seconds> <cpuSeconds> <peakRssMb> <errors> <bytes>
    Clients:
      cmdlet             $urls | Invoke-AsyncFetch -ThrottleLimit N              (results collected in a variable)
      cmdlet-callback    $urls | Invoke-AsyncFetch -ThrottleLimit N -OnComplete { $_.StatusCode }
      foreach-parallel   $urls | ForEach-Object -Parallel { Invoke-WebRequest $_ } -ThrottleLimit N   (what users do today)
      cmdlet-stream      [Linq.Enumerable]::Repeat($Url, N) | Invoke-AsyncFetch -NoContent | Measure-Object
                         (W5: input and output both streamed, nothing collected)
      baseline           the module imported and the warm-up run, nothing measured (W5's RSS baseline)
    -NoContent: the cmdlets get -NoContent; Invoke-WebRequest gets -OutFile /dev/null (its discard equivalent).
    -OutDirectory DIR: bodies to files in DIR: the cmdlets get -OutDirectory DIR (one file per request, the names
    from the URL with " (1)", " (2)" ... suffixes); Invoke-WebRequest gets -OutFile DIR/<i>-<name>. The warm-up
    writes to DIR/warmup, deleted before the timed run. A module whose Invoke-AsyncFetch has no -OutDirectory
    prints "skipped: the module has no -OutDirectory" (no RESULT line) and exits 0.
    -UrlFile FILE: request i goes to line i of FILE (cycling), the warm-up too (W7's 500 origins).
    Failures do not stop the run (-ErrorAction Ignore): they are counted as errors in the RESULT line.
    Loopback only (the driver passes the URL); every loop is bounded by -Count.
#>
param(
    [Parameter(Mandatory)][string] $Client,
    [Parameter(Mandatory)][string] $Url,
    [int] $Count = 20000,
    [int] $Concurrency = 64,
    [int] $Warmup = 1000,
    [string] $WarmupUrl,
    [switch] $NoContent,
    [string] $OutDirectory,
    [string] $ModulePath,
    [string] $UrlFile
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
if ($Client -ne 'foreach-parallel') { Import-Module $ModulePath }
if (-not $WarmupUrl) { $WarmupUrl = $Url }
if ($OutDirectory -and $Client -ne 'foreach-parallel' -and -not (Get-Command Invoke-AsyncFetch).Parameters.ContainsKey('OutDirectory')) {
    'skipped: the module has no -OutDirectory'
    return
}
if ($OutDirectory) { $null = New-Item -ItemType Directory -Force -Path $OutDirectory }

# The fetch alone is timed; results are collected in a variable and checked after the clock stops.
function Invoke-Client([string[]] $urls, [string] $dir) {
    $toDisk = @{}   # splatted: a module without -OutDirectory never sees the parameter
    if ($dir) {
        $toDisk.OutDirectory = $dir
        $null = New-Item -ItemType Directory -Force -Path $dir
    }
    switch ($Client) {
        'cmdlet' { $urls | Invoke-AsyncFetch -ThrottleLimit $Concurrency -NoContent:$NoContent -ErrorAction Ignore @toDisk }
        'cmdlet-callback' { $urls | Invoke-AsyncFetch -ThrottleLimit $Concurrency -NoContent:$NoContent -ErrorAction Ignore -OnComplete { $_.StatusCode } @toDisk }
        'foreach-parallel' {
            $discard = [bool]$NoContent
            $name = [IO.Path]::GetFileName(([uri]$urls[0]).AbsolutePath)
            $items = for ($i = 0; $i -lt $urls.Count; $i++) { [pscustomobject]@{ Url = $urls[$i]; File = if ($dir) { Join-Path $dir "$i-$name" } } }
            $items | ForEach-Object -Parallel {
                try {
                    if ($_.File) {
                        Invoke-WebRequest -Uri $_.Url -OutFile $_.File
                        [pscustomobject]@{ StatusCode = 200; ContentLength = [IO.FileInfo]::new($_.File).Length } # it throws on anything but 2xx
                    } elseif ($using:discard) {
                        Invoke-WebRequest -Uri $_.Url -OutFile /dev/null
                        [pscustomobject]@{ StatusCode = 200; ContentLength = 0 } # it throws on anything but 2xx
                    } else {
                        $x = Invoke-WebRequest -Uri $_.Url
                        [pscustomobject]@{ StatusCode = [int]$x.StatusCode; ContentLength = $x.RawContentLength }
                    }
                } catch {
                    [pscustomobject]@{ StatusCode = 0; ContentLength = 0 }
                }
            } -ThrottleLimit $Concurrency
        }
        { $_ -in 'cmdlet-stream', 'baseline' } { $urls | Invoke-AsyncFetch -ThrottleLimit $Concurrency -NoContent -ErrorAction Ignore }
        default { throw "unknown client $Client" }
    }
}

function Measure-Outcome($results) {
    if ($OutDirectory -and $Client -eq 'cmdlet') {
        # A download's result: a 200 with the bytes written (or, should the cmdlet emit them, the files themselves).
        $ok = @($results | Where-Object { $_ -is [IO.FileInfo] -or $_.StatusCode -eq 200 })
        $bytes = ($ok | ForEach-Object { if ($_ -is [IO.FileInfo]) { $_.Length } else { $_.ContentLength } } | Measure-Object -Sum).Sum
        return [pscustomobject]@{ Errors = $Count - $ok.Count; Bytes = $bytes }
    }
    if ($Client -eq 'cmdlet-callback') { return [pscustomobject]@{ Errors = @($results | Where-Object { $_ -ne 200 }).Count + $Count - @($results).Count; Bytes = 0 } }
    [pscustomobject]@{ Errors = @($results | Where-Object StatusCode -ne 200).Count + $Count - @($results).Count; Bytes = ($results | Measure-Object ContentLength -Sum).Sum }
}

if ($Warmup -gt 0) {
    $warmDir = if ($OutDirectory) { Join-Path $OutDirectory 'warmup' }
    $warmUrls = if ($UrlFile) { $list = [IO.File]::ReadAllLines($UrlFile); [string[]](0..($Warmup - 1) | ForEach-Object { $list[$_ % $list.Count] }) } else { [string[]]::new($Warmup).ForEach({ $WarmupUrl }) }
    Invoke-Client $warmUrls $warmDir | Out-Null # streamed away: the warm-up's results are not held
    if ($warmDir) { Remove-Item -Recurse -Force -LiteralPath $warmDir }
    # As the C# driver does: the warm-up's garbage collected, background tier-up given a moment.
    [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
    Start-Sleep -Milliseconds 300
}
$me = [System.Diagnostics.Process]::GetCurrentProcess()
if ($Client -eq 'baseline') {
    [GC]::Collect()
    $me.Refresh()
    [string]::Format([cultureinfo]::InvariantCulture, 'RESULT baseline 0 {0} 0 0 {1:R} 0 0', $Concurrency, $me.PeakWorkingSet64 / 1MB)
    return
}

if ($Client -eq 'cmdlet-stream') {
    # Nothing is held: the input is a lazy enumerable, the output goes straight into Measure-Object.
    $cpu0 = $me.TotalProcessorTime
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $m = [System.Linq.Enumerable]::Repeat($Url, $Count) |
        Invoke-AsyncFetch -ThrottleLimit $Concurrency -NoContent -ErrorAction Ignore |
        Measure-Object -Property StatusCode -Minimum -Maximum
    $sw.Stop()
    $me.Refresh()
    $errors = $Count - $m.Count
    if ($m.Count -gt 0 -and ($m.Minimum -ne 200 -or $m.Maximum -ne 200)) { $errors = [Math]::Max($errors, 1) } # some result was not a 200
    [string]::Format([cultureinfo]::InvariantCulture, 'RESULT {0} {1} {2} {3:R} {4:R} {5:R} {6} {7}', $Client, $Count, $Concurrency,
        $sw.Elapsed.TotalSeconds, ($me.TotalProcessorTime - $cpu0).TotalSeconds, $me.PeakWorkingSet64 / 1MB, $errors, 0)
    return
}

$urls = [string[]]::new($Count)
[string[]] $list = if ($UrlFile) { [IO.File]::ReadAllLines($UrlFile) } else { $Url }   # typed: one URL stays a one-element list, not a string to index
for ($i = 0; $i -lt $Count; $i++) { $urls[$i] = $list[$i % $list.Count] }
$cpu0 = $me.TotalProcessorTime
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$results = Invoke-Client $urls $OutDirectory
$sw.Stop()
$me.Refresh()
$out = Measure-Outcome $results
$cpu = ($me.TotalProcessorTime - $cpu0).TotalSeconds
$rss = $me.PeakWorkingSet64 / 1MB
[string]::Format([cultureinfo]::InvariantCulture, 'RESULT {0} {1} {2} {3:R} {4:R} {5:R} {6} {7}', $Client, $Count, $Concurrency, $sw.Elapsed.TotalSeconds, $cpu, $rss, $out.Errors, [long]$out.Bytes)
