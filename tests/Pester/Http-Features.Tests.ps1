# The request parameters of Invoke-AsyncFetch, Start-FetchJob and New-FetchRequest: certificate checks and
# client certificates, redirects, retries and rate limits. Downloads to disk are in Http-Downloads.Tests.ps1.
# Everything talks to loopback test servers started here: one plain http server (127.0.0.1 and 127.0.0.2) and one
# https server with a self-signed certificate that asks for (optional) client certificates.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri
    $script:base2 = $server.Base2Uri
    $script:tlsServer = Start-TestServer -Https -ClientCert -NoHostile
    $script:tlsBase = $tlsServer.BaseUri

    function New-ClientCertificate([string] $Subject) {
        # A client-authentication certificate with its private key, made in memory (nothing is installed).
        $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new($Subject, $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256)
        $usages = [System.Security.Cryptography.OidCollection]::new()
        $null = $usages.Add([System.Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.2'))
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($usages, $false))
        $made = $request.CreateSelfSigned([datetimeoffset]::UtcNow.AddDays(-1), [datetimeoffset]::UtcNow.AddDays(1))
        # Through PKCS#12, so the key is one every TLS stack can use.
        [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($made.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx))
    }

    function Get-RedirectUrl([string] $From, [string] $To, [int] $Status = 302) {
        "$From/redirect-to?url=$([uri]::EscapeDataString($To))&status=$Status"
    }

    function Get-Arrivals([string] $Path) {
        # Server-side arrival times (ms) of the requests for $Path since the last reset, sorted.
        # (Invoke-RestMethod writes a JSON array as one object: enumerate it before filtering.)
        $all = Invoke-RestMethod "$base/arrivals"
        @($all | ForEach-Object { $_ } | Where-Object path -eq $Path | ForEach-Object ms | Sort-Object)
    }
}

AfterAll {
    Stop-TestServer $server
    Stop-TestServer $tlsServer
}

Describe 'Certificate checks (-SkipCertificateCheck)' {
    AfterEach { Remove-FetchJobs }

    It 'fails a self-signed server certificate by default: ErrorKind Tls, ErrorId AsyncFetch.Tls, and the reason' {
        $result = Invoke-AsyncFetch "$tlsBase/tls" -ErrorVariable errs -ErrorAction SilentlyContinue
        $result.ErrorKind | Should -Be 'Tls'
        $result.StatusCode | Should -Be 0
        $result.ErrorMessage | Should -Match 'self-signed|untrusted'
        $result.ErrorMessage | Should -Match 'SkipCertificateCheck' -Because 'the message says how to turn the check off'
        $errs.Count | Should -Be 1
        Get-ErrorId $errs[0] | Should -Be 'AsyncFetch.Tls'
        $errs[0].CategoryInfo.Category | Should -Be 'SecurityError'
        $errs[0].Exception.Message | Should -Match 'self-signed|untrusted'
    }

    It 'accepts it with -SkipCertificateCheck' {
        $port = ([uri]$tlsBase).Port
        $result = Invoke-AsyncFetch "$tlsBase/tls" -SkipCertificateCheck
        $result.ErrorKind | Should -Be 'None'
        $result.StatusCode | Should -Be 200
        ($result.Content | ConvertFrom-Json).scheme | Should -Be 'https'
        $result.RemoteEndPoint | Should -Be "127.0.0.1:$port"
        $result.Timings.TlsMs | Should -BeGreaterThan 0
    }

    It 'New-FetchRequest -SkipCertificateCheck turns the check off for that request only' {
        $inputs = @(
            New-FetchRequest "$tlsBase/tls?r=skip" -SkipCertificateCheck
            "$tlsBase/tls?r=checked"
        )
        $results = @($inputs | Invoke-AsyncFetch -ErrorAction SilentlyContinue)
        $byUri = @{}; foreach ($r in $results) { $byUri[$r.RequestedUri] = $r }
        $byUri["$tlsBase/tls?r=skip"].StatusCode | Should -Be 200
        $byUri["$tlsBase/tls?r=checked"].ErrorKind | Should -Be 'Tls'
    }

    It 'New-FetchRequest -SkipCertificateCheck:$false keeps the check on under a command with -SkipCertificateCheck' {
        $result = New-FetchRequest "$tlsBase/tls" -SkipCertificateCheck:$false | Invoke-AsyncFetch -SkipCertificateCheck -ErrorAction SilentlyContinue
        $result.ErrorKind | Should -Be 'Tls' -Because 'a value the request set wins over the command'
    }

    It 'Start-FetchJob carries -SkipCertificateCheck into the job' {
        $job = Start-FetchJob "$tlsBase/tls", "$tlsBase/bytes/3" -SkipCertificateCheck
        $results = @(Receive-FetchJob $job -Wait)
        $results.Count | Should -Be 2
        $results | ForEach-Object { $_.StatusCode | Should -Be 200 }
    }
}

