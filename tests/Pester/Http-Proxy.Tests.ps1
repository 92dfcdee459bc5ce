# -Proxy, -ProxyCredential, -NoProxy and the proxy environment variables, against a real tinyproxy (Debian's
# package, installed when missing) started here on 127.0.0.1 with its own config and stopped afterwards. Targets are
# the loopback test servers (plain http, and https with a self-signed certificate for the CONNECT tunnel).
# Without tinyproxy (no root, no apt) every test is skipped with the reason.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:tinyproxyPath = Get-TinyproxyPath
    $script:skipReason = (Get-Module TestHelpers).Invoke({ $script:TinyproxyUnavailable })
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri
    $script:tlsServer = Start-TestServer -Https -NoHostile
    $script:tlsBase = $tlsServer.BaseUri
    $script:proxy = $null
    $script:authProxy = $null
    if ($tinyproxyPath) {
        $tlsPort = ([uri]$tlsBase).Port
        $script:proxy = Start-Tinyproxy -Path $tinyproxyPath -ConnectPort $tlsPort
        $script:authProxy = Start-Tinyproxy -Path $tinyproxyPath -ConnectPort $tlsPort -User 'afuser' -Password 's3cret-pass'
    }

    function Skip-WithoutProxy {
        # Call first in each It: marks the test skipped (with why) when there is no tinyproxy.
        if (-not $script:tinyproxyPath) { Set-ItResult -Skipped -Because $script:skipReason; return $true }
        $false
    }

    function Get-ProxyLog($p) { Get-Content $p.Log -Raw -ErrorAction SilentlyContinue }

    function New-Credential([string] $User, [string] $Password) {
        [pscredential]::new($User, (ConvertTo-SecureString $Password -AsPlainText -Force))
    }

    # The proxy variables are process-wide: each test that sets them restores what was there.
    $script:savedEnvironment = @{}
    foreach ($name in 'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy') {
        $savedEnvironment[$name] = [Environment]::GetEnvironmentVariable($name)
    }

    function Reset-ProxyEnvironment {
        foreach ($name in $script:savedEnvironment.Keys) { [Environment]::SetEnvironmentVariable($name, $script:savedEnvironment[$name]) }
    }

    function Clear-ProxyEnvironment {
        foreach ($name in $script:savedEnvironment.Keys) { [Environment]::SetEnvironmentVariable($name, $null) }
    }
}

AfterAll {
    Reset-ProxyEnvironment
    Stop-Tinyproxy $proxy
    Stop-Tinyproxy $authProxy
    Stop-TestServer $server
    Stop-TestServer $tlsServer
    Remove-FetchJobs
}

