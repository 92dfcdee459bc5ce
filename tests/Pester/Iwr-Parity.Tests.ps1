# Invoke-WebRequest 7.4's names and meanings: a URL without a scheme gets http://, -ConnectionTimeoutSeconds (with
# the old -ConnectTimeoutSec as its alias), and -OutFile / -PassThru on Invoke-AsyncFetch for one URL.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri
    $script:hostPort = $base -replace '^http://', ''   # 127.0.0.1:port

    function New-ScratchDirectory {
        (New-Item -ItemType Directory -Path (Join-Path TestDrive: ([guid]::NewGuid().ToString('n')))).FullName
    }
}

AfterAll {
    Remove-FetchJobs
    Stop-TestServer $server
}

Describe 'A URL without a scheme' {
    AfterEach { Remove-FetchJobs }

    It 'is fetched over http:// when given as <Case>' -ForEach @(
        @{ Case = 'a string'; Make = { param($u) $u } }
        @{ Case = 'a [uri]'; Make = { param($u) [uri]$u } }
        @{ Case = 'the Url property of a CSV row'; Make = { param($u) [pscustomobject]@{ Name = 'row'; Url = $u } } }
        @{ Case = 'a New-FetchRequest'; Make = { param($u) New-FetchRequest $u } }
    ) {
        $inputObject = & $Make "$hostPort/bytes/7"
        $r = $inputObject | Invoke-AsyncFetch
        $r.StatusCode | Should -Be 200
        $r.ContentLength | Should -Be 7
        $r.Uri.AbsoluteUri | Should -Be "$base/bytes/7"
    }

    It 'keeps the text given as the result''s Input' {
        $r = Invoke-AsyncFetch "$hostPort/bytes/1"
        $r.Input | Should -BeExactly "$hostPort/bytes/1"
        $r.RequestedUri | Should -BeExactly "http://$hostPort/bytes/1"
    }

    It 'is fetched by a job too' {
        $job = "$hostPort/bytes/3" | Start-FetchJob
        $r = Receive-FetchJob $job -Wait
        $r.StatusCode | Should -Be 200
    }

    It 'New-FetchRequest ''<Text>'' aims at <Expected>, as Invoke-WebRequest would' -ForEach @(
        @{ Text = 'example.com'; Expected = 'http://example.com/' }
        @{ Text = 'localhost/x'; Expected = 'http://localhost/x' }
        @{ Text = '127.0.0.1:8090/get'; Expected = 'http://127.0.0.1:8090/get' }
        @{ Text = 'example.com/a?b=c'; Expected = 'http://example.com/a?b=c' }
        @{ Text = 'https://example.com/'; Expected = 'https://example.com/' }
    ) {
        (New-FetchRequest $Text).Uri.AbsoluteUri | Should -BeExactly $Expected
    }

    It 'stays as it is and fails as InvalidRequest where Invoke-WebRequest fails too: <Text>' -ForEach @(
        @{ Text = 'localhost:8090/x'; Because = 'it parses as a URI with the scheme "localhost"' }
        @{ Text = '/x'; Because = 'http:///x has no host' }
        @{ Text = '//127.0.0.1/x'; Because = 'http:////127.0.0.1/x has no host' }
        @{ Text = 'not a url'; Because = 'a host has no spaces' }
        @{ Text = 'ftp://x/'; Because = 'it has a scheme, and not http or https' }
    ) {
        $r = Invoke-AsyncFetch $Text -ErrorVariable e -ErrorAction SilentlyContinue
        $r.ErrorKind | Should -Be 'InvalidRequest' -Because $Because
        $r.RequestedUri | Should -BeExactly $Text
        Get-ErrorId $e[0] | Should -Be 'AsyncFetch.InvalidRequest'
    }
}