Describe 'Client certificates (-Certificate)' {
    It 'offers the certificate when the server asks, and the server sees its subject' {
        $cert = New-ClientCertificate 'CN=AsyncFetch Pester Client'
        $result = Invoke-AsyncFetch "$tlsBase/tls" -SkipCertificateCheck -Certificate $cert
        $result.StatusCode | Should -Be 200
        ($result.Content | ConvertFrom-Json).clientCertificate | Should -Be 'CN=AsyncFetch Pester Client'
    }

    It 'sends none without -Certificate' {
        $result = Invoke-AsyncFetch "$tlsBase/tls?none" -SkipCertificateCheck
        $result.StatusCode | Should -Be 200
        ($result.Content | ConvertFrom-Json).clientCertificate | Should -BeNullOrEmpty
    }
}

Describe 'Redirects' {
    It 'follows them by default: Uri is the target, RequestedUri the input, RedirectCount and GetRedirects() tell the way' {
        $result = Invoke-AsyncFetch "$base/redirect/3"
        $result.StatusCode | Should -Be 200
        $result.Content | Should -Be 'redirect done'
        $result.RequestedUri | Should -Be "$base/redirect/3"
        $result.Uri.AbsoluteUri | Should -Be "$base/redirect/0"
        $result.RedirectCount | Should -Be 3
        $hops = @($result.GetRedirects())
        $hops.Count | Should -Be 3
        $hops[0].StatusCode | Should -Be 302
        $hops[0].Uri.AbsoluteUri | Should -Be "$base/redirect/3"
        $hops[0].Location.AbsoluteUri | Should -Be "$base/redirect/2"
        $hops[2].Location.AbsoluteUri | Should -Be "$base/redirect/0"
    }

    It 'with -MaximumRedirection 0 the 3xx response is the result (not an error)' {
        $result = Invoke-AsyncFetch "$base/redirect/1" -MaximumRedirection 0 -ErrorVariable errs
        $errs.Count | Should -Be 0
        $result.ErrorKind | Should -Be 'None'
        $result.StatusCode | Should -Be 302
        $result.Headers['Location'] | Should -Be '/redirect/0'
        $result.RedirectCount | Should -Be 0
        $result.Uri.AbsoluteUri | Should -Be "$base/redirect/1"
    }

    It 'fails a request with more hops than -MaximumRedirection as AsyncFetch.Redirect, and the batch goes on' {
        $urls = "$base/redirect/7", "$base/redirect/2", "$base/bytes/5"
        $results = @(Invoke-AsyncFetch $urls -ErrorVariable errs -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 3
        $byUri = @{}; foreach ($r in $results) { $byUri[$r.RequestedUri] = $r }
        $byUri["$base/redirect/7"].ErrorKind | Should -Be 'Redirect'
        $byUri["$base/redirect/7"].ErrorMessage | Should -Match 'Too many redirects'
        $byUri["$base/redirect/2"].StatusCode | Should -Be 200
        $byUri["$base/bytes/5"].ContentLength | Should -Be 5
        $errs.Count | Should -Be 1
        Get-ErrorId $errs[0] | Should -Be 'AsyncFetch.Redirect'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidResult'
    }

    It '-MaximumRedirection 2 allows two hops and fails on the third' {
        (Invoke-AsyncFetch "$base/redirect/2" -MaximumRedirection 2).StatusCode | Should -Be 200
        (Invoke-AsyncFetch "$base/redirect/3" -MaximumRedirection 2 -ErrorAction SilentlyContinue).ErrorKind | Should -Be 'Redirect'
    }

    It 'New-FetchRequest -MaximumRedirection 0 wins over the command''s value' {
        $results = @(
            New-FetchRequest "$base/redirect/1?own" -MaximumRedirection 0
            "$base/redirect/1?command"
        ) | Invoke-AsyncFetch -MaximumRedirection 3
        $byUri = @{}; foreach ($r in $results) { $byUri[$r.RequestedUri] = $r }
        $byUri["$base/redirect/1?own"].StatusCode | Should -Be 302
        $byUri["$base/redirect/1?command"].StatusCode | Should -Be 200
    }

    It 'drops Authorization and Cookie when a redirect changes the host (127.0.0.1 to 127.0.0.2)' {
        $headers = @{ Authorization = 'Bearer secret'; Cookie = 'session=1'; 'X-Other' = 'kept' }
        $result = Invoke-AsyncFetch (Get-RedirectUrl $base "$base2/echo") -Headers $headers
        $result.StatusCode | Should -Be 200
        $result.Uri.Host | Should -Be '127.0.0.2'
        $echo = $result.Content | ConvertFrom-Json
        $echo.headers.Authorization | Should -BeNullOrEmpty
        $echo.headers.Cookie | Should -BeNullOrEmpty
        $echo.headers.'X-Other' | Should -Be 'kept'
    }

    It 'keeps them across hosts with -PreserveAuthorizationOnRedirect' {
        $headers = @{ Authorization = 'Bearer secret'; Cookie = 'session=1' }
        $result = Invoke-AsyncFetch (Get-RedirectUrl $base "$base2/echo") -Headers $headers -PreserveAuthorizationOnRedirect
        $result.Uri.Host | Should -Be '127.0.0.2'
        $echo = $result.Content | ConvertFrom-Json
        $echo.headers.Authorization | Should -Be 'Bearer secret'
        $echo.headers.Cookie | Should -Be 'session=1'
    }

    It 'refuses https to http by default (AsyncFetch.Redirect) and follows it with -AllowInsecureRedirect' {
        $url = Get-RedirectUrl $tlsBase "$base/bytes/7"
        $refused = Invoke-AsyncFetch $url -SkipCertificateCheck -ErrorVariable errs -ErrorAction SilentlyContinue
        $refused.ErrorKind | Should -Be 'Redirect'
        $refused.ErrorMessage | Should -Match 'https to http'
        Get-ErrorId $errs[0] | Should -Be 'AsyncFetch.Redirect'

        $followed = Invoke-AsyncFetch $url -SkipCertificateCheck -AllowInsecureRedirect
        $followed.StatusCode | Should -Be 200
        $followed.ContentLength | Should -Be 7
        $followed.Uri.AbsoluteUri | Should -Be "$base/bytes/7"
        $followed.RedirectCount | Should -Be 1
    }

    It 'mentions the redirects in the -Verbose line' {
        $all = @(Invoke-AsyncFetch "$base/redirect/2" -Verbose 4>&1)
        $line = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })[0].Message
        $line | Should -Match '2 redirect'
        $line | Should -Match ([regex]::Escape("$base/redirect/0"))
    }
}