Describe 'Invoke-AsyncFetch -Proxy' {
    BeforeEach { Clear-ProxyEnvironment }
    AfterEach { Reset-ProxyEnvironment }

    It 'sends http requests to the proxy in absolute form and says so on the result' {
        if (Skip-WithoutProxy) { return }
        $results = @(1..3 | ForEach-Object { "$base/bytes/$(100 + $_)?via=proxy-http" } | Invoke-AsyncFetch -Proxy $proxy.Uri -ThrottleLimit 2)
        $results.Count | Should -Be 3
        $results | ForEach-Object {
            $_.StatusCode | Should -Be 200
            $_.Proxy | Should -Be $proxy.Uri
            $_.RemoteEndPoint | Should -Be "127.0.0.1:$($proxy.Port)" # the connection is to the proxy
        }
        ($results | Sort-Object ContentLength).ContentLength | Should -Be 101, 102, 103
        Get-ProxyLog $proxy | Should -Match ([regex]::Escape("GET $base/bytes/101?via=proxy-http"))
    }

    It 'tunnels https through CONNECT, with TLS end to end' {
        if (Skip-WithoutProxy) { return }
        $r = Invoke-AsyncFetch "$tlsBase/bytes/4096?via=tunnel" -Proxy $proxy.Uri -SkipCertificateCheck
        $r.StatusCode | Should -Be 200
        $r.ContentLength | Should -Be 4096
        $r.Proxy | Should -Be $proxy.Uri
        $r.Timings.TunnelMs | Should -BeGreaterThan 0
        $r.Timings.TlsMs | Should -BeGreaterThan 0
        $log = Get-ProxyLog $proxy
        $log | Should -Match ([regex]::Escape("CONNECT 127.0.0.1:$(([uri]$tlsBase).Port)"))
        $log | Should -Not -Match ([regex]::Escape('via=tunnel')) # the proxy never sees the request inside the tunnel
    }

    It 'still checks the target certificate through the tunnel' {
        if (Skip-WithoutProxy) { return }
        $r = Invoke-AsyncFetch "$tlsBase/bytes/10" -Proxy $proxy.Uri -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.ErrorKind | Should -Be 'Tls'
        Get-ErrorId $errs[0] | Should -Be 'AsyncFetch.Tls'
    }

    It 'accepts host:port without a scheme' {
        if (Skip-WithoutProxy) { return }
        $r = Invoke-AsyncFetch "$base/bytes/5?via=bare" -Proxy "127.0.0.1:$($proxy.Port)"
        $r.StatusCode | Should -Be 200
        $r.Proxy | Should -Be $proxy.Uri
    }

    It 'names the proxy when it cannot be reached, and the batch goes on' {
        $down = "http://127.0.0.1:$(Get-UnusedPort)"
        $results = @("$base/bytes/1", "$base/bytes/2" | Invoke-AsyncFetch -Proxy $down -ErrorVariable errs -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 2
        $results | ForEach-Object { $_.ErrorKind | Should -Be 'Connect' }
        $errs.Count | Should -Be 2
        Get-ErrorId $errs[0] | Should -Be 'AsyncFetch.Connect'
        $results[0].ErrorMessage | Should -Match ([regex]::Escape(([uri]$down).Authority))
    }

    It 'refuses -Proxy with -NoProxy, and a proxy URI it cannot use, before fetching anything' {
        { Invoke-AsyncFetch "$base/bytes/1" -Proxy 'http://127.0.0.1:1' -NoProxy -ErrorAction Stop } |
            Should -Throw -ErrorId 'AsyncFetch.InvalidProxy*'
        { Invoke-AsyncFetch "$base/bytes/1" -Proxy 'socks5://127.0.0.1:1080' -ErrorAction Stop } |
            Should -Throw -ErrorId 'AsyncFetch.InvalidProxy*'
    }
}

Describe 'Proxy credentials' {
    BeforeEach { Clear-ProxyEnvironment }
    AfterEach { Reset-ProxyEnvironment }

    It 'sends -ProxyCredential with Basic authentication (http and the https tunnel)' {
        if (Skip-WithoutProxy) { return }
        $cred = New-Credential 'afuser' 's3cret-pass'
        $plain = Invoke-AsyncFetch "$base/bytes/11?auth=cred" -Proxy $authProxy.Uri -ProxyCredential $cred
        $plain.StatusCode | Should -Be 200
        $tunnel = Invoke-AsyncFetch "$tlsBase/bytes/12?auth=cred" -Proxy $authProxy.Uri -ProxyCredential $cred -SkipCertificateCheck
        $tunnel.StatusCode | Should -Be 200
        $tunnel.ContentLength | Should -Be 12
    }

    It 'takes credentials from the proxy URI' {
        if (Skip-WithoutProxy) { return }
        $r = Invoke-AsyncFetch "$base/bytes/13?auth=uri" -Proxy "http://afuser:s3cret-pass@127.0.0.1:$($authProxy.Port)"
        $r.StatusCode | Should -Be 200
        $r.Proxy | Should -Not -Match 's3cret' # never shown
    }

    It 'refuses -ProxyCredential with -NoProxy before fetching anything (Invoke-AsyncFetch and Start-FetchJob)' {
        $cred = New-Credential 'afuser' 's3cret-pass'
        { Invoke-AsyncFetch "$base/bytes/1?cred-noproxy" -ProxyCredential $cred -NoProxy -ErrorAction Stop } |
            Should -Throw -ErrorId 'AsyncFetch.InvalidProxy*'
        { Start-FetchJob "$base/bytes/1?cred-noproxy" -ProxyCredential $cred -NoProxy -ErrorAction Stop } |
            Should -Throw -ErrorId 'AsyncFetch.InvalidProxy*'
        @(Get-Job -ErrorAction SilentlyContinue | Where-Object PSJobTypeName -eq 'FetchJob').Count | Should -Be 0
    }

    It 'warns that -ProxyCredential is unused when no proxy is set anywhere, and fetches directly' {
        $cred = New-Credential 'afuser' 's3cret-pass'
        $r = Invoke-AsyncFetch "$base/bytes/16" -ProxyCredential $cred -WarningVariable warnings -WarningAction SilentlyContinue
        $r.StatusCode | Should -Be 200
        $r.Proxy | Should -BeNullOrEmpty
        ($warnings -join ' ') | Should -Match 'ProxyCredential'
        ($warnings -join ' ') | Should -Not -Match 's3cret'
    }

    It 'without credentials: the proxy''s 407 is the http result, and a refused tunnel is a Proxy error' {
        if (Skip-WithoutProxy) { return }
        $plain = Invoke-AsyncFetch "$base/bytes/14" -Proxy $authProxy.Uri
        $plain.StatusCode | Should -Be 407
        $plain.ErrorKind | Should -Be 'None'

        $tunnel = Invoke-AsyncFetch "$tlsBase/bytes/15" -Proxy $authProxy.Uri -SkipCertificateCheck -ErrorVariable errs -ErrorAction SilentlyContinue
        $tunnel.ErrorKind | Should -Be 'Proxy'
        $tunnel.ErrorMessage | Should -Match '407'
        Get-ErrorId $errs[0] | Should -Be 'AsyncFetch.Proxy'
        $errs[0].CategoryInfo.Category | Should -Be 'ConnectionError'
    }
}

Describe 'Proxy environment variables' {
    BeforeEach { Clear-ProxyEnvironment }
    AfterEach { Reset-ProxyEnvironment }

    It 'uses HTTP_PROXY for http and HTTPS_PROXY for https when there is no -Proxy' {
        if (Skip-WithoutProxy) { return }
        $env:HTTP_PROXY = $proxy.Uri
        $env:HTTPS_PROXY = $proxy.Uri
        $plain = Invoke-AsyncFetch "$base/bytes/21?via=env"
        $plain.Proxy | Should -Be $proxy.Uri
        $tunnel = Invoke-AsyncFetch "$tlsBase/bytes/22?via=env" -SkipCertificateCheck
        $tunnel.Proxy | Should -Be $proxy.Uri
        $tunnel.StatusCode | Should -Be 200
        Get-ProxyLog $proxy | Should -Match ([regex]::Escape("$base/bytes/21?via=env"))
    }

    It '-NoProxy and NO_PROXY connect directly' {
        if (Skip-WithoutProxy) { return }
        $env:HTTP_PROXY = $proxy.Uri
        $direct = Invoke-AsyncFetch "$base/bytes/23?via=noproxy-switch" -NoProxy
        $direct.StatusCode | Should -Be 200
        $direct.Proxy | Should -BeNullOrEmpty
        $env:NO_PROXY = 'localhost, 127.0.0.1'
        $bypassed = Invoke-AsyncFetch "$base/bytes/24?via=no-proxy-variable"
        $bypassed.Proxy | Should -BeNullOrEmpty
        $log = Get-ProxyLog $proxy
        $log | Should -Not -Match 'noproxy-switch'
        $log | Should -Not -Match 'no-proxy-variable'
    }

    It 'warns about a proxy variable it cannot use and connects directly' {
        $env:HTTP_PROXY = 'socks5://127.0.0.1:1080'
        $r = Invoke-AsyncFetch "$base/bytes/25" -WarningVariable warnings -WarningAction SilentlyContinue
        $r.StatusCode | Should -Be 200
        $r.Proxy | Should -BeNullOrEmpty
        ($warnings -join ' ') | Should -Match 'HTTP_PROXY'
    }
}

Describe 'Start-FetchJob -Proxy' {
    BeforeEach { Clear-ProxyEnvironment }
    AfterEach { Reset-ProxyEnvironment }

    It 'carries the proxy setting into the job' {
        if (Skip-WithoutProxy) { return }
        $job = "$base/bytes/31?via=job", "$base/bytes/32?via=job" | Start-FetchJob -Proxy $proxy.Uri
        $results = @(Receive-FetchJob $job -Wait -AutoRemoveJob)
        $results.Count | Should -Be 2
        $results | ForEach-Object { $_.StatusCode | Should -Be 200; $_.Proxy | Should -Be $proxy.Uri }
        Get-ProxyLog $proxy | Should -Match 'via=job'
    }
}
