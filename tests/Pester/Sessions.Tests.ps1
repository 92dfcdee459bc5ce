# Sessions and cookies with Invoke-WebRequest's parameters: -SessionVariable and -WebSession on Invoke-AsyncFetch and
# Start-FetchJob; cookies across the redirects of a request and the requests of a command; a session's headers, user
# agent and credentials; an Invoke-WebRequest WebRequestSession taken as it is; cookie values kept out of verbose
# lines, the journal and the session's default view.
# The server: plain http on 127.0.0.1 and 127.0.0.2 (/cookies echoes the Cookie field, /cookies/set sets and redirects).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri
    $script:base2 = $server.Base2Uri
    $script:alice = [pscredential]::new('alice', (ConvertTo-SecureString 'Alice-S3cret' -AsPlainText -Force))

    function Get-Json($Result) {
        $Result.StatusCode | Should -Be 200 -Because "$($Result.ErrorKind) $($Result.ErrorMessage)"
        $Result.Content | ConvertFrom-Json
    }

    function Get-Cookies($Result) { (Get-Json $Result).cookies }
}

AfterAll {
    Stop-TestServer $server
}

Describe 'Cookies without a session' {
    It 'a cookie set by a redirect response goes with the redirect' {
        $r = Invoke-AsyncFetch "$base/cookies/set?x=1"
        $r.RedirectCount | Should -Be 1
        (Get-Cookies $r).x | Should -Be '1'
    }

    It 'a cookie set by one request goes with the later requests of the same command' {
        $results = @("$base/cookies/set?batch=b1", "$base/cookies", "$base/cookies" | Invoke-AsyncFetch -ThrottleLimit 1 -Ordered)
        $results.Count | Should -Be 3
        (Get-Cookies $results[1]).batch | Should -Be 'b1'
        (Get-Cookies $results[2]).batch | Should -Be 'b1'
    }

    It 'each command has a jar of its own' {
        $null = Invoke-AsyncFetch "$base/cookies/set?own=1"
        @((Get-Cookies (Invoke-AsyncFetch "$base/cookies")).PSObject.Properties).Count | Should -Be 0
    }
}

Describe '-SessionVariable and -WebSession' {
    It '-SessionVariable creates a FetchSession whose cookies a later -WebSession sends' {
        $null = Invoke-AsyncFetch "$base/cookies/set?sid=abc" -SessionVariable s
        $s | Should -BeOfType ([AsyncFetch.PowerShell.FetchSession])
        $s.Cookies.Count | Should -Be 1
        (Get-Cookies (Invoke-AsyncFetch "$base/cookies" -WebSession $s)).sid | Should -Be 'abc'
        # Cookies follow the container's rules: 127.0.0.2 is another host.
        @((Get-Cookies (Invoke-AsyncFetch "$base2/cookies" -WebSession $s)).PSObject.Properties).Count | Should -Be 0
        $null = Invoke-AsyncFetch "$base/cookies/delete?sid" -WebSession $s
        $s.Cookies.Count | Should -Be 0
    }

    It 'the alias SV works and the variable may be given with its $' {
        $null = Invoke-AsyncFetch "$base/cookies/set?a=1" -SV '$viaAlias'
        $viaAlias.Cookies.Count | Should -Be 1
    }

    It 'stores the command''s headers and user agent in the session; a later command''s own header wins' {
        $null = Invoke-AsyncFetch "$base/echo" -SessionVariable s -Headers @{ 'X-Session' = 'one'; 'X-Other' = 'o' } -UserAgent 'SessionAgent/1.0'
        $s.Headers['X-Session'] | Should -Be 'one'
        $s.UserAgent | Should -Be 'SessionAgent/1.0'
        $echo = Get-Json (Invoke-AsyncFetch "$base/echo" -WebSession $s)
        $echo.headers.'X-Session' | Should -Be 'one'
        $echo.headers.'User-Agent' | Should -Be 'SessionAgent/1.0'
        $echo = Get-Json (Invoke-AsyncFetch "$base/echo" -WebSession $s -Headers @{ 'X-Session' = 'two' } -UserAgent 'Other/2')
        $echo.headers.'X-Session' | Should -Be 'two'
        $echo.headers.'X-Other' | Should -Be 'o'
        $echo.headers.'User-Agent' | Should -Be 'Other/2'
        $s.Headers['X-Session'] | Should -Be 'two'
    }

    It 'keeps -Credential and answers a later challenge with it' {
        $null = Invoke-AsyncFetch "$base/echo" -SessionVariable s -Credential $alice -AllowUnencryptedAuthentication
        $s.Credentials.UserName | Should -Be 'alice'
        $r = Invoke-AsyncFetch "$base/basic-auth/alice/Alice-S3cret" -WebSession $s -AllowUnencryptedAuthentication
        (Get-Json $r).user | Should -Be 'alice'
        # Over plain http the session's credentials need the switch too, as -Credential does: the request is not sent.
        $r = Invoke-AsyncFetch "$base/basic-auth/alice/Alice-S3cret" -WebSession $s -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.StatusCode | Should -Be 0
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'AsyncFetch.AllowUnencryptedAuthenticationRequired*'
    }

    It 'refuses -WebSession with -SessionVariable (AsyncFetch.SessionConflict)' {
        $s = [AsyncFetch.PowerShell.FetchSession]::new()
        { Invoke-AsyncFetch "$base/echo" -WebSession $s -SessionVariable other } | Should -Throw -ErrorId 'AsyncFetch.SessionConflict*'
    }

    It 'refuses an object that is no session' {
        { Invoke-AsyncFetch "$base/echo" -WebSession 'nope' } | Should -Throw -ErrorId 'ParameterArgumentTransformationError*'
    }
}

