# Downloads to disk: -OutDirectory and -Force of Invoke-AsyncFetch and Start-FetchJob, -OutFile and -Force of
# New-FetchRequest. Paths are PowerShell paths resolved against the caller's location when the command starts,
# so these tests work in TestDrive: with relative paths (the process's own directory is somewhere else).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer -NoHostile
    $script:base = $server.BaseUri

    function Get-PatternHash([int] $Length) {
        # SHA-256 of the test server's byte pattern (Payloads.cs: byte i is i % 251).
        $bytes = [byte[]]::new($Length)
        for ($i = 0; $i -lt $Length; $i++) { $bytes[$i] = $i % 251 }
        [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($bytes))
    }

    function Get-AttachmentUrl([string] $Disposition, [int] $Size = 100) {
        "$base/attachment?cd=$([uri]::EscapeDataString($Disposition))&size=$Size"
    }

    function New-ScratchDirectory {
        # A fresh directory in TestDrive: (returned as a file-system path).
        (New-Item -ItemType Directory -Path (Join-Path TestDrive: ([guid]::NewGuid().ToString('n')))).FullName
    }
}

AfterAll {
    Stop-TestServer $server
}

Describe 'Invoke-AsyncFetch -OutDirectory' {
    It 'writes the body to a file named from the URL, in a relative directory resolved against $PWD' {
        $name = 'dl-' + [guid]::NewGuid().ToString('n')
        Push-Location TestDrive:
        try {
            $result = Invoke-AsyncFetch "$base/bytes/50000" -OutDirectory $name
        }
        finally { Pop-Location }
        $expectedDir = Join-Path (Get-PSDrive TestDrive).Root $name
        $result.StatusCode | Should -Be 200
        $result.OutFile | Should -Be (Join-Path $expectedDir '50000')
        $result.ContentLength | Should -Be 50000
        $result.Content | Should -BeNullOrEmpty -Because 'a downloaded body is not kept in memory'
        $result.GetBody() | Should -BeNullOrEmpty
        (Get-FileHash $result.OutFile -Algorithm SHA256).Hash | Should -Be (Get-PatternHash 50000)
        Join-Path ([System.Environment]::CurrentDirectory) $name | Should -Not -Exist -Because 'the process directory is not $PWD'
    }

    It 'decodes a gzip body on the way to disk' {
        $dir = New-ScratchDirectory
        $result = Invoke-AsyncFetch "$base/gzip/30000" -OutDirectory $dir
        $result.OutFile | Should -Be (Join-Path $dir '30000')
        (Get-FileHash $result.OutFile -Algorithm SHA256).Hash | Should -Be (Get-PatternHash 30000)
    }

    It 'names the file from Content-Disposition, and a name with ../ stays inside the directory' {
        $dir = New-ScratchDirectory
        $result = Invoke-AsyncFetch (Get-AttachmentUrl 'attachment; filename="../../escape.txt"' 10) -OutDirectory $dir
        $result.StatusCode | Should -Be 200
        Split-Path $result.OutFile -Parent | Should -Be $dir
        Split-Path $result.OutFile -Leaf | Should -Not -Match '\.\.|[\\/]'
        (Get-Item $result.OutFile).Length | Should -Be 10
        Join-Path (Split-Path $dir -Parent) 'escape.txt' | Should -Not -Exist
        @(Get-ChildItem -LiteralPath (Split-Path $dir -Parent) -File).Count | Should -Be 0
    }

    It 'adds " (1)" when the name is taken, and -Force replaces the file instead' {
        $dir = New-ScratchDirectory
        $first = Invoke-AsyncFetch (Get-AttachmentUrl 'attachment; filename="same.bin"' 10) -OutDirectory $dir
        $second = Invoke-AsyncFetch (Get-AttachmentUrl 'attachment; filename="same.bin"' 20) -OutDirectory $dir
        $first.OutFile | Should -Be (Join-Path $dir 'same.bin')
        $second.OutFile | Should -Be (Join-Path $dir 'same (1).bin')
        (Get-Item (Join-Path $dir 'same.bin')).Length | Should -Be 10

        $forced = Invoke-AsyncFetch (Get-AttachmentUrl 'attachment; filename="same.bin"' 30) -OutDirectory $dir -Force
        $forced.OutFile | Should -Be (Join-Path $dir 'same.bin')
        (Get-Item (Join-Path $dir 'same.bin')).Length | Should -Be 30
        @(Get-ChildItem -LiteralPath $dir).Name | Sort-Object | Should -Be @('same (1).bin', 'same.bin')
    }

    It 'writes no file for a 404 (the body stays in memory)' {
        $dir = New-ScratchDirectory
        $result = Invoke-AsyncFetch "$base/status/404" -OutDirectory $dir
        $result.StatusCode | Should -Be 404
        $result.OutFile | Should -BeNullOrEmpty
        $result.Content | Should -Be 'status 404'
        @(Get-ChildItem -LiteralPath $dir -Force).Count | Should -Be 0
    }

    It 'creates a missing directory' {
        $dir = Join-Path (New-ScratchDirectory) 'a/b'
        $result = Invoke-AsyncFetch "$base/bytes/5" -OutDirectory $dir
        $result.OutFile | Should -Be (Join-Path ((Resolve-Path $dir).ProviderPath) '5')
        $result.OutFile | Should -Exist
    }

    It 'mentions the file in the -Verbose line and records it in the journal' {
        $dir = New-ScratchDirectory
        $journal = Join-Path $dir 'run.jsonl'
        $all = @(Invoke-AsyncFetch "$base/bytes/6" -OutDirectory $dir -JournalPath $journal -Verbose 4>&1)
        $result = @($all | Where-Object { $_ -is [AsyncFetch.FetchResult] })[0]
        $line = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })[0].Message
        $line | Should -Match ([regex]::Escape("saved to $($result.OutFile)"))
        (Get-Content $journal | ConvertFrom-Json).outFile | Should -Be $result.OutFile
    }

    It 'refuses a path that is not on the file system (terminating AsyncFetch.InvalidOutputPath)' {
        Reset-IdleServer $server
        $err = $null
        try { Invoke-AsyncFetch "$base/bytes/1" -OutDirectory 'Env:\NotAFolder' }
        catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        Get-ErrorId $err | Should -Be 'AsyncFetch.InvalidOutputPath'
        $err.Exception.Message | Should -Match 'file-system path'
        (Get-ServerStats $server).total | Should -Be 0 -Because 'nothing is fetched when the command cannot start'

    }
}

