<#
.SYNOPSIS
    Builds, tests, documents, packages and demonstrates AsyncFetch.

.DESCRIPTION
    The one entry point for contributors and users building from source. On a machine with only the .NET SDK,
    `dotnet tool restore` installs the pinned PowerShell (.config/dotnet-tools.json) and `dotnet pwsh` runs it:

        dotnet pwsh ./build.ps1                 # Build: compile and lay the module out under out/AsyncFetch/<version>/
        dotnet pwsh ./build.ps1 -Task Demo      # Build, start the loopback test server, run the README's three uses against it
        dotnet pwsh ./build.ps1 -Task Test      # Build, then run the xunit suites and every Pester suite
        dotnet pwsh ./build.ps1 -Task Docs      # regenerate module/en-US (MAML and about help) from docs/en-US (needs platyPS)
        dotnet pwsh ./build.ps1 -Task Package   # Build, then zip the module into out/AsyncFetch-<version>.zip
        dotnet pwsh ./build.ps1 -Task Clean     # remove out/ and every bin/ and obj/

    A pwsh already on PATH works the same way (`./build.ps1 -Task Test`).
    Help ships with every build: the MAML and about topic generated from docs/en-US are committed in module/en-US,
    and a Pester test fails when they disagree with the markdown.
    Pester: an installed Pester 5 is used; otherwise the version pinned in tools/Tools.csproj is restored from NuGet
    (`dotnet restore tools/Tools.csproj`) and imported from the package's tools/ folder. The script says which one ran.
    Pester runs in a child pwsh (so the module DLL is never locked here) whose working directory is a temporary folder.
    Test results go to out/TestResults (xunit: *.trx, Pester: pester.xml in NUnit format); the last line
    printed is "N passed, N failed", counted from those files.

.PARAMETER Task
    One or more of Clean, Docs, Build, Package, Test, Demo, run in that order.

.PARAMETER Configuration
    Release (default) or Debug.

.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Demo

.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Docs', 'Package', 'Clean', 'Demo')]
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

# The pwsh that runs this script, for child processes: the same one, also when it came from `dotnet pwsh`
# (then the process is dotnet, and pwsh's own apphost sits in $PSHOME). Its folder goes first on PATH, so that
# tests, examples and the demo that start `pwsh` by name get this one.
$PwshPath = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
if (-not (Test-Path $PwshPath)) { $PwshPath = (Get-Command pwsh -ErrorAction Stop).Source }
$env:PATH = (Split-Path $PwshPath) + [IO.Path]::PathSeparator + $env:PATH

function Get-PesterManifest {
    # An installed Pester 5, else the one pinned in tools/Tools.csproj, restored from NuGet. No Gallery needed.
    $installed = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version.Major -eq 5 } |
        Sort-Object Version -Descending | Select-Object -First 1
    if ($installed) {
        Write-Host "Pester $($installed.Version): installed ($($installed.Path))"
        return $installed.Path
    }
    $toolsProject = Join-Path $Root 'tools/Tools.csproj'
    $pinned = ([xml](Get-Content $toolsProject -Raw)).Project.ItemGroup.PackageDownload |
        Where-Object Include -eq 'Pester' | ForEach-Object { $_.Version.Trim('[', ']') }
    Invoke-Native dotnet @('restore', $toolsProject, '-nologo', '-v', 'quiet')
    $packages = (& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    $manifest = Join-Path $packages.Trim() "pester/$pinned/tools/Pester.psd1"
    if (-not (Test-Path $manifest)) { throw "Pester $pinned was restored from NuGet, but $manifest is missing." }
    Write-Host "Pester ${pinned}: from NuGet ($manifest)"
    $manifest
}