Describe 'Retries (-MaximumRetryCount, -RetryIntervalSec)' {
    BeforeEach {
        $script:key = [guid]::NewGuid().ToString('n')
    }

    It 'retries a 503 until it succeeds: Attempts 3, status 200, three requests seen' {
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $result = Invoke-AsyncFetch "$base/flaky?key=$key&fail=2" -MaximumRetryCount 2 -RetryIntervalSec 1
        $sw.Stop()
        $result.StatusCode | Should -Be 200
        $result.Attempts | Should -Be 3
        (Invoke-RestMethod "$base/flaky-count?key=$key") | Should -Be '3'
        # Waits of about 1 s then 2 s (+-20 % jitter): at least 2.4 s in all; 1.5 s leaves room.
        $sw.Elapsed.TotalSeconds | Should -BeGreaterThan 1.5
    }

    It 'does not retry by default' {
        $result = Invoke-AsyncFetch "$base/flaky?key=$key&fail=1"
        $result.StatusCode | Should -Be 503
        $result.Attempts | Should -Be 1
    }

    It 'gives the last response when the retries run out' {
        $result = Invoke-AsyncFetch "$base/flaky?key=$key&fail=5" -MaximumRetryCount 1 -RetryIntervalSec 1
        $result.StatusCode | Should -Be 503
        $result.Attempts | Should -Be 2
        (Invoke-RestMethod "$base/flaky-count?key=$key") | Should -Be '2'
    }

    It 'does not retry a POST that was sent' {
        $result = Invoke-AsyncFetch "$base/flaky?key=$key&fail=1" -Method POST -Body 'x' -MaximumRetryCount 2 -RetryIntervalSec 1
        $result.StatusCode | Should -Be 503
        $result.Attempts | Should -Be 1
        (Invoke-RestMethod "$base/flaky-count?key=$key") | Should -Be '1'
    }

    It 'New-FetchRequest -MaximumRetryCount and -RetryIntervalSec apply to that request' {
        $result = New-FetchRequest "$base/flaky?key=$key&fail=1" -MaximumRetryCount 1 -RetryIntervalSec 1 | Invoke-AsyncFetch
        $result.StatusCode | Should -Be 200
        $result.Attempts | Should -Be 2
    }

    It 'waits for Retry-After instead of a long -RetryIntervalSec' {
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $result = Invoke-AsyncFetch "$base/flaky?key=$key&fail=1&status=503&retryAfter=1" -MaximumRetryCount 1 -RetryIntervalSec 60
        $sw.Stop()
        $result.StatusCode | Should -Be 200
        $result.Attempts | Should -Be 2
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 30 -Because 'Retry-After: 1 replaces the 60 s interval'
        $sw.Elapsed.TotalSeconds | Should -BeGreaterThan 0.5
    }

    It 'Start-FetchJob carries the retry settings, and the -Verbose line counts the attempts' {
        $job = Start-FetchJob "$base/flaky?key=$key&fail=1" -MaximumRetryCount 1 -RetryIntervalSec 1 -Verbose
        try {
            $null = Wait-Job $job -Timeout 30
            $job.Verbose.Count | Should -Be 1
            $job.Verbose[0].Message | Should -Match '2 attempts'
            $result = Receive-FetchJob $job
            $result.StatusCode | Should -Be 200
            $result.Attempts | Should -Be 2
        }
        finally { Remove-FetchJobs }
    }
}

