<#
.SYNOPSIS
    Builds, tests, documents and packages AsyncFetch.

.DESCRIPTION
    The one entry point for contributors and users building from source:

        ./build.ps1                      # Build: compile and lay the module out under out/AsyncFetch/<version>/
        ./build.ps1 -Task Test           # Build, then run the xunit suites and (when Pester 5 is available) the Pester suites
        ./build.ps1 -Task Docs           # turn docs/en-US/*.md into MAML help inside the built module (needs platyPS)
        ./build.ps1 -Task Package        # Build + Docs, then zip the module into out/AsyncFetch-<version>.zip
        ./build.ps1 -Task Clean          # remove out/ and every bin/ and obj/

    Pester runs in a child `pwsh -NoProfile`, so the module DLL is never locked in this session.
    When Pester 5 or platyPS is missing, the script tries the PowerShell Gallery once; where the Gallery
    cannot be reached it says so and goes on with what it can run.
    Test results go to out/TestResults (xunit: *.trx, Pester: pester.xml in NUnit format); the last line
    printed is "N passed, N failed", counted from those files.

.PARAMETER Task
    One or more of Build, Test, Docs, Package, Clean, run in that order.

.PARAMETER Configuration
    Release (default) or Debug.

.EXAMPLE
    ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Docs', 'Package', 'Clean')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$Root = $PSScriptRoot
$Version = ([xml](Get-Content (Join-Path $Root 'Directory.Build.props') -Raw)).Project.PropertyGroup.VersionPrefix | Where-Object { $_ } | Select-Object -First 1
$OutRoot = Join-Path $Root 'out'
$ModuleBase = Join-Path $OutRoot 'AsyncFetch'
$ModuleDir = Join-Path $ModuleBase $Version
$ResultsDir = Join-Path $OutRoot 'TestResults'

function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    Write-Verbose "$File $($Arguments -join ' ')"
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments[0]) failed with exit code $LASTEXITCODE" }
}

function Test-GalleryModule {
    # True when a module of at least the given version is available, after one try at the Gallery.
    param([string] $Name, [version] $MinimumVersion)
    if (Get-Module -ListAvailable -Name $Name | Where-Object Version -ge $MinimumVersion) { return $true }
    if (-not (Get-Command Install-Module -ErrorAction SilentlyContinue)) {
        Write-Warning "$Name $MinimumVersion+ is not installed and Install-Module is not available here; skipping what needs it."
        return $false
    }
    try {
        Write-Host "Installing $Name $MinimumVersion+ from the PowerShell Gallery..."
        Install-Module -Name $Name -MinimumVersion $MinimumVersion -Scope CurrentUser -Force -SkipPublisherCheck -ErrorAction Stop
        return $true
    }
    catch {
        Write-Warning "$Name $MinimumVersion+ is not installed and the PowerShell Gallery could not be reached ($($_.Exception.Message)); skipping what needs it."
        return $false
    }
}

function Invoke-Clean {
    foreach ($dir in @($OutRoot) + @(Get-ChildItem $Root -Recurse -Directory -Include bin, obj -ErrorAction SilentlyContinue | ForEach-Object FullName)) {
        if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
    }
    Write-Host 'Cleaned out/, bin/ and obj/.'
}

function Invoke-Build {
    Invoke-Native dotnet @('build', (Join-Path $Root 'AsyncFetch.sln'), '-c', $Configuration, '-nologo', '-v', 'minimal')
    $project = Join-Path $Root 'src/AsyncFetch.PowerShell/AsyncFetch.PowerShell.csproj'
    if (-not (Test-Path $project)) {
        Write-Host 'No src/AsyncFetch.PowerShell yet: engine built, no module laid out.'
        return
    }
    if (Test-Path $ModuleDir) { Remove-Item $ModuleDir -Recurse -Force }
    Invoke-Native dotnet @('publish', $project, '-c', $Configuration, '-o', $ModuleDir, '-nologo', '-v', 'quiet', '--no-build')
    Get-ChildItem $ModuleDir -Filter *.pdb | Remove-Item
    Get-ChildItem $ModuleDir -Filter *.deps.json | Remove-Item
    $manifest = Get-Content (Join-Path $Root 'module/AsyncFetch.psd1') -Raw
    $manifest = $manifest -replace "ModuleVersion\s*=\s*'[^']*'", "ModuleVersion = '$Version'"
    Set-Content -Path (Join-Path $ModuleDir 'AsyncFetch.psd1') -Value $manifest -Encoding utf8
    Get-ChildItem (Join-Path $Root 'module') -Exclude AsyncFetch.psd1 | Copy-Item -Destination $ModuleDir -Recurse
    Write-Host "Module laid out in $ModuleDir (Import-Module $ModuleBase)"
    if (Get-Module -ListAvailable -Name platyPS) {
        Invoke-Docs   # help belongs in the module; without platyPS, -Task Docs says what is missing
    }
}