function Get-ReleaseNotes {
    # The section of CHANGELOG.md for the version being built ("## <version>" up to the next "## ").
    $text = Get-Content (Join-Path $Root 'CHANGELOG.md') -Raw
    $m = [regex]::Match($text, "(?ms)^## $([regex]::Escape($Version))\s*\r?\n(?<notes>.*?)(?=^## |\z)")
    if (-not $m.Success) { throw "CHANGELOG.md has no '## $Version' section: say what this version changes there." }
    $m.Groups['notes'].Value.Trim()
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
    $notes = Get-ReleaseNotes
    $manifest = $manifest -replace "ReleaseNotes\s*=\s*''", ("ReleaseNotes = '" + $notes.Replace("'", "''") + "'")
    Set-Content -Path (Join-Path $ModuleDir 'AsyncFetch.psd1') -Value $manifest -Encoding utf8
    Get-ChildItem (Join-Path $Root 'module') -Exclude AsyncFetch.psd1 | Copy-Item -Destination $ModuleDir -Recurse
    Write-Host "Module laid out in $ModuleDir (Import-Module $ModuleBase)"
}

function Invoke-Docs {
    # Regenerates the help the module ships (module/en-US, committed) from docs/en-US. platyPS is not needed to build
    # or test: only to regenerate. A Pester test (Help.Tests.ps1) fails when module/en-US disagrees with the markdown.
    $source = Join-Path $Root 'docs/en-US'
    $dest = Join-Path $Root 'module/en-US'
    $platyPS = Get-Module -ListAvailable -Name platyPS | Sort-Object Version -Descending | Select-Object -First 1
    if (-not $platyPS) {
        throw "platyPS is not installed (not on PSModulePath), so module/en-US was not regenerated from docs/en-US. Install platyPS 0.14 or put its folder on PSModulePath, then run -Task Docs again."
    }
    # In a child process, so this one never loads platyPS's assemblies. New-ExternalHelp reads only the markdown; it
    # turns the about topic (about_*.md) into about_AsyncFetch.help.txt itself.
    Invoke-Native $PwshPath @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$($platyPS.Path)'; New-ExternalHelp -Path '$source' -OutputPath '$dest' -Force -Encoding ([System.Text.UTF8Encoding]::new(`$false)) | Out-Null")
    Write-Host "Help regenerated in $dest with platyPS $($platyPS.Version); build again to lay it out."
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

    $pesterTests = @(Get-ChildItem (Join-Path $Root 'tests') -Filter *.Tests.ps1 -Recurse)
    if ($pesterTests.Count -eq 0) { throw 'No Pester suites found in tests/.' }
    $pester = Get-PesterManifest
    $suites += 'pester'
    # The child's working directory is a fresh temporary folder: a test that writes to a relative path by mistake
    # writes there, never into the repository.
    $work = Join-Path ([IO.Path]::GetTempPath()) ('asyncfetch-pester-' + [guid]::NewGuid().ToString('n'))
    New-Item -ItemType Directory -Path $work | Out-Null
    $script = @"
Import-Module '$pester' -ErrorAction Stop
`$c = New-PesterConfiguration
`$c.Run.Path = '$(Join-Path $Root 'tests')'
`$c.Run.Exit = `$false
`$c.Output.Verbosity = 'Normal'
`$c.TestResult.Enabled = `$true
`$c.TestResult.OutputFormat = 'NUnitXml'
`$c.TestResult.OutputPath = '$(Join-Path $ResultsDir 'pester.xml')'
Invoke-Pester -Configuration `$c | Out-Null
"@
    try {
        & $PwshPath -NoProfile -NonInteractive -WorkingDirectory $work -Command $script
    }
    finally {
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }
    if (-not (Test-Path (Join-Path $ResultsDir 'pester.xml'))) { throw 'The Pester run wrote no result file (out/TestResults/pester.xml): see the output above.' }

    $counts = Get-TestCounts
    Write-Host "Suites run: $($suites -join ', ')"
    if ($xunitExit -ne 0 -and $counts.Failed -eq 0) { throw "dotnet test failed (exit $xunitExit) without failing tests: see the output above." }
    Write-Host "$($counts.Passed) passed, $($counts.Failed) failed"
    if ($counts.Failed -gt 0) { exit 1 }
}

