# What a script built on Invoke-RestMethod needs: parsed bodies (-ParseContent and the results' ParsedContent) and
# request bodies as Invoke-WebRequest sends them (a POST's default Content-Type, collections joined with $OFS), plus
# objects sent as JSON. Invoke-RestMethod itself runs beside AsyncFetch against the same loopback test server, so the
# comparison is with the PowerShell running the tests, whichever it is.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri

    function Get-ContentUrl([string] $Type, [string] $Body, [int] $Status = 200) {
        # The URL of /content: this body with this Content-Type and status.
        "$base/content?type=$([uri]::EscapeDataString($Type))&body=$([uri]::EscapeDataString($Body))&status=$Status"
    }

    function ConvertTo-Comparable($Value) {
        # A parsed body as text that is equal exactly when the values are: type names, XML markup, JSON structure.
        if ($null -eq $Value) { return '<null>' }
        if ($Value -is [System.Xml.XmlNode]) { return "$($Value.GetType().FullName): $($Value.OuterXml)" }
        if ($Value -is [array]) { return "$($Value.GetType().FullName)[$($Value.Count)]: " + (@($Value | ForEach-Object { ConvertTo-Comparable $_ }) -join ' | ') }
        "$($Value.GetType().FullName): $(ConvertTo-Json -InputObject $Value -Depth 20 -Compress)"
    }

    function Get-Echo($Result) { $Result.Content | ConvertFrom-Json }
}

AfterAll {
    Stop-TestServer $server
}

Describe 'The same script with Invoke-RestMethod and with Invoke-AsyncFetch -ParseContent' {
    BeforeAll {
        # Written once for Invoke-RestMethod; REST becomes the command each run uses. The only other difference is
        # the one every Invoke-RestMethod script has: it must turn a hashtable into JSON itself (ConvertTo-Json).
        $script:portable = @'
$payload = [ordered]@{ name = "caf$([char]0xE9)"; count = 3; tags = @('a', 'b'); nested = [ordered]@{ ok = $true; none = $null } }
$object = REST "$base/json"
$array  = REST "$base/json-array"
$xml    = REST "$base/xml"
$feed   = REST "$base/rss"
$entry  = REST "$base/atom"
$text   = REST "$base/text/26"
$echo   = REST "$base/echo" -Method Post -Body PAYLOAD -ContentType 'application/json'
[ordered]@{
    JsonObject = $object; JsonArray = $array; Xml = $xml; RssItems = $feed; AtomEntry = $entry; Text = $text
    PostedBody = $echo.body; PostedType = $echo.headers.'Content-Type'; PostedMethod = $echo.method
    Name = $object.name; SecondTitle = $xml.catalog.book[1].title; FirstItem = $feed[0].title
}
'@
        function Invoke-Portable([string] $Rest, [string] $Payload) {
            $code = $portable.Replace('PAYLOAD', $Payload) -replace '(?m)^(\$\w+\s*=\s*)REST (.+)$', $Rest
            & ([scriptblock]::Create($code))
        }

        $script:viaRestMethod = Invoke-Portable -Rest '$1Invoke-RestMethod $2' -Payload '($payload | ConvertTo-Json -Depth 10 -Compress)'
        $script:viaAsyncFetch = Invoke-Portable -Rest '$1(Invoke-AsyncFetch $2 -ParseContent).ParsedContent' -Payload '$payload'
    }

    It 'gets the same <Key> as Invoke-RestMethod' -ForEach @(
        @{ Key = 'JsonObject' }, @{ Key = 'JsonArray' }, @{ Key = 'Xml' }, @{ Key = 'RssItems' }, @{ Key = 'AtomEntry' }, @{ Key = 'Text' }
        @{ Key = 'PostedBody' }, @{ Key = 'PostedType' }, @{ Key = 'PostedMethod' }, @{ Key = 'Name' }, @{ Key = 'SecondTitle' }, @{ Key = 'FirstItem' }
    ) {
        $viaRestMethod[$Key] | Should -Not -BeNullOrEmpty -Because 'the comparison must compare something'
        ConvertTo-Comparable $viaAsyncFetch[$Key] | Should -BeExactly (ConvertTo-Comparable $viaRestMethod[$Key])
    }

    It 'has the kinds of values Invoke-RestMethod gives (so the comparison is not between two wrong answers)' {
        $viaAsyncFetch.JsonObject | Should -BeOfType ([System.Management.Automation.PSCustomObject])
        $viaAsyncFetch.JsonObject.nested.list | Should -Be @(1, 2, 3)
        , $viaAsyncFetch.JsonArray | Should -BeOfType ([object[]])
        $viaAsyncFetch.Xml | Should -BeOfType ([System.Xml.XmlDocument])
        $viaAsyncFetch.RssItems.Count | Should -Be 2
        $viaAsyncFetch.AtomEntry | Should -BeOfType ([System.Xml.XmlElement])
        $viaAsyncFetch.Text | Should -BeExactly 'abcdefghijklmnopqrstuvwxyz'
        $viaAsyncFetch.PostedBody | Should -BeExactly ('{"name":"caf' + [char]0xE9 + '","count":3,"tags":["a","b"],"nested":{"ok":true,"none":null}}')
        $viaAsyncFetch.SecondTitle | Should -BeExactly 'Two'
    }
}