function Invoke-Docs {
    $source = Join-Path $Root 'docs/en-US'
    if (-not (Test-Path $source)) { Write-Host 'No docs/en-US yet.'; return }
    if (-not (Test-Path $ModuleDir)) { Invoke-Build }
    if (-not (Test-GalleryModule -Name platyPS -MinimumVersion 0.14.0)) {
        Write-Warning 'platyPS is not available: MAML help was not generated (the markdown in docs/en-US is still the source of truth).'
        return
    }
    $dest = Join-Path $ModuleDir 'en-US'
    # In a child process: platyPS loads the module's assemblies to read the cmdlets. It also turns the about
    # topic (docs/en-US/about_*.md) into about_AsyncFetch.help.txt itself.
    Invoke-Native pwsh @('-NoProfile', '-NonInteractive', '-Command', "Import-Module platyPS; New-ExternalHelp -Path '$source' -OutputPath '$dest' -Force | Out-Null")
    Write-Host "MAML help written to $dest"
}

function Get-TestCounts {
    # Counts from the result files themselves: TRX <Counters passed= failed=>, NUnit <test-results total= failures= errors=>.
    $passed = 0; $failed = 0
    foreach ($trx in Get-ChildItem $ResultsDir -Filter *.trx -Recurse -ErrorAction SilentlyContinue) {
        $c = ([xml](Get-Content $trx.FullName -Raw)).TestRun.ResultSummary.Counters
        $passed += [int]$c.passed; $failed += [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted
    }
    $nunit = Join-Path $ResultsDir 'pester.xml'
    if (Test-Path $nunit) {
        $r = ([xml](Get-Content $nunit -Raw)).'test-results'
        $bad = [int]$r.failures + [int]$r.errors
        $passed += [int]$r.total - $bad - [int]$r.'not-run' - [int]$r.skipped - [int]$r.ignored - [int]$r.inconclusive
        $failed += $bad
    }
    [pscustomobject]@{ Passed = $passed; Failed = $failed }
}

function Invoke-Test {
    Invoke-Build
    if (Test-Path $ResultsDir) { Remove-Item $ResultsDir -Recurse -Force }
    New-Item -ItemType Directory -Path $ResultsDir | Out-Null
    $suites = @('xunit')
    & dotnet test (Join-Path $Root 'AsyncFetch.sln') -c $Configuration --no-build --logger 'trx' --results-directory $ResultsDir -nologo
    $xunitExit = $LASTEXITCODE

    $pesterTests = @(Get-ChildItem (Join-Path $Root 'tests') -Filter *.Tests.ps1 -Recurse -ErrorAction SilentlyContinue)
    if ($pesterTests.Count -eq 0) {
        Write-Host 'Pester suites: none in tests/ yet.'
    }
    elseif (-not (Test-Path $ModuleDir)) {
        Write-Warning 'Pester suites skipped: the module was not built.'
    }
    elseif (Test-GalleryModule -Name Pester -MinimumVersion 5.0.0) {
        $suites += 'pester'
        $script = @"
Import-Module Pester -MinimumVersion 5.0.0 -ErrorAction Stop
`$c = New-PesterConfiguration
`$c.Run.Path = '$(Join-Path $Root 'tests')'
`$c.Run.Exit = `$false
`$c.Output.Verbosity = 'Normal'
`$c.TestResult.Enabled = `$true
`$c.TestResult.OutputFormat = 'NUnitXml'
`$c.TestResult.OutputPath = '$(Join-Path $ResultsDir 'pester.xml')'
Invoke-Pester -Configuration `$c | Out-Null
"@
        & pwsh -NoProfile -NonInteractive -Command $script
    }
    else {
        Write-Warning 'Pester suites skipped: Pester 5 is not available.'
    }

    $counts = Get-TestCounts
    Write-Host "Suites run: $($suites -join ', ')"
    if ($xunitExit -ne 0 -and $counts.Failed -eq 0) { throw "dotnet test failed (exit $xunitExit) without failing tests: see the output above." }
    Write-Host "$($counts.Passed) passed, $($counts.Failed) failed"
    if ($counts.Failed -gt 0) { exit 1 }
}

function Invoke-Package {
    Invoke-Build
    Invoke-Docs
    $zip = Join-Path $OutRoot "AsyncFetch-$Version.zip"
    if (Test-Path $zip) { Remove-Item $zip }
    Compress-Archive -Path $ModuleBase -DestinationPath $zip
    Write-Host "Package: $zip"
}

foreach ($t in @('Clean', 'Build', 'Docs', 'Package', 'Test') | Where-Object { $Task -contains $_ }) {
    switch ($t) {
        'Clean' { Invoke-Clean }
        'Build' { Invoke-Build }
        'Docs' { Invoke-Docs }
        'Package' { Invoke-Package }
        'Test' { Invoke-Test }
    }
}
