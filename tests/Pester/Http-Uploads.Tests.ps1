# Uploads as Invoke-WebRequest 7.4 sends them: -InFile, -Form (multipart/form-data, compared part by part with
# Invoke-WebRequest -Form against the same echo endpoint), a file or stream -Body; and -OperationTimeoutSeconds.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri
    $script:dir = Join-Path ([System.IO.Path]::GetTempPath()) ("af-uploads-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $dir | Out-Null
    $script:bytes = [byte[]]::new(300000)
    [System.Random]::new(5).NextBytes($bytes)
    $script:file = Join-Path $dir 'data file.bin'
    [System.IO.File]::WriteAllBytes($file, $bytes)
    $script:sha = ([System.BitConverter]::ToString([System.Security.Cryptography.SHA256]::Create().ComputeHash($bytes)) -replace '-', '').ToLowerInvariant()

    function Get-Echo($Result) { $Result.Content | ConvertFrom-Json }
}

AfterAll {
    Stop-TestServer $server
    Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe '-InFile' {
    It 'sends the file as the body with its length (<Command>)' -ForEach @(
        @{ Command = 'Invoke-AsyncFetch'; Run = { Invoke-AsyncFetch "$base/echo" -Method Put -InFile $file } }
        @{ Command = 'New-FetchRequest'; Run = { New-FetchRequest "$base/echo" -Method Put -InFile $file | Invoke-AsyncFetch } }
        @{ Command = 'Start-FetchJob'; Run = { Start-FetchJob "$base/echo" -Method Put -InFile $file | Receive-FetchJob -Wait -AutoRemoveJob } }
    ) {
        $echo = Get-Echo (& $Run)
        $echo.bodyLength | Should -Be $bytes.Length
        $echo.bodySha256 | Should -BeExactly $sha
        $echo.headers.'Content-Length' | Should -Be "$($bytes.Length)"
    }

    It 'resolves a relative path and ends the command for a missing file (AsyncFetch.InFileFailed)' {
        Push-Location $dir
        try { (Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Put -InFile './data file.bin')).bodySha256 | Should -BeExactly $sha }
        finally { Pop-Location }
        { Invoke-AsyncFetch "$base/echo" -Method Put -InFile (Join-Path $dir 'none.bin') } | Should -Throw -ErrorId 'AsyncFetch.InFileFailed,*'
    }

    It 'refuses -Body with -InFile or -Form (AsyncFetch.BodyConflict)' {
        { Invoke-AsyncFetch "$base/echo" -Method Post -Body 'x' -InFile $file } | Should -Throw -ErrorId 'AsyncFetch.BodyConflict,*'
        { New-FetchRequest "$base/echo" -Method Post -InFile $file -Form @{ a = 1 } } | Should -Throw -ErrorId 'AsyncFetch.BodyConflict,*'
    }
}

Describe '-Body as a file or a stream' {
    It 'sends a FileInfo body as the file' {
        $echo = Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Put -Body (Get-Item -LiteralPath $file))
        $echo.bodySha256 | Should -BeExactly $sha
    }

    It 'sends a seekable stream with its length, to every URL' {
        $stream = [System.IO.MemoryStream]::new($bytes)
        $results = Invoke-AsyncFetch "$base/echo?1", "$base/echo?2" -Method Put -Body $stream
        foreach ($r in $results) { (Get-Echo $r).bodySha256 | Should -BeExactly $sha }
    }

    It 'sends a stream that cannot seek chunked' {
        $gz = Join-Path $dir 'x.gz'
        $zip = [System.IO.Compression.GZipStream]::new([System.IO.File]::Create($gz), [System.IO.Compression.CompressionLevel]::Fastest)
        $zip.Write($bytes, 0, $bytes.Length)
        $zip.Dispose()
        $unzip = [System.IO.Compression.GZipStream]::new([System.IO.File]::OpenRead($gz), [System.IO.Compression.CompressionMode]::Decompress)
        try { $echo = Get-Echo (Invoke-AsyncFetch "$base/echo" -Method Put -Body $unzip) }
        finally { $unzip.Dispose() }
        $echo.headers.'Transfer-Encoding' | Should -BeExactly 'chunked'
        $echo.bodySha256 | Should -BeExactly $sha
    }
}

