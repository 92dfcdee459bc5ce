BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri

    # The value of header $Name on a FetchRequest (its Headers are name/value pairs); $null when absent.
    function Get-RequestHeader($Request, [string] $Name) {
        $found = @($Request.Headers | Where-Object { $_.Key -eq $Name })
        if ($found.Count -eq 0) { return $null }
        $found[0].Value
    }
}

AfterAll {
    Stop-TestServer $server
}

Describe 'New-FetchRequest' {
    Context 'the object it builds' {
        It 'writes an AsyncFetch.FetchRequest with GET and no body by default' {
            $req = New-FetchRequest -Uri 'http://example.test/a'
            $req | Should -BeOfType ([AsyncFetch.FetchRequest])
            $req.Uri | Should -Be ([uri]'http://example.test/a')
            $req.Method | Should -BeExactly 'GET'
            $req.Body | Should -BeNullOrEmpty
            $req.ContentType | Should -BeNullOrEmpty
            $req.UserAgent | Should -BeNullOrEmpty
            $req.Timeout | Should -BeNullOrEmpty -Because 'unset, so the fetching command''s -TimeoutSec applies'
            $req.Tag | Should -Be 'http://example.test/a'
        }

        It 'takes -Method <Given> as <Expected>' -ForEach @(
            @{ Given = 'post'; Expected = 'POST' }
            @{ Given = 'PUT'; Expected = 'PUT' }
            @{ Given = 'Delete'; Expected = 'DELETE' }
        ) {
            (New-FetchRequest -Uri 'http://example.test/' -Method $Given).Method | Should -BeExactly $Expected
        }

        It 'takes -Method by position' {
            (New-FetchRequest 'http://example.test/' PATCH).Method | Should -BeExactly 'PATCH'
        }

        It 'puts -Headers on the request (list values joined)' {
            $req = New-FetchRequest -Uri 'http://example.test/' -Headers ([ordered]@{ 'X-One' = '1'; 'X-List' = @('a', 'b'); 'X-Num' = 42 })
            @($req.Headers).Count | Should -Be 3
            Get-RequestHeader $req 'X-One' | Should -BeExactly '1'
            Get-RequestHeader $req 'X-List' | Should -BeExactly 'a, b'
            Get-RequestHeader $req 'X-Num' | Should -BeExactly '42'
        }

        It 'encodes a string -Body as UTF-8 without a BOM' {
            $text = 'caf' + [char]0xE9 + ' ' + [char]0x20AC
            $req = New-FetchRequest -Uri 'http://example.test/' -Body $text
            $req.Body | Should -BeOfType ([byte])
            , $req.Body | Should -Be (, [System.Text.UTF8Encoding]::new($false).GetBytes($text))
            $req.Body.Length | Should -Be 9
            $req.ContentType | Should -BeNullOrEmpty
        }

        It 'keeps a byte[] -Body as it is' {
            [byte[]] $bytes = 0, 1, 2, 254, 255
            $req = New-FetchRequest -Uri 'http://example.test/' -Body $bytes
            , $req.Body | Should -Be (, $bytes)
            $req.Body.GetType() | Should -Be ([byte[]])
        }

        It 'sends a hashtable -Body as a urlencoded form, encoded as Invoke-WebRequest encodes it' {
            $req = New-FetchRequest -Uri 'http://example.test/' -Method POST -Body ([ordered]@{ name = 'a b'; sym = ('&=' + [char]0xE9); n = 5 })
            [System.Text.Encoding]::ASCII.GetString($req.Body) | Should -BeExactly 'name=a+b&sym=%26%3D%C3%A9&n=5'
            $req.ContentType | Should -BeNullOrEmpty -Because 'a POST without a Content-Type gets application/x-www-form-urlencoded when it is sent, whatever its body'
        }

        It 'puts a hashtable -Body into the query of a GET, after the query the URL has' {
            $req = New-FetchRequest -Uri 'http://example.test/p?z=0' -Method GET -Body ([ordered]@{ name = 'a b'; sym = '&' })
            $req.Uri.AbsoluteUri | Should -BeExactly 'http://example.test/p?z=0&name=a+b&sym=%26'
            $req.Body | Should -BeNullOrEmpty
            $req.ContentType | Should -BeNullOrEmpty
        }

        It 'leaves a hashtable -Body in the body without -Method: the sending command''s -Method decides' {
            $req = New-FetchRequest -Uri 'http://example.test/p' -Body @{ a = 1 }
            $req.Uri.AbsoluteUri | Should -BeExactly 'http://example.test/p'
            [System.Text.Encoding]::ASCII.GetString($req.Body) | Should -BeExactly 'a=1'
        }

        It 'encodes a string -Body with the charset of -ContentType' {
            $req = New-FetchRequest -Uri 'http://example.test/' -Method POST -Body "$([char]0xE9)$([char]0x20AC)" -ContentType 'text/plain; charset=windows-1252'
            , $req.Body | Should -Be (, [byte[]](0xE9, 0x80))
        }

        It 'keeps an explicit -ContentType with a hashtable -Body' {
            $req = New-FetchRequest -Uri 'http://example.test/' -Body @{ a = 1 } -ContentType 'application/x-www-form-urlencoded; charset=utf-8'
            $req.ContentType | Should -BeExactly 'application/x-www-form-urlencoded; charset=utf-8'
        }

        It 'puts -ContentType, -UserAgent, -TimeoutSec and -Tag on the request' {
            $tag = [pscustomobject]@{ Id = 12 }
            $req = New-FetchRequest -Uri 'http://example.test/' -Body 'x' -ContentType 'text/plain' -UserAgent 'tester/2.0' -TimeoutSec 7 -Tag $tag
            $req.ContentType | Should -BeExactly 'text/plain'
            $req.UserAgent | Should -BeExactly 'tester/2.0'
            $req.Timeout | Should -Be ([timespan]::FromSeconds(7))
            $req.Tag.Id | Should -Be 12
        }

        It 'rejects an unsupported -Body type (<Name>) with a terminating AsyncFetch.UnsupportedBody error' -ForEach @(
            @{ Name = 'datetime'; Value = [datetime]'2020-01-02' }
            @{ Name = 'int'; Value = 5 }
        ) {
            { New-FetchRequest -Uri 'http://example.test/' -Body $Value -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'AsyncFetch.UnsupportedBody,*'
        }
    }

    Context 'pipeline input' {
        It 'binds strings by value, with the string as Tag' {
            $reqs = @('http://example.test/1', 'http://example.test/2' | New-FetchRequest -Method POST)
            $reqs.Count | Should -Be 2
            $reqs[0].Uri | Should -Be ([uri]'http://example.test/1')
            $reqs[1].Uri | Should -Be ([uri]'http://example.test/2')
            $reqs[0].Tag | Should -Be 'http://example.test/1'
            $reqs[1].Tag | Should -Be 'http://example.test/2'
            $reqs | ForEach-Object { $_.Method | Should -Be 'POST' }
        }

        It 'binds Import-Csv rows by their Url property, with the row as Tag' {
            $csv = Join-Path TestDrive: 'rows.csv'
            @(
                [pscustomobject]@{ Name = 'first'; Url = 'http://example.test/first'; Weight = '3' }
                [pscustomobject]@{ Name = 'second'; Url = 'http://example.test/second'; Weight = '4' }
            ) | Export-Csv -Path $csv -NoTypeInformation
            $reqs = @(Import-Csv -Path $csv | New-FetchRequest)
            $reqs.Count | Should -Be 2
            $reqs[0].Uri | Should -Be ([uri]'http://example.test/first')
            $reqs[0].Tag.Name | Should -Be 'first'
            $reqs[0].Tag.Weight | Should -Be '3'
            $reqs[1].Uri | Should -Be ([uri]'http://example.test/second')
            $reqs[1].Tag.Name | Should -Be 'second'
        }

        It '-InputObject given by name tags the request with that object, unless -Tag is given' {
            $row = [pscustomobject]@{ Name = 'row'; Url = 'http://example.test/row' }
            $req = New-FetchRequest -Uri 'http://example.test/other' -InputObject $row
            $req.Uri | Should -Be ([uri]'http://example.test/other')
            $req.Tag.Name | Should -Be 'row'
            (New-FetchRequest -Uri 'http://example.test/other' -InputObject $row -Tag 'mine').Tag | Should -Be 'mine'
        }

        It 'binds objects by a <Property> property' -ForEach @(
            @{ Property = 'Uri' }
            @{ Property = 'Link' }
        ) {
            $req = [pscustomobject]@{ $Property = 'http://example.test/p'; Other = 'o' } | New-FetchRequest
            $req.Uri | Should -Be ([uri]'http://example.test/p')
            $req.Tag.Other | Should -Be 'o'
        }

        It 'uses -Tag instead of the input object when given' {
            $reqs = @(
                [pscustomobject]@{ Url = 'http://example.test/1' }
                'http://example.test/2'
            ) | New-FetchRequest -Tag 'mine'
            $reqs | ForEach-Object { $_.Tag | Should -BeExactly 'mine' }
        }

        It 'brings the Tag back as the result''s Input from Invoke-AsyncFetch' {
            $row = [pscustomobject]@{ Url = "$base/bytes/4"; Name = 'row' }
            $r = $row | New-FetchRequest | Invoke-AsyncFetch
            $r.StatusCode | Should -Be 200
            $r.Input.Name | Should -Be 'row'
        }
    }

    Context 'piped into Invoke-AsyncFetch with different parameters' {
        It 'keeps the request''s own method, headers, body and content type over Invoke-AsyncFetch''s' {
            $req = New-FetchRequest -Uri "$base/echo" -Method PUT -Headers @{ 'X-Who' = 'request'; 'x-case' = 'request' } -Body 'request body' -ContentType 'text/request' -UserAgent 'request-agent/1'
            $r = $req | Invoke-AsyncFetch -Method POST -Headers @{ 'X-Who' = 'command'; 'X-Case' = 'command' } -Body 'command body' -ContentType 'text/command' -UserAgent 'command-agent/1'
            $echo = $r.Content | ConvertFrom-Json
            $echo.method | Should -BeExactly 'PUT'
            $echo.headers.'X-Who' | Should -BeExactly 'request'
            $echo.headers.'X-Case' | Should -BeExactly 'request' -Because 'header names compare case-insensitively'
            $echo.body | Should -BeExactly 'request body'
            $echo.headers.'Content-Type' | Should -BeExactly 'text/request'
            $echo.headers.'User-Agent' | Should -BeExactly 'request-agent/1'
        }

        It 'keeps an explicit -Method GET over Invoke-AsyncFetch -Method POST' {
            $r = New-FetchRequest -Uri "$base/echo" -Method GET | Invoke-AsyncFetch -Method POST
            ($r.Content | ConvertFrom-Json).method | Should -BeExactly 'GET'
        }

        It 'takes what the request leaves unset from Invoke-AsyncFetch' {
            $r = New-FetchRequest -Uri "$base/echo" -Headers @{ 'X-Who' = 'request' } |
                Invoke-AsyncFetch -Method POST -Headers @{ 'X-Who' = 'command'; 'X-Extra' = 'command' } -Body 'command body' -ContentType 'text/command' -UserAgent 'command-agent/1'
            $echo = $r.Content | ConvertFrom-Json
            $echo.method | Should -BeExactly 'POST'
            $echo.headers.'X-Who' | Should -BeExactly 'request'
            $echo.headers.'X-Extra' | Should -BeExactly 'command'
            $echo.body | Should -BeExactly 'command body'
            $echo.headers.'Content-Type' | Should -BeExactly 'text/command'
            $echo.headers.'User-Agent' | Should -BeExactly 'command-agent/1'
        }

        It 'uses the request''s -TimeoutSec, and Invoke-AsyncFetch -TimeoutSec when it has none' {
            $own = New-FetchRequest -Uri "$base/delay/1500" -TimeoutSec 10 -Tag 'own'
            $inherited = New-FetchRequest -Uri "$base/delay/1500" -Tag 'inherited'
            $results = @($own, $inherited | Invoke-AsyncFetch -TimeoutSec 1 -ErrorAction SilentlyContinue)
            $results.Count | Should -Be 2
            ($results | Where-Object Input -eq 'own').StatusCode | Should -Be 200
            ($results | Where-Object Input -eq 'inherited').ErrorKind | Should -Be 'Timeout'
        }
    }
}