Describe 'Sessions in jobs' {
    AfterEach { Remove-FetchJobs }

    It 'Start-FetchJob -WebSession sends the session''s cookies and stores the job''s' {
        $null = Invoke-AsyncFetch "$base/cookies/set?before=1" -SessionVariable s
        $job = "$base/cookies/set?injob=2" | Start-FetchJob -WebSession $s
        $r = Receive-FetchJob $job -Wait
        (Get-Cookies $r).before | Should -Be '1'
        (Get-Cookies $r).injob | Should -Be '2'
        (Get-Cookies (Invoke-AsyncFetch "$base/cookies" -WebSession $s)).injob | Should -Be '2'
    }

    It 'Start-FetchJob -SessionVariable sets the variable when the job starts' {
        $job = "$base/cookies/set?j=3" | Start-FetchJob -SessionVariable js
        $js | Should -BeOfType ([AsyncFetch.PowerShell.FetchSession])
        $null = Receive-FetchJob $job -Wait
        (Get-Cookies (Invoke-AsyncFetch "$base/cookies" -WebSession $js)).j | Should -Be '3'
    }
}

Describe 'An Invoke-WebRequest session' {
    It 'is taken by -WebSession: its cookies, headers and user agent go along, and cookies come back into it' {
        $null = Invoke-WebRequest "$base/cookies/set?fromiwr=1" -SessionVariable w -Headers @{ 'X-Iwr' = 'yes' } -UserAgent 'IwrAgent/1'
        $echo = Get-Json (Invoke-AsyncFetch "$base/echo" -WebSession $w)
        $echo.headers.'X-Iwr' | Should -Be 'yes'
        $echo.headers.'User-Agent' | Should -Be 'IwrAgent/1'
        (Get-Cookies (Invoke-AsyncFetch "$base/cookies" -WebSession $w)).fromiwr | Should -Be '1'
        $null = Invoke-AsyncFetch "$base/cookies/set?fromfetch=2" -WebSession $w
        ((Invoke-WebRequest "$base/cookies" -WebSession $w).Content | ConvertFrom-Json).cookies.fromfetch | Should -Be '2'
    }
}

Describe 'Cookie values stay out of sight' {
    It 'is not in verbose lines, the journal or the session''s default view' {
        $value = 'C00kieV4lue-Secret'
        $null = Invoke-AsyncFetch "$base/cookies/set?c=$value" -SessionVariable s
        $journal = Join-Path $TestDrive 'cookies.jsonl'
        $out = @(Invoke-AsyncFetch "$base/cookies", "$base/redirect/1" -WebSession $s -JournalPath $journal -Verbose 4>&1)
        $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $verbose.Count | Should -BeGreaterThan 0
        ($verbose | Out-String) | Should -Not -Match $value
        Get-Content $journal -Raw | Should -Not -Match $value
        ($s | Out-String) | Should -Not -Match $value
        ($s | Out-String) | Should -Match '1 cookie'
        $s.Headers['Cookie'] = "hand=$value"
        ($s | Out-String) | Should -Not -Match $value
        $s.Headers.Remove('Cookie')
        ($s | Format-List * | Out-String) | Should -Not -Match $value
        "$s" | Should -Not -Match $value
    }
}