function Invoke-Package {
    Invoke-Build
    $zip = Join-Path $OutRoot "AsyncFetch-$Version.zip"
    if (Test-Path $zip) { Remove-Item $zip }
    Compress-Archive -Path $ModuleBase -DestinationPath $zip
    Write-Host "Package: $zip"
}

function Invoke-Demo {
    # The README's three uses, for real: the project's loopback test server on 127.0.0.1:8080 (another free port when
    # 8080 is taken), the README's urls.txt in a temporary folder, each example run as printed there, and the
    # scheduled script run twice in a fresh pwsh to show the journal's resume. The server and the folder go afterwards.
    Invoke-Build
    Import-Module (Join-Path $Root 'tests/Pester/Support/TestHelpers.psm1') -Force
    $port = 8080
    try { $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $port); $probe.Start(); $probe.Stop() }
    catch { $port = 0 }
    $server = Start-TestServer -NoHostile -Port $port
    $work = Join-Path ([IO.Path]::GetTempPath()) ('asyncfetch-demo-' + [guid]::NewGuid().ToString('n'))
    New-Item -ItemType Directory -Path $work | Out-Null
    $savedModulePath = $env:PSModulePath
    Push-Location $work
    try {
        $fixHost = { param([string] $Text) $Text.Replace('http://127.0.0.1:8080', $server.BaseUri) }
        Write-Host "Test server: $($server.BaseUri)$(if ($port -eq 0) { ' (port 8080 is taken; the examples use this one)' })"
        Write-Host "Working folder: $work"
        $env:PSModulePath = $OutRoot + [IO.Path]::PathSeparator + $env:PSModulePath
        Import-Module $ModuleBase -Force
        $blocks = @(Get-ReadmeBlock -Path (Join-Path $Root 'README.md'))
        foreach ($file in $blocks | Where-Object Kind -eq 'file') {
            Set-Content -Path (Join-Path $work $file.Name) -Value (& $fixHost $file.Code)
            Write-Host "`n== $($file.Name)" -ForegroundColor Cyan
            Get-Content (Join-Path $work $file.Name) | Out-Host
        }
        foreach ($example in $blocks | Where-Object Kind -eq 'example') {
            $code = & $fixHost $example.Code
            $ErrorActionPreference = 'Continue'   # as in a user's session: a failed request is a non-terminating error
            Write-Host "`n== PS> $($code.Trim() -replace "`n", "`n   ")" -ForegroundColor Cyan
            & ([scriptblock]::Create($code)) | Out-Host
        }
        foreach ($scheduled in $blocks | Where-Object Kind -eq 'script') {
            $path = Join-Path $work $scheduled.Name
            Set-Content -Path $path -Value (& $fixHost $scheduled.Code)
            foreach ($run in 1, 2) {
                Write-Host "`n== PS> pwsh -NoProfile -NonInteractive -File ./$($scheduled.Name); `$LASTEXITCODE$(if ($run -eq 2) { '    # again: what succeeded is skipped' })" -ForegroundColor Cyan
                & $PwshPath -NoProfile -NonInteractive -WorkingDirectory $work -File $path | Out-Host
                Write-Host $LASTEXITCODE
            }
        }
    }
    finally {
        Pop-Location
        $env:PSModulePath = $savedModulePath
        Get-Job | Where-Object PSJobTypeName -eq 'FetchJob' | Remove-Job -Force
        Stop-TestServer $server
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}

foreach ($t in @('Clean', 'Docs', 'Build', 'Package', 'Test', 'Demo') | Where-Object { $Task -contains $_ }) {
    switch ($t) {
        'Clean' { Invoke-Clean }
        'Build' { Invoke-Build }
        'Docs' { Invoke-Docs }
        'Package' { Invoke-Package }
        'Test' { Invoke-Test }
        'Demo' { Invoke-Demo }
    }
}
