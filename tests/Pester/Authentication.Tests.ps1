# Server authentication with Invoke-WebRequest's parameters: -Credential, -Authentication, -Token and
# -AllowUnencryptedAuthentication on Invoke-AsyncFetch, Start-FetchJob and New-FetchRequest; user names and passwords
# in URLs; credentials refused over plain http, and dropped by a redirect to another origin.
# The servers: one plain http (127.0.0.1 and 127.0.0.2), a second plain http one (another port), one https.

BeforeDiscovery {
    # The -ForEach cases hold these objects (discovery runs before BeforeAll).
    $alice = [pscredential]::new('alice', (ConvertTo-SecureString 'Alice-S3cret' -AsPlainText -Force))
    $token = ConvertTo-SecureString 'T0ken-S3cret' -AsPlainText -Force
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri
    $script:base2 = $server.Base2Uri
    $script:otherPort = Start-TestServer -NoHostile
    $script:tlsServer = Start-TestServer -Https -NoHostile
    $script:tlsBase = $tlsServer.BaseUri
    # Many cases here expect a 401 result and assert on it; its HTTP-error record is covered by Http-Errors.Tests.ps1.
    $PSDefaultParameterValues['Invoke-AsyncFetch:SkipHttpErrorCheck'] = $true
    $PSDefaultParameterValues['Start-FetchJob:SkipHttpErrorCheck'] = $true

    $script:alice = [pscredential]::new('alice', (ConvertTo-SecureString 'Alice-S3cret' -AsPlainText -Force))
    $script:token = ConvertTo-SecureString 'T0ken-S3cret' -AsPlainText -Force
    $script:basicAlice = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('alice:Alice-S3cret'))

    function Get-Echo($Result) {
        $Result.StatusCode | Should -Be 200 -Because "$($Result.ErrorKind) $($Result.ErrorMessage)"
        $Result.Content | ConvertFrom-Json
    }

    function Get-RedirectUrl([string] $From, [string] $To) { "$From/redirect-to?url=$([uri]::EscapeDataString($To))" }

    function Get-ArrivalCount([string] $Path) {
        @(Invoke-RestMethod "$base/arrivals" | ForEach-Object { $_ } | Where-Object path -eq $Path).Count
    }
}

AfterAll {
    $PSDefaultParameterValues.Remove('Invoke-AsyncFetch:SkipHttpErrorCheck')
    $PSDefaultParameterValues.Remove('Start-FetchJob:SkipHttpErrorCheck')
    Stop-TestServer $server
    Stop-TestServer $otherPort
    Stop-TestServer $tlsServer
}