Describe '-Form' {
    BeforeAll {
        $script:other = Join-Path $dir 'b.txt'
        Set-Content -LiteralPath $other -Value 'second file' -NoNewline
        function Get-Form { [ordered]@{ title = 'Report'; count = 3; upload = Get-Item -LiteralPath $file; tags = 'a', 'b'; files = (Get-Item -LiteralPath $file), (Get-Item -LiteralPath $other) } }
        function ConvertTo-Parts($Echo) { @($Echo.parts | ForEach-Object { '{0}|{1}|{2}|{3}|{4}|{5}|{6}' -f $_.name, $_.fileName, $_.contentType, ($_.headers -join ';'), $_.length, $_.sha256, $_.value }) }
    }

    It 'sends the parts Invoke-WebRequest -Form sends (<Command>)' -ForEach @(
        @{ Command = 'Invoke-AsyncFetch'; Run = { Invoke-AsyncFetch "$base/multipart" -Method Post -Form (Get-Form) } }
        @{ Command = 'New-FetchRequest'; Run = { New-FetchRequest "$base/multipart" -Method Post -Form (Get-Form) | Invoke-AsyncFetch } }
        @{ Command = 'Start-FetchJob'; Run = { Start-FetchJob "$base/multipart" -Method Post -Form (Get-Form) | Receive-FetchJob -Wait -AutoRemoveJob } }
    ) {
        $ours = Get-Echo (& $Run)
        $ours.contentType | Should -Match '^multipart/form-data; boundary='
        $parts = ConvertTo-Parts $ours
        $parts.Count | Should -Be 7
        ($ours.parts | Where-Object name -EQ 'upload').sha256 | Should -BeExactly $sha
        ($ours.parts | Where-Object name -EQ 'upload').fileName | Should -BeExactly 'data file.bin'
        ($ours.parts | Where-Object name -EQ 'tags').value | Should -Be @('a', 'b')
        if ((Get-Command Invoke-WebRequest).Parameters.ContainsKey('Form')) {
            $theirs = (Invoke-WebRequest "$base/multipart" -Method Post -Form (Get-Form)).Content | ConvertFrom-Json
            $parts | Should -Be (ConvertTo-Parts $theirs)
        }
    }
}

Describe '-OperationTimeoutSeconds' {
    It 'ends a response that stalls as a timeout naming the parameter (<Command>)' -ForEach @(
        @{ Command = 'Invoke-AsyncFetch'; Run = { Invoke-AsyncFetch "$base/stall?ms=30000" -OperationTimeoutSeconds 1 -SkipHttpErrorCheck -ErrorAction SilentlyContinue } }
        @{ Command = 'New-FetchRequest'; Run = { New-FetchRequest "$base/stall?ms=30000" -OperationTimeoutSeconds 1 | Invoke-AsyncFetch -ErrorAction SilentlyContinue } }
        @{ Command = 'Start-FetchJob'; Run = { Start-FetchJob "$base/stall?ms=30000" -OperationTimeoutSeconds 1 | Receive-FetchJob -Wait -AutoRemoveJob -ErrorAction SilentlyContinue } }
    ) {
        $r = & $Run
        $r.ErrorKind | Should -Be 'Timeout'
        $r.ErrorMessage | Should -Match 'OperationTimeoutSeconds'
    }

    It 'lets a response that keeps moving take longer than the timeout' {
        $r = Invoke-AsyncFetch "$base/drip?bytes=6&delayMs=400" -OperationTimeoutSeconds 1
        $r.ErrorKind | Should -Be 'None'
        $r.ContentLength | Should -Be 6
    }
}
