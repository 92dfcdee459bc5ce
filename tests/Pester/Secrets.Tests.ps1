# Secrets stay secret: a password in a URL, a -Token and the values of Authorization and Cookie headers never show up
# in the journal, -Verbose lines, error records, the default table and list views, or a job's Command; -Resume still
# recognizes the URLs of such a run.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri
    $script:tlsServer = Start-TestServer -Https -NoHostile
    $script:tlsBase = $tlsServer.BaseUri
    $script:secrets = 'Pa55-Secret', 'H3ader-Secret', 'C00kie-Secret', 'T0ken-Secret'
    $script:token = ConvertTo-SecureString 'T0ken-Secret' -AsPlainText -Force

    function Add-Password([string] $Url) { $Url -replace '^(https?)://', '$1://alice:Pa55-Secret@' }

    function Assert-NoSecret([string] $Text, [string] $Where) {
        $Text | Should -Not -BeNullOrEmpty -Because "$Where must have been captured"
        foreach ($secret in $secrets) {
            $Text | Should -Not -Match $secret -Because "$Where must not show $secret"
        }
    }

    function Get-RecordText([System.Management.Automation.ErrorRecord] $Record) {
        # Everything an error record shows: its views, its target, and its message.
        ($Record | Format-List * -Force | Out-String) + ($Record | Out-String) + $Record.CategoryInfo.ToString() + "$($Record.TargetObject)" + $Record.Exception.Message
    }

    function Get-Inputs {
        # https, so the credentials go without -AllowUnencryptedAuthentication; the secrets are never part of a path.
        @(
            "$tlsBase/echo?n=0"                                                                              # gets the -Token
            (Add-Password "$tlsBase/echo?n=1")                                                               # succeeds
            (Add-Password "$tlsBase/redirect-to?url=%2Fecho%3Fn%3D2")                                        # a redirect on the origin
            (New-FetchRequest (Add-Password "$tlsBase/echo?n=3") -Headers @{ Authorization = 'Bearer H3ader-Secret' })
            (Add-Password "https://exa mple.invalid/n=4")                                                   # not a valid URL
            (Add-Password "http://127.0.0.1:$(Get-UnusedPort)/n=5")                                          # refused over plain http
        )
    }
}

AfterAll {
    Stop-TestServer $server
    Stop-TestServer $tlsServer
}