Describe '-Credential, -Authentication and -Token' {
    AfterEach { Remove-FetchJobs }

    It '-Credential alone answers a Basic challenge (401) on https, and is not sent to a server that does not ask' {
        $r = Invoke-AsyncFetch "$tlsBase/basic-auth/alice/Alice-S3cret" -Credential $alice -SkipCertificateCheck
        $r.StatusCode | Should -Be 200
        ($r.Content | ConvertFrom-Json).user | Should -Be 'alice'
        $r.RedirectCount | Should -Be 0

        $echo = Get-Echo (Invoke-AsyncFetch "$tlsBase/echo" -Credential $alice -SkipCertificateCheck)
        $echo.headers.Authorization | Should -BeNullOrEmpty -Because 'without -Authentication the credentials wait to be asked'
        (Invoke-AsyncFetch "$tlsBase/basic-auth/alice/Alice-S3cret?challenge=none" -Credential $alice -SkipCertificateCheck).StatusCode | Should -Be 401
    }

    It '-Authentication Basic sends -Credential with the first request' {
        $r = Invoke-AsyncFetch "$tlsBase/basic-auth/alice/Alice-S3cret?challenge=none" -Credential $alice -Authentication Basic -SkipCertificateCheck
        $r.StatusCode | Should -Be 200
        $echo = Get-Echo (Invoke-AsyncFetch "$tlsBase/echo" -Credential $alice -Authentication Basic -SkipCertificateCheck)
        $echo.headers.Authorization | Should -BeExactly $basicAlice
    }

    It '-Authentication <Scheme> sends "Authorization: Bearer <token>"' -ForEach @(@{ Scheme = 'Bearer' }, @{ Scheme = 'OAuth' }) {
        $r = Invoke-AsyncFetch "$tlsBase/bearer" -Authentication $Scheme -Token $token -SkipCertificateCheck
        $r.StatusCode | Should -Be 200
        ($r.Content | ConvertFrom-Json).token | Should -BeExactly 'T0ken-S3cret'
    }

    It 'Start-FetchJob takes the same parameters' {
        $job = "$tlsBase/bearer", "$tlsBase/basic-auth/alice/Alice-S3cret" | Start-FetchJob -Authentication Bearer -Token $token -SkipCertificateCheck -Ordered
        $results = @($job | Receive-FetchJob -Wait -AutoRemoveJob)
        $results[0].StatusCode | Should -Be 200
        $results[1].StatusCode | Should -Be 401 -Because 'a Bearer token does not answer a Basic challenge'

        $job = Start-FetchJob "$tlsBase/basic-auth/alice/Alice-S3cret" -Credential $alice -SkipCertificateCheck
        (@($job | Receive-FetchJob -Wait -AutoRemoveJob))[0].StatusCode | Should -Be 200
    }

    It 'a -Headers Authorization wins over the credentials (as in Invoke-WebRequest)' {
        $echo = Get-Echo (Invoke-AsyncFetch "$tlsBase/echo" -Authentication Bearer -Token $token -Headers @{ Authorization = 'Custom mine' } -SkipCertificateCheck)
        $echo.headers.Authorization | Should -BeExactly 'Custom mine'
    }

    It '<Case>: a terminating <ErrorId> before anything is sent' -ForEach @(
        @{ Case = 'Basic without -Credential'; ErrorId = 'AsyncFetch.AuthenticationCredentialNotSupplied'; Extra = @{ Authentication = 'Basic' } }
        @{ Case = 'Basic with only -Token'; ErrorId = 'AsyncFetch.AuthenticationCredentialNotSupplied'; Extra = @{ Authentication = 'Basic'; Token = $token } }
        @{ Case = 'Bearer without -Token'; ErrorId = 'AsyncFetch.AuthenticationTokenNotSupplied'; Extra = @{ Authentication = 'Bearer'; Credential = $alice } }
        @{ Case = 'OAuth without -Token'; ErrorId = 'AsyncFetch.AuthenticationTokenNotSupplied'; Extra = @{ Authentication = 'OAuth' } }
        @{ Case = '-Credential and -Token'; ErrorId = 'AsyncFetch.AuthenticationTokenConflict'; Extra = @{ Authentication = 'Bearer'; Token = $token; Credential = $alice } }
    ) {
        $path = "/bytes/3?case=$([uri]::EscapeDataString($Case))"
        foreach ($command in 'Invoke-AsyncFetch', 'Start-FetchJob', 'New-FetchRequest') {
            $err = $null
            try { & $command "$tlsBase$path" @Extra -ErrorAction Stop | Out-Null } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty -Because "$command must refuse it"
            Get-ErrorId $err | Should -Be $ErrorId
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        }
        @(Get-Job | Where-Object PSJobTypeName -eq 'FetchJob').Count | Should -Be 0 -Because 'no job starts'
    }

    It '-Token without -Authentication is not sent, and a warning says so' {
        $echo = Get-Echo (Invoke-AsyncFetch "$tlsBase/echo" -Token $token -SkipCertificateCheck -WarningVariable warnings -WarningAction SilentlyContinue)
        $echo.headers.Authorization | Should -BeNullOrEmpty
        "$warnings" | Should -Match 'Token'
    }
}

