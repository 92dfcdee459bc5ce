# Regression tests from the session-3 review of the PowerShell layer (FetchCommandBase, RequestBuilder,
# OutputPaths): invalid values give a clear error with a stable ErrorId, a per-request problem does not end the
# batch, and a password never shows up in an error record. Each test failed before its fix.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri

    function Get-UnreadableInput {
        # An input whose Url property throws when read (a ScriptProperty; a .NET getter that throws is the same).
        [pscustomobject]@{ Name = 'unreadable' } | Add-Member -PassThru -MemberType ScriptProperty -Name Url -Value { throw 'url getter exploded' }
    }

    function Get-RecordText([System.Management.Automation.ErrorRecord] $Record) {
        # Everything an error record shows: its views, its target, and its message.
        ($Record | Format-List * -Force | Out-String) + $Record.CategoryInfo.ToString() + "$($Record.TargetObject)" + $Record.Exception.Message
    }
}

AfterAll {
    Stop-TestServer $server
}

Describe '-Proxy errors do not show the proxy password' {
    It '<Command> <Case>: AsyncFetch.InvalidProxy, without the password anywhere in the record' -ForEach @(
        @{ Command = 'Invoke-AsyncFetch'; Case = 'https:// proxy'; Extra = @{ Proxy = 'https://alice:Pr0xyS3cret@proxy.invalid:3128' } }
        @{ Command = 'Invoke-AsyncFetch'; Case = '-Proxy with -NoProxy'; Extra = @{ Proxy = 'http://alice:Pr0xyS3cret@proxy.invalid:3128'; NoProxy = $true } }
        @{ Command = 'Start-FetchJob'; Case = 'socks5:// proxy'; Extra = @{ Proxy = 'socks5://alice:Pr0xyS3cret@proxy.invalid:1080' } }
    ) {
        $err = $null
        try { & $Command "$base/bytes/1" @Extra -ErrorAction Stop | Out-Null } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        Get-ErrorId $err | Should -Be 'AsyncFetch.InvalidProxy'
        Get-RecordText $err | Should -Not -Match 'Pr0xyS3cret'
        "$($err.TargetObject)" | Should -Match 'proxy\.invalid' -Because 'the target still names the proxy'
        @(Get-Job | Where-Object PSJobTypeName -eq 'FetchJob').Count | Should -Be 0 -Because 'no job starts'
    }
}

