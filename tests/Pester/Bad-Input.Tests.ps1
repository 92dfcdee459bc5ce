# Bad input to the cmdlets: invalid values give a clear error with a stable ErrorId, a per-request problem does not
# end the batch, and a password never shows up in an error record.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
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

Describe 'An input whose Url property cannot be read' {
    AfterEach { Remove-FetchJobs }

    It 'Invoke-AsyncFetch: that input fails as AsyncFetch.NoUriProperty (saying why) and the batch goes on' {
        $bad = Get-UnreadableInput
        $inputs = "$base/delay/200?n=1", $bad, "$base/bytes/2?n=3"
        $results = @($inputs | Invoke-AsyncFetch -Ordered -ErrorAction SilentlyContinue -ErrorVariable errs)
        $results.Count | Should -Be 3 -Because 'every input ends as one result, the requests before and after included'
        $results[0].StatusCode | Should -Be 200
        $results[1].ErrorKind | Should -Be 'InvalidRequest'
        [object]::ReferenceEquals($results[1].Input, $bad) | Should -BeTrue
        $results[2].StatusCode | Should -Be 200
        @($errs | ForEach-Object { Get-ErrorId $_ }) | Should -Be @('AsyncFetch.NoUriProperty')
        $errs[0].Exception.Message | Should -Match 'Url'
        $errs[0].Exception.Message | Should -Match 'url getter exploded'
    }

    It 'Start-FetchJob: the same, and the producer is not stopped' {
        $bad = Get-UnreadableInput
        $job = "$base/delay/200?n=1", $bad, "$base/bytes/2?n=3" | Start-FetchJob -Ordered
        Wait-Job $job -Timeout 20 | Should -Not -BeNullOrEmpty -Because 'the job must finish'
        $results = @($job | Receive-FetchJob -Wait -ErrorAction SilentlyContinue -ErrorVariable errs)
        $job.State | Should -Be 'Completed'
        $results.Count | Should -Be 3
        $results[1].ErrorKind | Should -Be 'InvalidRequest'
        $results[2].StatusCode | Should -Be 200
        @($errs | ForEach-Object { Get-ErrorId $_ }) | Should -Be @('AsyncFetch.NoUriProperty')
        $errs[0].Exception.Message | Should -Match 'url getter exploded'
    }
}

Describe 'A host name that IDNA forbids' {
    It 'Invoke-AsyncFetch: a zero-width-space host fails as AsyncFetch.InvalidRequest and the batch goes on' {
        # .NET parses such a host, but converting it to ASCII throws; it ended the whole command before.
        $inputs = "$base/bytes/2?n=1", "http://$([char]0x200B)/x", "$base/bytes/2?n=3"
        $results = @($inputs | Invoke-AsyncFetch -Ordered -ErrorAction SilentlyContinue -ErrorVariable errs)
        $results.Count | Should -Be 3
        $results[0].StatusCode | Should -Be 200
        $results[1].ErrorKind | Should -Be 'InvalidRequest'
        $results[2].StatusCode | Should -Be 200
        @($errs | ForEach-Object { Get-ErrorId $_ }) | Should -Be @('AsyncFetch.InvalidRequest')
    }
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

Describe '-JournalPath that is not a file-system path' {
    BeforeAll {
        $script:processDir = Join-Path TestDrive: 'process-dir'
        New-Item -ItemType Directory $processDir | Out-Null
        $script:processDir = (Resolve-Path $processDir).ProviderPath
    }
    BeforeEach {
        $script:savedDir = [System.Environment]::CurrentDirectory
        [System.Environment]::CurrentDirectory = $processDir
    }
    AfterEach {
        [System.Environment]::CurrentDirectory = $savedDir
        Remove-FetchJobs
    }

    It '<Path>: terminating AsyncFetch.JournalFailed before anything is fetched, and no file anywhere' -ForEach @(
        @{ Path = 'Env:\bad-journal.jsonl' }
        @{ Path = 'Function:\bad-journal.jsonl' }
        @{ Path = 'NoSuchDrive:\bad-journal.jsonl' }
    ) {
        Reset-IdleServer $server
        foreach ($command in 'Invoke-AsyncFetch', 'Start-FetchJob') {
            $err = $null
            try { & $command "$base/bytes/1" -JournalPath $Path -ErrorAction SilentlyContinue | Out-Null } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty -Because "$command must refuse $Path"
            Get-ErrorId $err | Should -Be 'AsyncFetch.JournalFailed'
            $err.Exception.Message | Should -Match ([regex]::Escape($Path.Split(':')[0]))
        }
        @(Get-ChildItem -LiteralPath $processDir).Count | Should -Be 0 -Because 'no journal lands in the process directory'
        (Get-ServerStats $server).total | Should -Be 0 -Because 'nothing is fetched'
    }

    It 'a file-system PSDrive path still works, for the job too' {
        $dir = Join-Path TestDrive: 'journals'
        New-Item -ItemType Directory $dir | Out-Null
        New-PSDrive -Name RevJ -PSProvider FileSystem -Root (Resolve-Path $dir).ProviderPath | Out-Null
        try {
            Invoke-AsyncFetch "$base/bytes/1" -JournalPath 'RevJ:\a.jsonl' | Out-Null
            $job = Start-FetchJob "$base/bytes/2" -JournalPath 'RevJ:\b.jsonl'
            $job | Receive-FetchJob -Wait | Out-Null
            @(Get-Content (Join-Path $dir 'a.jsonl')).Count | Should -Be 1
            @(Get-Content (Join-Path $dir 'b.jsonl')).Count | Should -Be 1
        }
        finally { Remove-PSDrive RevJ }
    }
}
