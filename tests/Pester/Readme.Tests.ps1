# The README's examples are real: every block marked <!-- readme-example --> (and the scheduled script,
# <!-- readme-script: name -->) runs against the loopback test server, with only the host changed;
# <!-- readme-file: name --> blocks become the files the examples read.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    $script:blocks = @(Get-ReadmeBlock | ForEach-Object { @{ Kind = $_.Kind; Name = $_.Name; Code = $_.Code } })
    $script:examples = @($blocks | Where-Object Kind -eq 'example' | ForEach-Object -Begin { $i = 0 } -Process { $_ + @{ Index = ++$i } })
    $script:scripts = @($blocks | Where-Object Kind -eq 'script')
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    $script:modulePath = Get-AsyncFetchModulePath
    Import-Module $modulePath -Force
    $script:server = Start-TestServer -NoHostile
    function script:Set-Host([string] $text) { $text.Replace('http://127.0.0.1:8080', $server.BaseUri) }
    Push-Location TestDrive:
    foreach ($file in Get-ReadmeBlock | Where-Object Kind -eq 'file') {
        Set-Content -Path (Join-Path (Get-Location) $file.Name) -Value (Set-Host $file.Code)
    }
}

AfterAll {
    Get-Job | Where-Object PSJobTypeName -eq 'FetchJob' | Remove-Job -Force
    Pop-Location
    Stop-TestServer $script:server
}

Describe 'README' {
    It 'has examples to run' {
        $examples.Count | Should -BeGreaterOrEqual 3
        $scripts.Count | Should -BeGreaterOrEqual 1
    }

    It 'example <Index> runs and produces output' -ForEach $examples {
        $code = Set-Host $Code
        $ErrorActionPreference = 'Continue'   # as in a user's session: failed requests are non-terminating errors
        $output = & ([scriptblock]::Create($code)) 2>$null
        @($output).Count | Should -BeGreaterThan 0
        if ($code -match 'Export-Csv results\.csv') {
            $rows = Import-Csv (Join-Path (Get-Location) 'results.csv')
            $rows.Count | Should -Be 5
            @($rows | Where-Object StatusCode -eq '200').Count | Should -Be 3
        }
        if ($code -match '-OnComplete') {
            ($output -match '^200 ').Count | Should -Be 3
            ($output -match '^404 ').Count | Should -Be 1
        }
    }

    It 'the scheduled script <Name> reports and exits 1 when something failed' -ForEach $scripts {
        Set-Content -Path (Join-Path (Get-Location) $Name) -Value (Set-Host $Code)
        $env:PSModulePath = (Split-Path $modulePath) + [IO.Path]::PathSeparator + $env:PSModulePath
        $here = (Get-Location).ProviderPath   # a native process needs the file-system path, not TestDrive:
        $out = & pwsh -NoProfile -NonInteractive -WorkingDirectory $here -File (Join-Path $here $Name) 2>&1
        $LASTEXITCODE | Should -Be 1
        $out | Should -Contain '5 checked, 2 failed, 0 skipped'
        (Import-Csv (Join-Path (Get-Location) 'report.csv')).Count | Should -Be 5
        $again = & pwsh -NoProfile -NonInteractive -WorkingDirectory $here -File (Join-Path $here $Name) 2>&1
        $LASTEXITCODE | Should -Be 1
        $again | Should -Contain '5 checked, 2 failed, 3 skipped'
        (Import-Csv (Join-Path (Get-Location) 'report.csv')).Count | Should -Be 5 -Because 'the skipped URLs are in the report too'
    }

    It 'the scheduled script <Name> exits non-zero when another run holds its journal' -ForEach $scripts {
        Set-Content -Path (Join-Path (Get-Location) $Name) -Value (Set-Host $Code)
        $env:PSModulePath = (Split-Path $modulePath) + [IO.Path]::PathSeparator + $env:PSModulePath
        $here = (Get-Location).ProviderPath
        $journal = [regex]::Match($Code, '-JournalPath\s+(\S+)').Groups[1].Value
        $journal | Should -Not -BeNullOrEmpty
        $lock = [System.IO.FileStream]::new((Join-Path $here "$journal.lock"), 'OpenOrCreate', 'ReadWrite', 'None')
        try {
            $null = & pwsh -NoProfile -NonInteractive -WorkingDirectory $here -File (Join-Path $here $Name) 2>&1
            $LASTEXITCODE | Should -Not -Be 0 -Because 'a run that never happened must not look like a success to the scheduler'
        }
        finally {
            $lock.Dispose()
        }
    }
}