Describe 'Plain http and -AllowUnencryptedAuthentication' {
    AfterEach { Remove-FetchJobs }

    It '<Case> over http: that request fails with AsyncFetch.AllowUnencryptedAuthenticationRequired, unsent, and the batch goes on' -ForEach @(
        @{ Case = '-Credential'; Extra = @{ Credential = $alice }; UserInfo = $false }
        @{ Case = '-Authentication Basic'; Extra = @{ Credential = $alice; Authentication = 'Basic' }; UserInfo = $false }
        @{ Case = '-Authentication Bearer'; Extra = @{ Token = $token; Authentication = 'Bearer' }; UserInfo = $false }
        @{ Case = 'a password in the URL'; Extra = @{}; UserInfo = $true }
    ) {
        Reset-IdleServer $server
        $path = "/basic-auth/alice/Alice-S3cret?refused=$([uri]::EscapeDataString($Case))"
        $plain = if ($UserInfo) { ($base -replace '^http://', 'http://alice:Alice-S3cret@') + $path } else { "$base$path" }
        $inputs = $plain, "$tlsBase/bytes/2"
        $results = @($inputs | Invoke-AsyncFetch @Extra -SkipCertificateCheck -Ordered -ErrorVariable errs -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 2
        $results[0].ErrorKind | Should -Be 'InvalidRequest'
        $results[0].ErrorMessage | Should -Match 'AllowUnencryptedAuthentication'
        $results[0].ErrorMessage | Should -Not -Match ':Alice-S3cret@' -Because 'the path has it too (the server checks it), not the user information'
        $results[0].RequestedUri | Should -Not -Match ':Alice-S3cret@'
        $results[1].StatusCode | Should -Be 200 -Because 'an https request of the same batch is sent'
        @($errs | ForEach-Object { Get-ErrorId $_ }) | Should -Be @('AsyncFetch.AllowUnencryptedAuthenticationRequired')
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        [object]::ReferenceEquals($errs[0].TargetObject, $results[0]) | Should -BeTrue

        $job = $plain | Start-FetchJob @Extra
        $jobResults = @($job | Receive-FetchJob -Wait -AutoRemoveJob -ErrorVariable jobErrs -ErrorAction SilentlyContinue)
        $jobResults[0].ErrorKind | Should -Be 'InvalidRequest'
        Get-ErrorId $jobErrs[0] | Should -Be 'AsyncFetch.AllowUnencryptedAuthenticationRequired'
        Get-ArrivalCount '/basic-auth/alice/Alice-S3cret' | Should -Be 0 -Because 'nothing of a refused request is sent'
    }

    It 'with -AllowUnencryptedAuthentication they are sent over http' {
        (Invoke-AsyncFetch "$base/basic-auth/alice/Alice-S3cret" -Credential $alice -AllowUnencryptedAuthentication).StatusCode | Should -Be 200
        (Invoke-AsyncFetch "$base/basic-auth/alice/Alice-S3cret?challenge=none" -Credential $alice -Authentication Basic -AllowUnencryptedAuthentication).StatusCode | Should -Be 200
        (Invoke-AsyncFetch "$base/bearer" -Authentication Bearer -Token $token -AllowUnencryptedAuthentication).StatusCode | Should -Be 200
    }

    It 'a request without credentials is not concerned' {
        (Invoke-AsyncFetch "$base/bytes/1").StatusCode | Should -Be 200
    }

    It '<Case> preserved from https onto a plain http redirect: the redirect is refused (AsyncFetch.Redirect) unless -AllowUnencryptedAuthentication' -ForEach @(
        @{ Case = '-Authentication Bearer'; Extra = @{ Token = $token; Authentication = 'Bearer' }; UserInfo = $false }
        @{ Case = '-Credential -Authentication Basic'; Extra = @{ Credential = $alice; Authentication = 'Basic' }; UserInfo = $false }
        @{ Case = 'a password in the URL'; Extra = @{}; UserInfo = $true }
    ) {
        Reset-IdleServer $server
        $from = if ($UserInfo) { $tlsBase -replace '^https://', 'https://alice:Alice-S3cret@' } else { $tlsBase }
        $url = Get-RedirectUrl $from "$base/echo?hop=$([uri]::EscapeDataString($Case))"
        $common = @{ SkipCertificateCheck = $true; AllowInsecureRedirect = $true; PreserveAuthorizationOnRedirect = $true }
        $r = Invoke-AsyncFetch $url @Extra @common -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.ErrorKind | Should -Be 'Redirect'
        $r.ErrorMessage | Should -Match 'AllowUnencryptedAuthentication'
        $r.ErrorMessage | Should -Not -Match 'Alice-S3cret@'
        Get-ErrorId $errs[0] | Should -Be 'AsyncFetch.Redirect'
        Get-ArrivalCount '/echo' | Should -Be 0 -Because 'the credentials never travel over plain http'

        $sent = Get-Echo (Invoke-AsyncFetch $url @Extra @common -AllowUnencryptedAuthentication)
        $sent.headers.Authorization | Should -Not -BeNullOrEmpty -Because 'allowed, they are preserved as asked'
    }
}

Describe 'A user name and password in the URL' {
    It 'becomes Basic credentials and never reaches the request line or Host' {
        $url = ($base -replace '^http://', 'http://alice:Alice-S3cret@') + '/echo?a=1'
        $r = Invoke-AsyncFetch $url -AllowUnencryptedAuthentication
        $echo = Get-Echo $r
        $echo.target | Should -BeExactly '/echo?a=1'
        $echo.headers.Host | Should -BeExactly ([uri]$base).Authority
        $echo.headers.Authorization | Should -BeExactly $basicAlice
        $r.RequestedUri | Should -BeExactly (($base -replace '^http://', 'http://alice:***@') + '/echo?a=1')
    }

    It 'answers a challenge-free endpoint at once (curl''s rule) over https without any allowance' {
        $url = ($tlsBase -replace '^https://', 'https://alice:Alice-S3cret@') + '/basic-auth/alice/Alice-S3cret?challenge=none'
        (Invoke-AsyncFetch $url -SkipCertificateCheck).StatusCode | Should -Be 200
    }

    It 'wins over the command''s -Credential' {
        $url = ($tlsBase -replace '^https://', 'https://bob:B0b-pw@') + '/basic-auth/bob/B0b-pw?challenge=none'
        (Invoke-AsyncFetch $url -Credential $alice -Authentication Basic -SkipCertificateCheck).StatusCode | Should -Be 200
    }
}

Describe 'Per request through New-FetchRequest' {
    It 'a request''s credentials win over the command''s, and requests without any take the command''s' {
        $bob = [pscredential]::new('bob', (ConvertTo-SecureString 'B0b-pw' -AsPlainText -Force))
        $results = @(
            New-FetchRequest "$tlsBase/basic-auth/bob/B0b-pw?challenge=none" -Credential $bob -Authentication Basic
            New-FetchRequest "$tlsBase/bearer" -Authentication Bearer -Token $token
            "$tlsBase/basic-auth/alice/Alice-S3cret?challenge=none"
        ) | Invoke-AsyncFetch -Credential $alice -Authentication Basic -SkipCertificateCheck -Ordered
        $results.StatusCode | Should -Be @(200, 200, 200)
        ($results[0].Content | ConvertFrom-Json).user | Should -Be 'bob'
        ($results[2].Content | ConvertFrom-Json).user | Should -Be 'alice'
    }

    It 'New-FetchRequest -AllowUnencryptedAuthentication allows plain http for that request only' {
        $results = @(
            New-FetchRequest "$base/basic-auth/alice/Alice-S3cret?own" -Credential $alice -AllowUnencryptedAuthentication
            New-FetchRequest "$base/basic-auth/alice/Alice-S3cret?other" -Credential $alice
        ) | Invoke-AsyncFetch -Ordered -ErrorVariable errs -ErrorAction SilentlyContinue
        $results[0].StatusCode | Should -Be 200
        $results[1].ErrorKind | Should -Be 'InvalidRequest'
        Get-ErrorId $errs[0] | Should -Be 'AsyncFetch.AllowUnencryptedAuthenticationRequired'
    }

    It 'New-FetchRequest -AllowUnencryptedAuthentication:$false overrides the command''s switch' {
        $r = New-FetchRequest "$base/basic-auth/alice/Alice-S3cret" -AllowUnencryptedAuthentication:$false |
            Invoke-AsyncFetch -Credential $alice -AllowUnencryptedAuthentication -ErrorAction SilentlyContinue
        $r.ErrorKind | Should -Be 'InvalidRequest'
    }
}

Describe 'Redirects never carry credentials to another origin' {
    It '<Case>: a redirect to another host or port drops them; one on the origin keeps them' -ForEach @(
        @{ Case = '-Authentication Basic'; Extra = @{ Credential = $alice; Authentication = 'Basic' }; UserInfo = $false }
        @{ Case = '-Authentication Bearer'; Extra = @{ Token = $token; Authentication = 'Bearer' }; UserInfo = $false }
        @{ Case = 'a password in the URL'; Extra = @{}; UserInfo = $true }
    ) {
        $from = if ($UserInfo) { $base -replace '^http://', 'http://alice:Alice-S3cret@' } else { $base }
        $same = Get-Echo (Invoke-AsyncFetch (Get-RedirectUrl $from "$base/echo") @Extra -AllowUnencryptedAuthentication)
        $same.headers.Authorization | Should -Not -BeNullOrEmpty

        foreach ($target in "$base2/echo", "$($otherPort.BaseUri)/echo") {
            $r = Invoke-AsyncFetch (Get-RedirectUrl $from $target) @Extra -AllowUnencryptedAuthentication
            $r.RedirectCount | Should -Be 1
            (Get-Echo $r).headers.Authorization | Should -BeNullOrEmpty -Because "$target is another origin"
        }

        $kept = Get-Echo (Invoke-AsyncFetch (Get-RedirectUrl $from "$base2/echo") @Extra -AllowUnencryptedAuthentication -PreserveAuthorizationOnRedirect)
        $kept.headers.Authorization | Should -BeExactly $same.headers.Authorization
    }

    It '-Credential alone: a challenge after a redirect to another host is not answered' {
        $r = Invoke-AsyncFetch (Get-RedirectUrl $base "$base2/basic-auth/alice/Alice-S3cret") -Credential $alice -AllowUnencryptedAuthentication
        $r.StatusCode | Should -Be 401
        $r = Invoke-AsyncFetch (Get-RedirectUrl $base "$base/basic-auth/alice/Alice-S3cret") -Credential $alice -AllowUnencryptedAuthentication
        $r.StatusCode | Should -Be 200 -Because 'on the same origin the challenge is answered'
    }
}