Describe 'Invoke-AsyncFetch -ParseContent' {
    It 'matches Invoke-RestMethod for <Name>' -ForEach @(
        @{ Name = 'a JSON number sent as text/plain'; Type = 'text/plain'; Body = '42' }
        @{ Name = 'the JSON literal null'; Type = 'application/json'; Body = 'null' }
        @{ Name = 'an empty body'; Type = 'application/json'; Body = '' }
        @{ Name = 'an XHTML page sent as text/html'; Type = 'text/html'; Body = '<html><body><p>hi</p></body></html>' }
        @{ Name = 'an HTML page that is not XML'; Type = 'text/html'; Body = '<!DOCTYPE html><p>hi<br></p>' }
        @{ Name = 'a problem+json document'; Type = 'application/problem+json'; Body = '{"title":"x","status":400}' }
        @{ Name = 'JSON with no Content-Type'; Type = ''; Body = '[1,"two",{"three":3}]' }
    ) {
        $url = if ($Type) { Get-ContentUrl $Type $Body } else { "$base/content?body=$([uri]::EscapeDataString($Body))" }
        $expected = Invoke-RestMethod $url
        $result = Invoke-AsyncFetch $url -ParseContent
        ConvertTo-Comparable $result.ParsedContent | Should -BeExactly (ConvertTo-Comparable $expected)
    }

    It 'takes the body as the JSON or XML it is, whatever Content-Type says, as Invoke-RestMethod does (no parse error)' {
        $results = @(Invoke-AsyncFetch (Get-ContentUrl 'application/json' '<ok/>'), (Get-ContentUrl 'text/xml' '{"a":1}') -ParseContent -Ordered -ErrorVariable errs)
        $results[0].ParsedContent | Should -BeOfType ([System.Xml.XmlDocument])
        $results[1].ParsedContent.a | Should -Be 1
        $errs.Count | Should -Be 0
    }

    It 'reads a JSON body that begins with a byte order mark (Content has none)' {
        # Invoke-RestMethod 7 keeps the mark in its text, so it fails to read the JSON and returns the text.
        $result = Invoke-AsyncFetch (Get-ContentUrl 'application/json' ([char]0xFEFF + '{"a":1}')) -ParseContent
        $result.ParsedContent.a | Should -Be 1
    }

    It 'gives every result a ParsedContent property: $null for a failure and for a body not kept' {
        $port = Get-UnusedPort
        $results = @(Invoke-AsyncFetch "$base/json", "http://127.0.0.1:$port/", "$base/xml" -ParseContent -Ordered -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 3
        foreach ($r in $results) { $r.PSObject.Properties['ParsedContent'] | Should -Not -BeNullOrEmpty }
        $results[0].ParsedContent.name | Should -BeExactly 'AsyncFetch'
        $results[1].ErrorKind | Should -Be 'Connect'
        $results[1].ParsedContent | Should -BeNullOrEmpty
        (Invoke-AsyncFetch "$base/json" -ParseContent -NoContent).ParsedContent | Should -BeNullOrEmpty
    }

    It 'adds nothing without the switch' {
        (Invoke-AsyncFetch "$base/json").PSObject.Properties['ParsedContent'] | Should -BeNullOrEmpty
    }

    It 'keeps ParsedContent out of Export-Csv rows and Format-List *, as the body is' {
        $results = @(Invoke-AsyncFetch "$base/json", "$base/xml", "$base/links/page" -ParseContent -Ordered)
        $csv = @($results | ConvertTo-Csv -NoTypeInformation)
        $csv.Count | Should -Be 4 -Because 'a header and one line per result'
        $csv[0] | Should -Not -Match 'ParsedContent'
        ($results[0] | Format-List * | Out-String) | Should -Not -Match 'ParsedContent'
        $results[0].ParsedContent.name | Should -BeExactly 'AsyncFetch' -Because 'it is there by name'
        ($results[0] | Select-Object StatusCode, ParsedContent).ParsedContent.name | Should -BeExactly 'AsyncFetch'
    }

    It 'writes AsyncFetch.ParseError for a body that is not the <Kind> its Content-Type declares, and goes on' -ForEach @(
        @{ Kind = 'JSON'; Type = 'application/json'; Body = 'not json' }
        @{ Kind = 'JSON'; Type = 'application/vnd.api+json; charset=utf-8'; Body = '<p>an html error page<br></p>' }
        @{ Kind = 'XML'; Type = 'application/xml'; Body = '<open><unclosed></open>' }
        @{ Kind = 'XML'; Type = 'text/xml'; Body = 'plain words' }
    ) {
        $bad = Get-ContentUrl $Type $Body
        $results = @(Invoke-AsyncFetch $bad, "$base/json" -ParseContent -Ordered -ErrorVariable errs -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 2 -Because 'the failed item is still written and the batch goes on'
        $results[0].StatusCode | Should -Be 200
        $results[0].ParsedContent | Should -BeExactly $Body -Because 'as Invoke-RestMethod, the text is the value'
        $results[1].ParsedContent.name | Should -BeExactly 'AsyncFetch'
        $errs.Count | Should -Be 1
        Get-ErrorId $errs[0] | Should -Be 'AsyncFetch.ParseError'
        $errs[0].CategoryInfo.Category | Should -Be 'ParserError'
        $errs[0].TargetObject | Should -Be $results[0]
        $errs[0].Exception.Message | Should -Match "is not $Kind"
        $errs[0].Exception.Message | Should -Match ([regex]::Escape($bad))
    }

    It 'stops on a parse error with -ErrorAction Stop' {
        { Invoke-AsyncFetch (Get-ContentUrl 'application/json' '{broken') -ParseContent -ErrorAction Stop } | Should -Throw -ErrorId 'AsyncFetch.ParseError,*'
    }

    It 'parses an error status''s body too, but never reports a parse error for it' {
        $api = Get-ContentUrl 'application/json' '{"error":"no such item"}' 404
        $page = Get-ContentUrl 'application/json' '<html>Internal error<br></html>' 500
        $results = @(Invoke-AsyncFetch $api, $page -ParseContent -Ordered -ErrorVariable errs -ErrorAction SilentlyContinue)
        $results[0].StatusCode | Should -Be 404
        $results[0].ParsedContent.error | Should -BeExactly 'no such item'
        $results[1].ParsedContent | Should -BeExactly '<html>Internal error<br></html>'
        @($errs | Where-Object { (Get-ErrorId $_) -eq 'AsyncFetch.ParseError' }).Count | Should -Be 0
    }

    It 'sets ParsedContent before -OnComplete runs' {
        $seen = Invoke-AsyncFetch "$base/json", "$base/json-array" -ParseContent -Ordered -OnComplete { $_.ParsedContent.GetType().Name }
        $seen | Should -Be @('PSCustomObject', 'Object[]')
    }

    It 'reads JSON through ConvertFrom-Json the same way when the fast path cannot be used' -ForEach @(
        @{ Json = '{"a":[1,{"b":null}],"d":"2024-01-02T03:04:05Z","n":1.5}' }
        @{ Json = '[{"id":1}]' }
        @{ Json = '[]' }
        @{ Json = '"text"' }
        @{ Json = '12345678901' }
    ) {
        # The command path is the fallback for a PowerShell without JsonObject.ConvertFromJson; it must agree with it.
        $type = (Get-Command Invoke-AsyncFetch).ImplementingType.Assembly.GetType('AsyncFetch.PowerShell.Internal.PowerShellJson')
        $flags = [System.Reflection.BindingFlags]'Static, Public, NonPublic'
        $fast = $type.GetMethod('TryFromJson', $flags, $null, [type[]]@([string], [object].MakeByRefType(), [exception].MakeByRefType()), $null)
        $slow = $type.GetMethod('TryFromJsonThroughCommand', $flags)
        $fastArgs = [object[]]@($Json, $null, $null)
        $slowArgs = [object[]]@($Json, $null, $null)
        $fast.Invoke($null, $fastArgs) | Should -BeTrue
        $slow.Invoke($null, $slowArgs) | Should -BeTrue
        ConvertTo-Comparable $slowArgs[1] | Should -BeExactly (ConvertTo-Comparable $fastArgs[1])
    }
}

Describe 'Start-FetchJob -ParseContent' {
    AfterEach { Remove-FetchJobs }

    It 'gives the job''s results ParsedContent, reports parse errors in the job, and -OnComplete sees it' {
        $job = Start-FetchJob "$base/json", (Get-ContentUrl 'application/json' 'oops') -ParseContent -Ordered
        $results = @(Receive-FetchJob $job -Wait -ErrorVariable errs -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 2
        $results[0].ParsedContent.nested.text | Should -BeExactly ('caf' + [char]0xE9)
        $results[1].ParsedContent | Should -BeExactly 'oops'
        @($errs | ForEach-Object { Get-ErrorId $_ }) | Should -Be @('AsyncFetch.ParseError')

        $callback = Start-FetchJob "$base/json-array" -ParseContent -OnComplete { $_.ParsedContent.Count }
        Receive-FetchJob $callback -Wait | Should -Be 2
    }
}

Describe 'Request bodies' {
    It 'sends a hashtable as JSON with a JSON -ContentType (<ContentType>)' -ForEach @(
        @{ ContentType = 'application/json' }
        @{ ContentType = 'application/json; charset=utf-8' }
        @{ ContentType = 'application/merge-patch+json' }
        @{ ContentType = 'text/json' }
    ) {
        $body = [ordered]@{ id = 7; name = 'x y'; list = @(1, 2); inner = [ordered]@{ deep = [ordered]@{ deeper = [ordered]@{ deepest = 'z' } } } }
        $echo = Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Post -Body $body -ContentType $ContentType)
        $echo.body | Should -BeExactly '{"id":7,"name":"x y","list":[1,2],"inner":{"deep":{"deeper":{"deepest":"z"}}}}' -Because 'nesting is not cut at ConvertTo-Json''s default depth of 2'
        $echo.headers.'Content-Type' | Should -BeExactly $ContentType
    }

    It 'takes the JSON Content-Type from -Headers as well' {
        $echo = Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Put -Body @{ a = 1 } -Headers @{ 'content-type' = 'application/json' })
        $echo.body | Should -BeExactly '{"a":1}'
    }

    It 'sends any object as JSON with a JSON -ContentType: <Name>' -ForEach @(
        @{ Name = 'a PSCustomObject'; Value = [pscustomobject]@{ n = 'v'; b = $false }; Json = '{"n":"v","b":false}' }
        @{ Name = 'an array of hashtables'; Value = @(@{ a = 1 }, @{ a = 2 }); Json = '[{"a":1},{"a":2}]' }
        @{ Name = 'a number'; Value = 5; Json = '5' }
    ) {
        $echo = Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Post -Body $Value -ContentType 'application/json')
        $echo.body | Should -BeExactly $Json
        Test-Path variable:InputObject, variable:Depth | Should -Be @($false, $false) -Because 'ConvertTo-Json runs in a scope of its own'
    }

    It 'sends a string as it is, also with a JSON -ContentType (it already is the JSON)' {
        $echo = Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Post -Body '{"x": 1}' -ContentType 'application/json')
        $echo.body | Should -BeExactly '{"x": 1}'
    }

    It 'sends the same JSON from New-FetchRequest' {
        $echo = Get-Echo (New-FetchRequest "$base/echo" -Method Post -Body @{ k = 'v' } -ContentType 'application/json' | Invoke-AsyncFetch)
        $echo.body | Should -BeExactly '{"k":"v"}'
        $echo.headers.'Content-Type' | Should -BeExactly 'application/json'
    }

    It 'joins a string[] -Body (Get-Content of a file) as Invoke-WebRequest does' {
        $file = Join-Path $TestDrive 'body.txt'
        "line one`nline two" | Set-Content $file
        $lines = Get-Content $file
        $expected = (Invoke-RestMethod "$base/echo" -Method Post -Body $lines).body
        $expected | Should -BeExactly 'line one line two'
        (Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Post -Body $lines)).body | Should -BeExactly $expected
        (Get-Echo (New-FetchRequest "$base/echo" -Method Post -Body $lines | Invoke-AsyncFetch)).body | Should -BeExactly $expected
    }

    It 'joins with $OFS, as Invoke-WebRequest does' {
        $OFS = '+'
        try {
            (Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Post -Body @('a', 'b', 'c'))).body | Should -BeExactly 'a+b+c'
        }
        finally { Remove-Variable OFS }
    }

    It 'joins the lines of a JSON file read with Get-Content instead of making them a JSON array' {
        $file = Join-Path $TestDrive 'body.json'
        "{`n  `"a`": 1`n}" | Set-Content $file
        $echo = Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Post -Body (Get-Content $file) -ContentType 'application/json')
        ($echo.body | ConvertFrom-Json).a | Should -Be 1
    }

    It 'sends an XML document as its markup' {
        $echo = Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Post -Body ([xml]'<a x="1"><b>t</b></a>') -ContentType 'application/xml')
        $echo.body | Should -BeExactly '<a x="1"><b>t</b></a>'
    }

    It 'sends a POST with <Name> as application/x-www-form-urlencoded when no Content-Type is given, as Invoke-WebRequest does' -ForEach @(
        @{ Name = 'a string body'; Body = 'a=1' }
        @{ Name = 'no body'; Body = $null }
        @{ Name = 'a byte[] body'; Body = [byte[]](65, 66) }
    ) {
        $splat = @{ Method = 'Post' }
        if ($null -ne $Body) { $splat.Body = $Body }
        $expected = (Invoke-RestMethod "$base/echo" @splat).headers.'Content-Type'
        $expected | Should -BeExactly 'application/x-www-form-urlencoded'
        (Get-Echo (Invoke-AsyncFetch "$base/echo" @splat)).headers.'Content-Type' | Should -BeExactly $expected
        (Get-Echo (New-FetchRequest "$base/echo" @splat | Invoke-AsyncFetch)).headers.'Content-Type' | Should -BeExactly $expected
    }

    It 'keeps a Content-Type given by -ContentType, -Headers or the request, and adds none to a PUT' {
        (Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Post -Body 'x' -ContentType 'text/plain')).headers.'Content-Type' | Should -BeExactly 'text/plain'
        (Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Post -Body 'x' -Headers @{ 'Content-Type' = 'text/csv' })).headers.'Content-Type' | Should -BeExactly 'text/csv'
        (Get-Echo (New-FetchRequest "$base/echo" -Method Post -Body 'x' -ContentType 'text/x-req' | Invoke-AsyncFetch)).headers.'Content-Type' | Should -BeExactly 'text/x-req'
        (Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Put -Body 'x')).headers.'Content-Type' | Should -BeNullOrEmpty
    }

    It 'refuses a directory -Body with AsyncFetch.UnsupportedBody (files and streams are uploads: Http-Uploads.Tests.ps1)' {
        $value = Get-Item $PSScriptRoot
        { Invoke-AsyncFetch "$base/echo" -Method Post -Body $value -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'AsyncFetch.UnsupportedBody,*'
        { New-FetchRequest "$base/echo" -Method Post -Body $value -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'AsyncFetch.UnsupportedBody,*'
    }
}

Describe 'Hashtable and text bodies, byte for byte as Invoke-WebRequest sends them' {
    BeforeAll {
        function Get-Received($Echo) {
            # What /echo received, in one line: method, query, Content-Type, the body (as UTF-8), its length and SHA-256.
            "$($Echo.method) query=[$($Echo.query)] type=[$($Echo.headers.'Content-Type')] body=[$($Echo.body)] length=$($Echo.bodyLength) sha256=$($Echo.bodySha256)"
        }

        function Get-ViaWebRequest([string] $Uri, [hashtable] $Splat) {
            Get-Received ((Invoke-WebRequest $Uri @Splat).Content | ConvertFrom-Json)
        }

        function Get-ViaAsyncFetch([string] $Uri, [hashtable] $Splat) {
            # The same request from each command that takes -Body. A New-FetchRequest request is sent once with its own
            # -Method and once without, taking the -Method of Invoke-AsyncFetch (the body's fate is decided then).
            $own = @{} + $Splat
            $own.Remove('Method')
            $method = if ($Splat.Method) { $Splat.Method } else { 'Get' }
            [ordered]@{
                'Invoke-AsyncFetch'           = Get-Received (Get-Echo (Invoke-AsyncFetch $Uri @Splat))
                'Start-FetchJob'              = Get-Received (Get-Echo (Receive-FetchJob (Start-FetchJob $Uri @Splat) -Wait -AutoRemoveJob))
                'New-FetchRequest -Method'    = Get-Received (Get-Echo (New-FetchRequest $Uri @own -Method $method | Invoke-AsyncFetch))
                'New-FetchRequest, no Method' = Get-Received (Get-Echo (New-FetchRequest $Uri @own | Invoke-AsyncFetch -Method $method))
            }
        }

        function Get-Sha256([byte[]] $Bytes) {
            [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($Bytes)).ToLowerInvariant()
        }
    }

    It 'sends <Name> as Invoke-WebRequest does' -ForEach @(
        @{ Name = 'a GET with a hashtable: the form in the query, no body, no Content-Type'
           Path = '/echo'; Splat = @{ Body = [ordered]@{ a = '1'; b = 'two' } }
           Expected = 'GET query=[?a=1&b=two] type=[] body=[] length=0' }
        @{ Name = 'a GET with a hashtable after the query the URL has'
           Path = '/echo?z=0'; Splat = @{ Method = 'Get'; Body = [ordered]@{ a = '1' } }
           Expected = 'GET query=[?z=0&a=1] type=[] body=[] length=0' }
        @{ Name = 'a POST with a hashtable: the form as the body, as application/x-www-form-urlencoded'
           Path = '/echo'; Splat = @{ Method = 'Post'; Body = [ordered]@{ name = 'a b'; n = 5 } }
           Expected = 'POST query=[] type=[application/x-www-form-urlencoded] body=[name=a+b&n=5] length=12' }
        @{ Name = 'a PUT with a hashtable: the form as the body, with no Content-Type'
           Path = '/echo'; Splat = @{ Method = 'Put'; Body = [ordered]@{ name = 'a b' } }
           Expected = 'PUT query=[] type=[] body=[name=a+b] length=8' }
        @{ Name = 'a hashtable with a space and an & in a value, in a query'
           Path = '/echo'; Splat = @{ Body = [ordered]@{ q = 'x y&z=1'; "k $([char]0xE9)" = '' } }
           Expected = 'GET query=[?q=x+y%26z%3D1&k+%C3%A9=] type=[] body=[] length=0' }
        @{ Name = 'a hashtable with a space and an & in a value, in a POST body'
           Path = '/echo'; Splat = @{ Method = 'Post'; Body = [ordered]@{ q = 'x y&z=1'; "k $([char]0xE9)" = '' } }
           Expected = 'POST query=[] type=[application/x-www-form-urlencoded] body=[q=x+y%26z%3D1&k+%C3%A9=] length=23' }
        @{ Name = 'a hashtable with a collection and $null as values'
           Path = '/echo'; Splat = @{ Method = 'Post'; Body = [ordered]@{ list = @(1, 2); none = $null } }
           Expected = 'POST query=[] type=[application/x-www-form-urlencoded] body=[list=System.Object%5B%5D&none=] length=30' }
    ) {
        $viaWebRequest = Get-ViaWebRequest "$base$Path" $Splat
        $viaWebRequest | Should -BeLike "$([WildcardPattern]::Escape($Expected)) sha256=*" -Because 'this is what Invoke-WebRequest sends'
        $viaAsyncFetch = Get-ViaAsyncFetch "$base$Path" $Splat
        foreach ($command in $viaAsyncFetch.Keys) {
            $viaAsyncFetch[$command] | Should -BeExactly $viaWebRequest -Because "$command sends what Invoke-WebRequest sends"
        }
    }

    It 'encodes a <Name> with the charset of -ContentType, as Invoke-WebRequest does' -ForEach @(
        @{ Name = 'string'; Body = "$([char]0xE9)"; Bytes = [byte[]](0xE9) }
        @{ Name = 'string[] (joined with $OFS)'; Body = @("$([char]0xE9)", 'b'); Bytes = [byte[]](0xE9, 0x20, 0x62) }
    ) {
        $splat = @{ Method = 'Post'; Body = $Body; ContentType = 'text/plain; charset=iso-8859-1' }
        $viaWebRequest = Get-ViaWebRequest "$base/echo" $splat
        $viaWebRequest | Should -BeLike "POST query=``[``] type=``[text/plain; charset=iso-8859-1``] body=* length=$($Bytes.Length) sha256=$(Get-Sha256 $Bytes)" -Because 'this is what Invoke-WebRequest sends'
        $viaAsyncFetch = Get-ViaAsyncFetch "$base/echo" $splat
        foreach ($command in $viaAsyncFetch.Keys) {
            $viaAsyncFetch[$command] | Should -BeExactly $viaWebRequest -Because "$command sends what Invoke-WebRequest sends"
        }
    }

    It 'takes the charset from a Content-Type in -Headers too (it is the one sent), and keeps UTF-8 without one' {
        $latin1 = @{ Method = 'Post'; Body = "$([char]0xE9)"; Headers = @{ 'Content-Type' = 'text/plain; charset=iso-8859-1' } }
        Get-Received (Get-Echo (Invoke-AsyncFetch "$base/echo" @latin1)) | Should -BeExactly (Get-ViaWebRequest "$base/echo" $latin1)
        $both = @{ Method = 'Post'; Body = "$([char]0xE9)"; ContentType = 'text/plain; charset=utf-16'; Headers = @{ 'Content-Type' = 'text/plain; charset=iso-8859-1' } }
        Get-Received (Get-Echo (Invoke-AsyncFetch "$base/echo" @both)) | Should -BeExactly (Get-ViaWebRequest "$base/echo" $latin1) -Because 'the charset is that of the Content-Type sent, which is the one in -Headers'
        $utf8 = @{ Method = 'Post'; Body = "$([char]0xE9)"; ContentType = 'text/plain' }
        $expected = Get-ViaWebRequest "$base/echo" $utf8
        $expected | Should -BeLike '* length=2 *'
        Get-Received (Get-Echo (Invoke-AsyncFetch "$base/echo" @utf8)) | Should -BeExactly $expected
    }

    It 'refuses a charset it does not know with AsyncFetch.UnsupportedBody, where Invoke-WebRequest refuses it too' {
        $splat = @{ Method = 'Post'; Body = 'x'; ContentType = 'text/plain; charset=no-such-charset' }
        { Invoke-WebRequest "$base/echo" @splat } | Should -Throw -ErrorId 'WebCmdletContentTypeException,*'
        { Invoke-AsyncFetch "$base/echo" @splat -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'AsyncFetch.UnsupportedBody,*'
        { Start-FetchJob "$base/echo" @splat -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'AsyncFetch.UnsupportedBody,*'
        { New-FetchRequest "$base/echo" @splat -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'AsyncFetch.UnsupportedBody,*'
    }
}