Describe 'A run with secrets in its URLs and headers' {
    BeforeAll {
        $script:journal = Join-Path TestDrive: 'secret.jsonl'
        $all = @(Get-Inputs | Invoke-AsyncFetch -Authentication Bearer -Token $token -Headers @{ Cookie = 'session=C00kie-Secret' } `
            -SkipCertificateCheck -Ordered -JournalPath $journal -Verbose -ErrorVariable script:errs -ErrorAction SilentlyContinue 4>&1)
        $script:results = @($all | Where-Object { $_ -is [AsyncFetch.FetchResult] })
        $script:verbose = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
    }

    It 'sends the credentials and gets the answers it should' {
        $results.Count | Should -Be 6
        $echo = $results[0].Content | ConvertFrom-Json
        $echo.headers.Authorization | Should -BeExactly 'Bearer T0ken-Secret'
        $echo.headers.Cookie | Should -BeExactly 'session=C00kie-Secret'
        ($results[1].Content | ConvertFrom-Json).headers.Authorization | Should -Match '^Basic ' -Because 'the URL''s own user name and password win over the command''s -Token'
        $results[2].RedirectCount | Should -Be 1
        ($results[3].Content | ConvertFrom-Json).headers.Authorization | Should -BeExactly 'Bearer H3ader-Secret'
        $results[4].ErrorKind | Should -Be 'InvalidRequest'
        $results[5].ErrorKind | Should -Be 'InvalidRequest'
        @($errs | ForEach-Object { Get-ErrorId $_ }) | Should -Be @('AsyncFetch.InvalidRequest', 'AsyncFetch.AllowUnencryptedAuthenticationRequired')
    }

    It 'shows URLs as user:***@' {
        $results[1].RequestedUri | Should -BeExactly "$(($tlsBase -replace '^https://', 'https://alice:***@'))/echo?n=1"
        $results[2].Uri.UserInfo | Should -BeExactly 'alice:***'
        $results[2].GetRedirects()[0].Uri.UserInfo | Should -BeExactly 'alice:***'
    }

    It 'keeps them out of the journal' {
        Assert-NoSecret (Get-Content -LiteralPath $journal -Raw) 'the journal'
        @(Get-Content -LiteralPath $journal).Count | Should -Be 6
    }

    It 'keeps them out of the -Verbose lines' {
        $verbose.Count | Should -BeGreaterOrEqual 6
        Assert-NoSecret ($verbose -join "`n") 'the verbose lines'
    }

    It 'keeps them out of the error records' {
        foreach ($e in $errs) { Assert-NoSecret (Get-RecordText $e) "the error record $(Get-ErrorId $e)" }
    }

    It 'keeps them out of the default table and list views and ToString' {
        Assert-NoSecret ($results | Format-Table | Out-String -Width 300) 'Format-Table'
        Assert-NoSecret ($results | Format-List | Out-String -Width 300) 'Format-List'
        Assert-NoSecret ($results | Out-String -Width 300) 'the default output'
        Assert-NoSecret (($results | ForEach-Object ToString) -join "`n") 'FetchResult.ToString'
    }

    It 'keeps them out of a request''s default views' {
        $requests = @(Get-Inputs | Where-Object { $_ -is [AsyncFetch.FetchRequest] }) + @(New-FetchRequest (Add-Password "$tlsBase/x") -Authentication Bearer -Token $token)
        Assert-NoSecret ($requests | Format-Table | Out-String -Width 300) 'New-FetchRequest | Format-Table'
        Assert-NoSecret ($requests | Format-List | Out-String -Width 300) 'New-FetchRequest | Format-List'
        Assert-NoSecret (($requests | ForEach-Object ToString) -join "`n") 'FetchRequest.ToString'
    }

    It 'and -Resume skips the URLs that succeeded' {
        $again = @(Get-Inputs | Invoke-AsyncFetch -Authentication Bearer -Token $token -SkipCertificateCheck -Ordered -JournalPath $journal -Resume -IncludeSkipped -ErrorAction SilentlyContinue)
        $again.Count | Should -Be 6
        @($again | ForEach-Object ErrorKind) | Should -Be @('Skipped', 'Skipped', 'Skipped', 'Skipped', 'InvalidRequest', 'InvalidRequest')
        $again[1].RequestedUri | Should -Match 'alice:\*\*\*@'
    }
}

Describe 'Progress records' {
    It 'show counts, never a URL password or a header value' {
        $ps = [powershell]::Create()
        try {
            $script = 'param($ModulePath, $Url) $ProgressPreference = "Continue"; Import-Module $ModulePath; ' +
                '1..20 | ForEach-Object { New-FetchRequest "$Url&i=$_" -Headers @{ Authorization = "Bearer H3ader-Secret" } } | ' +
                'Invoke-AsyncFetch -ThrottleLimit 4 -SkipCertificateCheck | Measure-Object | ForEach-Object Count'
            $null = $ps.AddScript($script).AddArgument((Get-AsyncFetchModulePath)).AddArgument((Add-Password "$tlsBase/delay/300?p=1"))
            $async = $ps.BeginInvoke()
            $async.AsyncWaitHandle.WaitOne(30000) | Should -BeTrue -Because 'the batch must finish'
            $ps.EndInvoke($async)[0] | Should -Be 20
            $progress = @($ps.Streams.Progress)
            $progress.Count | Should -BeGreaterThan 0
            Assert-NoSecret (($progress | ForEach-Object { $_.Activity; $_.StatusDescription; $_.CurrentOperation; $_ | Out-String }) -join "`n") 'progress'
        }
        finally {
            $ps.Dispose()
        }
    }
}

Describe 'Start-FetchJob' {
    AfterEach { Remove-FetchJobs }

    It 'keeps a password typed on the command line out of the job''s Command, its verbose lines and its errors' {
        $job = Start-FetchJob "https://alice:Pa55-Secret@127.0.0.1:$(Get-UnusedPort)/x" -Verbose
        $job.Command | Should -Match 'alice:\*\*\*@'
        Assert-NoSecret (Get-Job -Id $job.Id | Format-Table -Property * | Out-String -Width 400) 'Get-Job'
        $results = @($job | Receive-FetchJob -Wait -Verbose -ErrorVariable jobErrs -ErrorAction SilentlyContinue 4>&1)
        Assert-NoSecret (($results | ForEach-Object { "$_" }) -join "`n") 'the job''s output and verbose lines'
        $jobErrs.Count | Should -Be 1
        Assert-NoSecret (Get-RecordText $jobErrs[0]) 'the job''s error record'
    }

    It 'keeps credential header values, tokens and passwords typed on the line out of the job''s Command (<Case>)' -ForEach @(
        @{ Case = '-Headers'; Code = '$job = Start-FetchJob $u -Headers @{ Authorization = ''Bearer H3ader-Secret''; Cookie = "sid=C00kie-Secret" }' }
        @{ Case = 'a list of cookies'; Code = '$job = Start-FetchJob $u -Headers @{ Cookie = ''a=C00kie-Secret'', ''b=Pa55-Secret'' }' }
        @{ Case = 'a value set before'; Code = '$t = ''Bearer H3ader-Secret''; $job = Start-FetchJob $u -Headers @{ Authorization = $t }' }
        @{ Case = 'a piped New-FetchRequest'; Code = '$job = New-FetchRequest $u -Headers @{ ''Proxy-Authorization'' = ''Basic H3ader-Secret'' } | Start-FetchJob' }
        @{ Case = 'a -WebSession'; Code = '$s = [AsyncFetch.PowerShell.FetchSession]::new(); $s.Headers[''Cookie''] = ''sid=C00kie-Secret''; $job = Start-FetchJob $u -WebSession $s' }
        @{ Case = '-Token'; Code = '$job = Start-FetchJob $u -Authentication Bearer -Token (ConvertTo-SecureString ''T0ken-Secret'' -AsPlainText -Force) -AllowUnencryptedAuthentication' }
    ) {
        $u = "$base/echo"
        . ([scriptblock]::Create($Code)) # the job's Command is this line
        $job.Command | Should -Match '\*\*\*'
        Assert-NoSecret $job.Command 'the job''s Command'
        Assert-NoSecret (Get-Job -Id $job.Id | Format-List -Property * | Out-String -Width 400) 'Get-Job | Format-List'
        $r = $job | Receive-FetchJob -Wait
        $r.StatusCode | Should -Be 200
        $r.Content | Should -Match 'Secret' -Because 'only what is shown is masked, not what is sent'
    }
}