Describe 'New-FetchRequest -OutFile' {
    It 'writes exactly that file, a relative path being resolved when New-FetchRequest runs' {
        $dir = New-ScratchDirectory
        Push-Location $dir
        try { $request = New-FetchRequest "$base/bytes/1234" -OutFile 'exact.bin' }
        finally { Pop-Location }
        $result = $request | Invoke-AsyncFetch
        $result.OutFile | Should -Be (Join-Path $dir 'exact.bin')
        (Get-FileHash $result.OutFile -Algorithm SHA256).Hash | Should -Be (Get-PatternHash 1234)
    }

    It 'fails with AsyncFetch.File when the file exists, leaving it as it was; -Force replaces it' {
        $dir = New-ScratchDirectory
        $path = Join-Path $dir 'exists.bin'
        Set-Content -LiteralPath $path -Value 'old' -NoNewline
        $result = New-FetchRequest "$base/bytes/10" -OutFile $path | Invoke-AsyncFetch -ErrorVariable errs -ErrorAction SilentlyContinue
        $result.ErrorKind | Should -Be 'File'
        $result.ErrorMessage | Should -Match 'already exists'
        $errs.Count | Should -Be 1
        Get-ErrorId $errs[0] | Should -Be 'AsyncFetch.File'
        $errs[0].CategoryInfo.Category | Should -Be 'WriteError'
        Get-Content -LiteralPath $path -Raw | Should -Be 'old'

        $replaced = New-FetchRequest "$base/bytes/10" -OutFile $path -Force | Invoke-AsyncFetch
        $replaced.StatusCode | Should -Be 200
        (Get-Item -LiteralPath $path).Length | Should -Be 10
    }

    It 'wins over the command''s -OutDirectory' {
        $dir = New-ScratchDirectory
        $other = New-ScratchDirectory
        $results = @(
            New-FetchRequest "$base/bytes/7" -OutFile (Join-Path $other 'own.bin')
            "$base/bytes/8"
        ) | Invoke-AsyncFetch -OutDirectory $dir
        $byLength = @{}; foreach ($r in $results) { $byLength[[int]$r.ContentLength] = $r }
        $byLength[7].OutFile | Should -Be (Join-Path $other 'own.bin')
        $byLength[8].OutFile | Should -Be (Join-Path $dir '8')
    }
}