Describe 'Rate limits (-RateLimit, -PerHostRateLimit)' {
    AfterEach { Remove-FetchJobs }

    It '-RateLimit 10 spreads 20 requests over about 2 s although 50 may be in flight' {
        Reset-IdleServer $server
        $urls = 1..20 | ForEach-Object { "$base/bytes/11?i=$_" }
        $results = @(Invoke-AsyncFetch $urls -RateLimit 10 -ThrottleLimit 50)
        $results.Count | Should -Be 20
        $results | ForEach-Object { $_.StatusCode | Should -Be 200 }
        $arrivals = Get-Arrivals '/bytes/11'
        $arrivals.Count | Should -Be 20
        $span = $arrivals[-1] - $arrivals[0]
        $span | Should -BeGreaterOrEqual 1500 -Because '20 starts at 10/s are 1.9 s apart from first to last'
        $span | Should -BeLessThan 10000
    }

    It '-PerHostRateLimit limits each host on its own' {
        Reset-IdleServer $server
        $urls = (1..8 | ForEach-Object { "$base/bytes/12?i=$_" }) + (1..8 | ForEach-Object { "$base2/bytes/13?i=$_" })
        $results = @(Invoke-AsyncFetch $urls -PerHostRateLimit 8 -ThrottleLimit 50)
        $results.Count | Should -Be 16
        foreach ($path in '/bytes/12', '/bytes/13') {
            $arrivals = Get-Arrivals $path
            $arrivals.Count | Should -Be 8
            ($arrivals[-1] - $arrivals[0]) | Should -BeGreaterOrEqual 600 -Because "8 starts to one host at 8/s are 0.875 s apart ($path)"
        }
    }

    It 'Start-FetchJob carries -RateLimit into the job' {
        Reset-IdleServer $server
        $urls = 1..10 | ForEach-Object { "$base/bytes/14?i=$_" }
        $job = Start-FetchJob $urls -RateLimit 10 -ThrottleLimit 50
        @(Receive-FetchJob $job -Wait).Count | Should -Be 10
        $arrivals = Get-Arrivals '/bytes/14'
        $arrivals.Count | Should -Be 10
        ($arrivals[-1] - $arrivals[0]) | Should -BeGreaterOrEqual 650 -Because '10 starts at 10/s are 0.9 s apart'
    }
}
