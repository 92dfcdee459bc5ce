<#
.SYNOPSIS
    What -ParseContent costs per result, for small JSON bodies:
    1. in process, no network: 10,000 bodies read by the JSON reader -ParseContent uses (PowerShell's
       JsonObject.ConvertFromJson, bound by reflection) and by its fallback (the ConvertFrom-Json command);
    2. end to end: 10,000 GETs of the test server's /json (230 bytes) with and without -ParseContent, alternating.
    Medians of the rounds are reported; on a busy machine the single rounds spread widely.

.EXAMPLE
    pwsh -File bench/parse-content.ps1 -BaseUrl http://127.0.0.1:8080
    (the project's test server: dotnet tests/AsyncFetch.TestServer/bin/Release/net10.0/AsyncFetch.TestServer.dll)
#>
param(
    [Parameter(Mandatory)] [string] $BaseUrl,
    [int] $Count = 10000,
    [int] $Rounds = 5,
    [int] $ThrottleLimit = 64,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/AsyncFetch')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    if ($sorted.Count % 2) { $sorted[($sorted.Count - 1) / 2] } else { ($sorted[$sorted.Count / 2 - 1] + $sorted[$sorted.Count / 2]) / 2 }
}

# 1. The readers alone. A compiled loop calls them, so PowerShell's own overhead per call is not measured.
Add-Type -TypeDefinition @'
public static class ParseContentBench
{
    public delegate bool TryJson(string text, out object value, out System.Exception failure);
    public static double Milliseconds(System.Reflection.MethodInfo method, string[] bodies)
    {
        var read = (TryJson)System.Delegate.CreateDelegate(typeof(TryJson), method);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (string body in bodies)
        {
            object value; System.Exception failure;
            if (!read(body, out value, out failure)) { throw new System.InvalidOperationException("not read: " + failure); }
        }
        return clock.Elapsed.TotalMilliseconds;
    }
}
'@
$json = (Get-Command Invoke-AsyncFetch).ImplementingType.Assembly.GetType('AsyncFetch.PowerShell.Internal.PowerShellJson')
$flags = [System.Reflection.BindingFlags]'Static, Public, NonPublic'
$direct = $json.GetMethod('TryFromJson', $flags, $null, [type[]]@([string], [object].MakeByRefType(), [exception].MakeByRefType()), $null)
$command = $json.GetMethod('TryFromJsonThroughCommand', $flags)
$bodies = [string[]]@(1..$Count | ForEach-Object { '{"id":' + $_ + ',"name":"item ' + $_ + '","ok":true,"tags":["a","b"],"nested":{"x":1.5}}' })
$null = [ParseContentBench]::Milliseconds($direct, $bodies[0..199]), [ParseContentBench]::Milliseconds($command, $bodies[0..199])
$directMs = @(); $commandMs = @()
foreach ($round in 1..$Rounds) {
    $directMs += [ParseContentBench]::Milliseconds($direct, $bodies)
    $commandMs += [ParseContentBench]::Milliseconds($command, $bodies)
}

# 2. End to end, alternating runs.
$urls = [string[]]@(1..$Count | ForEach-Object { "$BaseUrl/json?i=$_" })
$null = $urls[0..999] | Invoke-AsyncFetch -ParseContent -ThrottleLimit $ThrottleLimit
$plainMs = @(); $parsedMs = @()
foreach ($round in 1..$Rounds) {
    $plainMs += (Measure-Command { $urls | Invoke-AsyncFetch -ThrottleLimit $ThrottleLimit | Out-Null }).TotalMilliseconds
    $parsedMs += (Measure-Command { $urls | Invoke-AsyncFetch -ThrottleLimit $ThrottleLimit -ParseContent | Out-Null }).TotalMilliseconds
}

$perBody = { param($ms) '{0:0.0} us' -f ((Get-Median $ms) * 1000 / $Count) }
"PowerShell $($PSVersionTable.PSVersion), $Count small JSON bodies (about $([int]($bodies | Measure-Object Length -Average).Average) characters), $Rounds rounds (ms each), medians per result"
@(
    [pscustomobject]@{ Measure = 'JsonObject.ConvertFromJson (what -ParseContent uses)'; PerResult = & $perBody $directMs; Rounds = ($directMs | ForEach-Object { '{0:0}' -f $_ }) -join ' ' }
    [pscustomobject]@{ Measure = 'ConvertFrom-Json command (the fallback)'; PerResult = & $perBody $commandMs; Rounds = ($commandMs | ForEach-Object { '{0:0}' -f $_ }) -join ' ' }
    [pscustomobject]@{ Measure = "Invoke-AsyncFetch, $Count GETs of /json"; PerResult = & $perBody $plainMs; Rounds = ($plainMs | ForEach-Object { '{0:0}' -f $_ }) -join ' ' }
    [pscustomobject]@{ Measure = "Invoke-AsyncFetch -ParseContent, the same"; PerResult = & $perBody $parsedMs; Rounds = ($parsedMs | ForEach-Object { '{0:0}' -f $_ }) -join ' ' }
) | Format-Table -AutoSize -Wrap | Out-String -Width 160