Describe '-ConnectionTimeoutSeconds' {
    It '<Command> has it, with -ConnectTimeoutSec as its alias' -ForEach @(
        @{ Command = 'Invoke-AsyncFetch' }
        @{ Command = 'Start-FetchJob' }
    ) {
        $p = (Get-Command $Command).Parameters['ConnectionTimeoutSeconds']
        $p | Should -Not -BeNullOrEmpty
        $p.Aliases | Should -Contain 'ConnectTimeoutSec'
    }

    It 'sets the connect timeout of the requests: <Arguments>' -ForEach @(
        @{ Arguments = '(none)'; Splat = @{}; Seconds = 15 }
        @{ Arguments = '-ConnectionTimeoutSeconds 7'; Splat = @{ ConnectionTimeoutSeconds = 7 }; Seconds = 7 }
        @{ Arguments = '-ConnectTimeoutSec 3'; Splat = @{ ConnectTimeoutSec = 3 }; Seconds = 3 }
        @{ Arguments = '-ConnectionTimeoutSeconds 0 -TimeoutSec 40 (no limit of its own)'; Splat = @{ ConnectionTimeoutSeconds = 0; TimeoutSec = 40 }; Seconds = 40 }
    ) {
        $r = Invoke-AsyncFetch "$base/bytes/1" @Splat
        $r.StatusCode | Should -Be 200
        $r.GetRequest().ConnectTimeout.TotalSeconds | Should -Be $Seconds
    }

    It 'refuses a negative value' {
        { Invoke-AsyncFetch "$base/bytes/1" -ConnectionTimeoutSeconds -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
    }
}

Describe 'Invoke-AsyncFetch -OutFile' {
    BeforeEach {
        Reset-IdleServer $server
    }

    It 'writes the body to the file, relative to the current location, and outputs nothing' {
        $dir = New-ScratchDirectory
        Push-Location $dir
        try {
            $out = @(Invoke-AsyncFetch "$base/bytes/1000" -OutFile 'one.bin')
        }
        finally { Pop-Location }
        $out.Count | Should -Be 0 -Because 'Invoke-WebRequest -OutFile writes nothing to the pipeline without -PassThru'
        (Get-Item (Join-Path $dir 'one.bin')).Length | Should -Be 1000
    }

    It 'replaces an existing file, as Invoke-WebRequest does' {
        $file = Join-Path (New-ScratchDirectory) 'page.bin'
        Set-Content $file 'old content that is longer than ten bytes'
        Invoke-AsyncFetch "$base/bytes/10" -OutFile $file
        (Get-Item $file).Length | Should -Be 10
    }

    It '-PassThru writes the result out too, with OutFile set' {
        $file = Join-Path (New-ScratchDirectory) 'p.bin'
        $r = Invoke-AsyncFetch "$base/bytes/20" -OutFile $file -PassThru
        $r.StatusCode | Should -Be 200
        $r.OutFile | Should -Be $file
        $r.ContentLength | Should -Be 20
    }

    It 'puts the file into a folder that exists, named from the URL' {
        $dir = New-ScratchDirectory
        $r = Invoke-AsyncFetch "$base/bytes/30" -OutFile $dir -PassThru
        $r.OutFile | Should -Be (Join-Path $dir '30')
        (Get-Item $r.OutFile).Length | Should -Be 30
    }

    It 'writes no file for an HTTP error status, which is an AsyncFetch.HttpError' {
        $file = Join-Path (New-ScratchDirectory) 'missing.bin'
        Invoke-AsyncFetch "$base/status/404" -OutFile $file -ErrorVariable e -ErrorAction SilentlyContinue
        $file | Should -Not -Exist
        Get-ErrorId $e[0] | Should -Be 'AsyncFetch.HttpError'
    }

    It 'still runs -OnComplete, whose output is the output' {
        $file = Join-Path (New-ScratchDirectory) 'c.bin'
        $out = Invoke-AsyncFetch "$base/bytes/5" -OutFile $file -OnComplete { "saved $($_.ContentLength)" }
        $out | Should -Be 'saved 5'
    }

    It 'takes one URL among blank lines and comments' {
        $file = Join-Path (New-ScratchDirectory) 'b.bin'
        '# the file to get', '', "$base/bytes/4" | Invoke-AsyncFetch -OutFile $file
        (Get-Item $file).Length | Should -Be 4
    }

    It 'refuses two URLs given with -Uri, before sending anything (AsyncFetch.OutFileNeedsOneUrl)' {
        $file = Join-Path (New-ScratchDirectory) 'two.bin'
        { Invoke-AsyncFetch -Uri "$base/bytes/1", "$base/bytes/2" -OutFile $file } |
            Should -Throw -ErrorId 'AsyncFetch.OutFileNeedsOneUrl,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand'
        (Get-ServerStats $server).total | Should -Be 0
        $file | Should -Not -Exist
    }

    It 'stops at the second URL from the pipeline (AsyncFetch.OutFileNeedsOneUrl)' {
        $file = Join-Path (New-ScratchDirectory) 'two.bin'
        $after = $false
        $caught = $null
        try {
            "$base/delay/2000", "$base/bytes/2" | Invoke-AsyncFetch -OutFile $file
            $after = $true
        }
        catch {
            $caught = $_
        }
        $after | Should -BeFalse
        Get-ErrorId $caught | Should -Be 'AsyncFetch.OutFileNeedsOneUrl'
        $caught.Exception.Message | Should -Match 'bytes/2'
        $file | Should -Not -Exist -Because 'the first request was canceled'
    }

    It 'refuses <Case> with <ErrorId>' -ForEach @(
        @{ Case = '-PassThru without -OutFile'; Splat = @{ PassThru = $true }; ErrorId = 'AsyncFetch.OutFileMissing' }
        @{ Case = '-OutFile with -OutDirectory'; Splat = @{ OutFile = 'x.bin'; OutDirectory = 'dir' }; ErrorId = 'AsyncFetch.OutFileConflict' }
    ) {
        Push-Location (New-ScratchDirectory)
        try {
            { Invoke-AsyncFetch "$base/bytes/1" @Splat } | Should -Throw -ErrorId "$ErrorId,AsyncFetch.PowerShell.Commands.InvokeAsyncFetchCommand"
        }
        finally { Pop-Location }
        (Get-ServerStats $server).total | Should -Be 0
    }
}

Describe 'Parameters whose Invoke-WebRequest namesakes mean something else' {
    It 'the help of -<Parameter> of <Command> says how it differs from Invoke-WebRequest' -ForEach @(
        @{ Command = 'Invoke-AsyncFetch'; Parameter = 'TimeoutSec' }
        @{ Command = 'Invoke-AsyncFetch'; Parameter = 'Resume' }
        @{ Command = 'Invoke-AsyncFetch'; Parameter = 'ConnectionTimeoutSeconds' }
        @{ Command = 'Start-FetchJob'; Parameter = 'TimeoutSec' }
        @{ Command = 'Start-FetchJob'; Parameter = 'Resume' }
        @{ Command = 'Start-FetchJob'; Parameter = 'ConnectionTimeoutSeconds' }
        @{ Command = 'New-FetchRequest'; Parameter = 'TimeoutSec' }
    ) {
        $text = (Get-Help $Command -Parameter $Parameter).description.Text -join ' '
        $text | Should -Match 'Invoke-WebRequest'
    }
}