Describe 'A FetchRequest built by hand with a relative OutFile or OutDirectory' {
    AfterEach { Remove-FetchJobs }

    It '<Command>: the path is taken relative to the caller''s $PWD when the command starts, not the process''s directory' -ForEach @(
        @{ Command = 'Invoke-AsyncFetch' }
        @{ Command = 'Start-FetchJob' }
    ) {
        $dir = New-ScratchDirectory
        $fileName = 'hand-' + [guid]::NewGuid().ToString('n') + '.bin'
        $subName = 'handdir-' + [guid]::NewGuid().ToString('n')
        $toFile = [AsyncFetch.FetchRequest]::new("$base/bytes/321"); $toFile.OutFile = $fileName
        $toDir = [AsyncFetch.FetchRequest]::new("$base/bytes/654"); $toDir.OutDirectory = $subName
        [System.IO.Directory]::GetCurrentDirectory() | Should -Not -Be $dir -Because 'the test must tell the two apart'
        Push-Location $dir
        try {
            $results = if ($Command -eq 'Invoke-AsyncFetch') { @($toFile, $toDir | Invoke-AsyncFetch) }
                       else { $job = $toFile, $toDir | Start-FetchJob; @(Receive-FetchJob $job -Wait) }
        }
        finally { Pop-Location }
        $byLength = @{}; foreach ($r in $results) { $byLength[[int]$r.ContentLength] = $r }
        $byLength[321].OutFile | Should -Be (Join-Path $dir $fileName)
        $byLength[654].OutFile | Should -Be (Join-Path (Join-Path $dir $subName) '654')
        (Get-FileHash $byLength[321].OutFile -Algorithm SHA256).Hash | Should -Be (Get-PatternHash 321)
        Test-Path -LiteralPath (Join-Path ([System.IO.Directory]::GetCurrentDirectory()) $fileName) | Should -BeFalse
        $toFile.OutFile | Should -Be $fileName -Because 'the caller''s object is not changed'
    }
}

Describe 'Start-FetchJob -OutDirectory' {
    AfterEach { Remove-FetchJobs }

    It 'resolves a relative directory against the caller''s $PWD when the job starts' {
        $name = 'jobdl-' + [guid]::NewGuid().ToString('n')
        Push-Location TestDrive:
        try {
            $job = Start-FetchJob "$base/bytes/3000", "$base/bytes/4000" -OutDirectory $name
        }
        finally { Pop-Location }
        $results = @(Receive-FetchJob $job -Wait)
        $results.Count | Should -Be 2
        $expectedDir = Join-Path (Get-PSDrive TestDrive).Root $name
        foreach ($r in $results) {
            Split-Path $r.OutFile -Parent | Should -Be $expectedDir
            (Get-FileHash $r.OutFile -Algorithm SHA256).Hash | Should -Be (Get-PatternHash ([int]$r.ContentLength))
        }
        @(Get-ChildItem -LiteralPath $expectedDir).Name | Sort-Object | Should -Be @('3000', '4000')
    }
}
