# Sessions and cookies with Invoke-WebRequest's parameters: -SessionVariable and -WebSession on Invoke-AsyncFetch and
# Start-FetchJob; cookies across the redirects of a request and the requests of a command; a session's headers, user
# agent and credentials; an Invoke-WebRequest WebRequestSession taken as it is (its proxy, through a private
# tinyproxy, and its certificates too); cookie values kept out of verbose lines, the journal and the session's default
# view.
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

Describe 'The proxy and certificates of an Invoke-WebRequest session' {
    # A private tinyproxy on 127.0.0.1 (as in Http-Proxy.Tests.ps1); the proxy tests are skipped without one.
    BeforeAll {
        $script:tinyproxyPath = Get-TinyproxyPath
        $script:skipReason = (Get-Module TestHelpers).Invoke({ $script:TinyproxyUnavailable })
        $script:proxy = $null
        $script:authProxy = $null
        if ($tinyproxyPath) {
            $script:proxy = Start-Tinyproxy -Path $tinyproxyPath
            $script:authProxy = Start-Tinyproxy -Path $tinyproxyPath -User 'sessuser' -Password 'Sess-Pr0xy'
        }
        $script:proxyCredential = [pscredential]::new('sessuser', (ConvertTo-SecureString 'Sess-Pr0xy' -AsPlainText -Force))
        # The proxy environment variables would fill in a session that has no proxy: none while these run.
        $script:savedProxyEnvironment = @{}
        foreach ($name in 'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy') {
            $savedProxyEnvironment[$name] = [Environment]::GetEnvironmentVariable($name)
            [Environment]::SetEnvironmentVariable($name, $null)
        }

        function Skip-WithoutProxy {
            if (-not $script:tinyproxyPath) { Set-ItResult -Skipped -Because $script:skipReason; return $true }
            $false
        }

        function Get-ProxyLog($p) { Get-Content $p.Log -Raw -ErrorAction SilentlyContinue }
    }

    AfterAll {
        foreach ($name in $savedProxyEnvironment.Keys) { [Environment]::SetEnvironmentVariable($name, $savedProxyEnvironment[$name]) }
        Stop-Tinyproxy $proxy
        Stop-Tinyproxy $authProxy
    }

    It 'a session made with -Proxy sends AsyncFetch''s requests through that proxy (loopback ones as its proxy object says)' {
        if (Skip-WithoutProxy) { return }
        $null = Invoke-WebRequest "$base/json" -SessionVariable w -Proxy $proxy.Uri
        # A name nobody resolves: only the proxy sees it (tinyproxy answers with an error of its own).
        $r = Invoke-AsyncFetch 'http://iwr-session.invalid/echo?via=iwr-proxy' -WebSession $w -ErrorAction SilentlyContinue
        $r.ErrorKind | Should -Not -Be 'Dns' -Because 'the name is the proxy''s to resolve, not ours'
        $r.Proxy | Should -Be $proxy.Uri
        $r.RemoteEndPoint | Should -Be "127.0.0.1:$($proxy.Port)"
        Get-ProxyLog $proxy | Should -Match ([regex]::Escape('GET http://iwr-session.invalid/echo?via=iwr-proxy'))
        # PowerShell 7.4+ (and Windows PowerShell) send loopback destinations direct; 7.0 to 7.3 through the proxy.
        $bypassed = $w.Proxy.IsBypassed([uri]$base)
        $local = Invoke-AsyncFetch "$base/echo?via=iwr-loopback" -WebSession $w
        $local.StatusCode | Should -Be 200
        if ($bypassed) {
            $local.Proxy | Should -BeNullOrEmpty
            Get-ProxyLog $proxy | Should -Not -Match 'via=iwr-loopback'
        } else {
            $local.Proxy | Should -Be $proxy.Uri
        }
    }

    It 'a session made with -Proxy and -ProxyCredential sends the proxy credentials' {
        if (Skip-WithoutProxy) { return }
        $null = Invoke-WebRequest "$base/json" -SessionVariable w -Proxy $authProxy.Uri -ProxyCredential $proxyCredential
        $r = Invoke-AsyncFetch 'http://iwr-session.invalid/echo?via=iwr-auth' -WebSession $w -ErrorAction SilentlyContinue
        $r.Proxy | Should -Be $authProxy.Uri
        $r.StatusCode | Should -Not -Be 407 -Because 'the session''s proxy credentials go along'
        Get-ProxyLog $authProxy | Should -Match ([regex]::Escape('GET http://iwr-session.invalid/echo?via=iwr-auth'))
        $null = Invoke-WebRequest "$base/json" -SessionVariable bare -Proxy $authProxy.Uri
        (Invoke-AsyncFetch 'http://iwr-session.invalid/echo?via=iwr-noauth' -WebSession $bare -ErrorAction SilentlyContinue).StatusCode | Should -Be 407
    }

    It 'a System.Net.WebProxy (Windows PowerShell''s proxy type) in a session is used, with its credentials' {
        if (Skip-WithoutProxy) { return }
        $w = [Microsoft.PowerShell.Commands.WebRequestSession]::new()
        $w.Proxy = [System.Net.WebProxy]::new([uri]$authProxy.Uri)
        $w.Proxy.Credentials = $proxyCredential.GetNetworkCredential()
        $r = Invoke-AsyncFetch 'http://iwr-session.invalid/echo?via=net-webproxy' -WebSession $w -ErrorAction SilentlyContinue
        $r.Proxy | Should -Be $authProxy.Uri
        $r.StatusCode | Should -Not -Be 407
        Get-ProxyLog $authProxy | Should -Match ([regex]::Escape('GET http://iwr-session.invalid/echo?via=net-webproxy'))
    }

    It 'a session made with -Certificate offers that certificate' {
        $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
        $made = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=iwr-session', $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256).CreateSelfSigned([datetimeoffset]::UtcNow.AddDays(-1), [datetimeoffset]::UtcNow.AddDays(1))
        $null = Invoke-WebRequest "$base/json" -SessionVariable w -Certificate $made
        $request = New-FetchRequest "$base/echo" -WebSession $w
        @($request.ClientCertificates | ForEach-Object GetCertHashString) | Should -Be @($made.GetCertHashString())
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

Describe 'Sessions across runs (-SessionPath, Save and Load)' {
    BeforeAll {
        $script:pwshPath = (Get-Process -Id $PID).Path
        $script:modulePath = Get-AsyncFetchModulePath

        # Runs a script in a new pwsh process, as a scheduler would start the next run.
        function Invoke-NextRun([string] $Script) {
            $file = Join-Path (Resolve-Path TestDrive:).ProviderPath "run-$([guid]::NewGuid().ToString('N')).ps1"
            "Import-Module '$modulePath'`n$Script" | Set-Content -LiteralPath $file
            $out = & $pwshPath -NoProfile -NonInteractive -File $file 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($out | Out-String)
            $out
        }
    }

    It 'a cookie got in one process is sent by the next process that uses the same -SessionPath' {
        $path = Join-Path (Resolve-Path TestDrive:).ProviderPath 'site.session'
        Invoke-NextRun "`$null = Invoke-AsyncFetch '$base/cookies/set?login=tok123' -SessionPath '$path'" | Out-Null
        Test-Path -LiteralPath $path | Should -BeTrue
        $echo = Invoke-NextRun "(Invoke-AsyncFetch '$base/cookies' -SessionPath '$path').Content"
        (($echo | Out-String) | ConvertFrom-Json).cookies.login | Should -Be 'tok123'
    }

    It 'the saved file is readable by its owner only on Linux and macOS, and holds no credentials' -Skip:($IsWindows -or $PSVersionTable.PSVersion.Major -lt 6) {
        $path = Join-Path (Resolve-Path TestDrive:).ProviderPath 'private.session'
        $null = Invoke-AsyncFetch "$base/cookies/set?p=1" -SessionPath $path -Credential $alice -AllowUnencryptedAuthentication
        (Get-Item -LiteralPath $path).UnixMode | Should -Be '-rw-------'
        Get-Content -LiteralPath $path -Raw | Should -Not -Match 'Alice-S3cret|alice'
    }

    It 'the session of -SessionPath is also the -SessionVariable, and a later run adds to the file' {
        $path = Join-Path (Resolve-Path TestDrive:).ProviderPath 'grow.session'
        $null = Invoke-AsyncFetch "$base/cookies/set?one=1" -SessionPath $path -SessionVariable first
        $first.Cookies.Count | Should -Be 1
        $null = Invoke-AsyncFetch "$base/cookies/set?two=2" -SessionPath $path
        $cookies = Get-Cookies (Invoke-AsyncFetch "$base/cookies" -SessionPath $path)
        $cookies.one | Should -Be '1'
        $cookies.two | Should -Be '2'
    }

    It 'a fetch job saves its session when it finishes' {
        $path = Join-Path (Resolve-Path TestDrive:).ProviderPath 'job.session'
        $job = Start-FetchJob "$base/cookies/set?fromjob=j1" -SessionPath $path
        $null = Receive-FetchJob $job -Wait -AutoRemoveJob
        Test-Path -LiteralPath $path | Should -BeTrue
        (Get-Cookies (Invoke-AsyncFetch "$base/cookies" -SessionPath $path)).fromjob | Should -Be 'j1'
    }

    It 'Save and Load keep cookies (domain, path, expiry, flags), headers and user agent, and drop expired cookies and credentials' {
        $s = [AsyncFetch.PowerShell.FetchSession]::new()
        $s.Headers['X-Api-Version'] = '2'
        $s.UserAgent = 'nightly/1.0'
        $s.Credentials = $alice.GetNetworkCredential()
        $hostOnly = [System.Net.Cookie]::new('h', 'v1', '/')
        $s.Cookies.Add([uri]'http://127.0.0.1/', $hostOnly)
        $domain = [System.Net.Cookie]::new('d', 'v2', '/app', '.example.test')
        $domain.Expires = [datetime]::UtcNow.AddDays(3)
        $domain.Secure = $true
        $domain.HttpOnly = $true
        $s.Cookies.Add($domain)
        $old = [System.Net.Cookie]::new('old', 'gone', '/', '.example.test')
        $old.Expires = [datetime]::UtcNow.AddSeconds(1)
        $s.Cookies.Add($old)
        Start-Sleep -Milliseconds 1100
        $path = Join-Path (Resolve-Path TestDrive:).ProviderPath 'roundtrip.session'
        $s.Save($path)

        $back = [AsyncFetch.PowerShell.FetchSession]::Load($path)
        $back.Headers['X-Api-Version'] | Should -Be '2'
        $back.UserAgent | Should -Be 'nightly/1.0'
        $back.Credentials | Should -BeNullOrEmpty
        $back.Cookies.Count | Should -Be 2
        $back.Cookies.GetCookies([uri]'http://127.0.0.1/x')['h'].Value | Should -Be 'v1'
        $back.Cookies.GetCookies([uri]'http://127.0.0.2/x').Count | Should -Be 0 -Because 'a host-only cookie stays host-only'
        $d = $back.Cookies.GetCookies([uri]'https://www.example.test/app/page')['d']
        $d.Value | Should -Be 'v2'
        $d.HttpOnly | Should -BeTrue
        $d.Expires.ToUniversalTime() | Should -BeGreaterThan ([datetime]::UtcNow.AddDays(2))
        $back.Cookies.GetCookies([uri]'http://www.example.test/app/page').Count | Should -Be 0 -Because 'a secure cookie is not sent over http'
        $back.Cookies.GetCookies([uri]'https://www.example.test/other').Count | Should -Be 0 -Because 'the path is kept'
    }

    It 'Save and Load keep the proxy (addresses and bypass list, not its credentials) and a no-proxy setting' {
        $s = [AsyncFetch.PowerShell.FetchSession]::new()
        $proxy = [AsyncFetch.FetchProxy]::new([uri]'http://puser:ProxyS3cret@127.0.0.1:3128')
        $proxy.HttpsProxy = [uri]'http://127.0.0.2:3129'
        $proxy.Bypass.Add('.internal.test, 10.0.0.0/8')
        $s.Proxy = $proxy
        $path = Join-Path (Resolve-Path TestDrive:).ProviderPath 'proxy.session'
        $s.Save($path)
        Get-Content -Raw -LiteralPath $path | Should -Not -Match 'ProxyS3cret|puser'

        $back = [AsyncFetch.PowerShell.FetchSession]::Load($path)
        $back.Proxy.HttpProxy | Should -Be ([uri]'http://127.0.0.1:3128/')
        $back.Proxy.HttpsProxy | Should -Be ([uri]'http://127.0.0.2:3129/')
        @($back.Proxy.Bypass) | Should -Be @('.internal.test, 10.0.0.0/8')
        $back.Proxy.Credential | Should -BeNullOrEmpty

        $s.Proxy = [AsyncFetch.FetchProxy]::Direct
        $s.Save($path)
        [object]::ReferenceEquals([AsyncFetch.PowerShell.FetchSession]::Load($path).Proxy, [AsyncFetch.FetchProxy]::Direct) | Should -BeTrue
    }

    It 'a cookie set with a Domain attribute is still sent to that domain and its subdomains after Save and Load' {
        $s = [AsyncFetch.PowerShell.FetchSession]::new()
        $s.Cookies.SetCookies([uri]'http://www.example.test/', 'dom=1; Domain=example.test; Path=/')
        $s.Cookies.SetCookies([uri]'http://www.example.test/', 'host=2; Path=/')
        $s.Cookies.GetCookies([uri]'http://api.example.test/')['dom'].Value | Should -Be '1' -Because 'the premise: the jar sends it to a sibling subdomain'
        $path = Join-Path (Resolve-Path TestDrive:).ProviderPath 'domain-cookie.session'
        $s.Save($path)

        $back = [AsyncFetch.PowerShell.FetchSession]::Load($path)
        $back.Cookies.GetCookies([uri]'http://api.example.test/')['dom'].Value | Should -Be '1'
        $back.Cookies.GetCookies([uri]'http://www.example.test/')['dom'].Value | Should -Be '1'
        $back.Cookies.GetCookies([uri]'http://www.example.test/')['host'].Value | Should -Be '2'
        $back.Cookies.GetCookies([uri]'http://api.example.test/')['host'] | Should -BeNullOrEmpty -Because 'a host-only cookie stays host-only'
    }

    It 'a file name with a percent sign is read as written, not as a URL' {
        $dir = (Resolve-Path TestDrive:).ProviderPath
        $s = [AsyncFetch.PowerShell.FetchSession]::new()
        $s.UserAgent = 'percent/1'
        $s.Save((Join-Path $dir 'sess%41.session'))
        ([AsyncFetch.PowerShell.FetchSession]::Load((Join-Path $dir 'sess%41.session'))).UserAgent | Should -Be 'percent/1'
    }

    It 'well-formed XML that is not a saved session (<Case>) stops the command with AsyncFetch.SessionLoadFailed' -ForEach @(
        @{ Case = 'another root element'; Xml = '<Other/>' }
        @{ Case = 'a header without a name'; Xml = '<FetchSession version="1"><Header>x</Header></FetchSession>' }
    ) {
        $path = Join-Path (Resolve-Path TestDrive:).ProviderPath "xml-$([guid]::NewGuid().ToString('N')).session"
        $Xml | Set-Content -LiteralPath $path
        { Invoke-AsyncFetch "$base/cookies" -SessionPath $path } | Should -Throw -ErrorId 'AsyncFetch.SessionLoadFailed,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
        Get-Content -LiteralPath $path -Raw | Should -Be ($Xml + [Environment]::NewLine)
    }

    It 'a file that is not a saved session stops the command with AsyncFetch.SessionLoadFailed' {
        $path = Join-Path (Resolve-Path TestDrive:).ProviderPath 'not-a-session.txt'
        'hello' | Set-Content -LiteralPath $path
        { Invoke-AsyncFetch "$base/cookies" -SessionPath $path } | Should -Throw -ErrorId 'AsyncFetch.SessionLoadFailed,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
        Get-Content -LiteralPath $path | Should -Be 'hello' -Because 'an unreadable file is left as it was'
    }

    It '-SessionPath with -WebSession is refused' {
        $s = [AsyncFetch.PowerShell.FetchSession]::new()
        $path = Join-Path (Resolve-Path TestDrive:).ProviderPath 'both.session'
        { Invoke-AsyncFetch "$base/cookies" -SessionPath $path -WebSession $s } | Should -Throw -ErrorId 'AsyncFetch.SessionConflict,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
    }
}

Describe 'New-FetchRequest -WebSession' {
    It 'a request uses the session''s cookies and headers, and the cookies its response sets go back into the session' {
        $null = Invoke-AsyncFetch "$base/cookies/set?per=request" -SessionVariable s
        $s.Headers['X-From-Session'] = 'yes'
        $requests = @(
            New-FetchRequest "$base/cookies" -WebSession $s
            New-FetchRequest "$base/echo" -WebSession $s
            New-FetchRequest "$base/cookies/set?added=later" -WebSession $s
            New-FetchRequest "$base/cookies"
        )
        $results = @($requests | Invoke-AsyncFetch -ThrottleLimit 1 -Ordered)
        (Get-Cookies $results[0]).per | Should -Be 'request'
        $results[1].Content | Should -Match 'X-From-Session'
        $s.Cookies.GetCookies([uri]$base)['added'].Value | Should -Be 'later'
        (Get-Cookies $results[3]).per | Should -BeNullOrEmpty -Because 'a request without the session uses the command''s own jar'
    }

    It 'a request''s own headers win over the session''s' {
        $s = [AsyncFetch.PowerShell.FetchSession]::new()
        $s.Headers['X-Pick'] = 'session'
        $r = New-FetchRequest "$base/echo" -WebSession $s -Headers @{ 'X-Pick' = 'request' } | Invoke-AsyncFetch
        $r.Content | Should -Match 'request'
        $r.Content | Should -Not -Match '"session"'
    }
}
