# Helpers shared by the Pester suites: import the built module, start and stop the loopback test server.
# The server is tests/AsyncFetch.TestServer run as a process; it prints its base URLs and exits when its
# stdin closes, so a test run that dies never leaves it behind.

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../../..')).Path

function Get-AsyncFetchModulePath {
    # The module laid out by build.ps1 (out/AsyncFetch); builds it if it is missing.
    $path = Join-Path $script:RepoRoot 'out/AsyncFetch'
    if (-not (Get-ChildItem $path -Filter AsyncFetch.psd1 -Recurse -ErrorAction SilentlyContinue)) {
        & (Join-Path $script:RepoRoot 'build.ps1') -Task Build | Out-Null
    }
    $path
}

function Start-TestServer {
    <#
    .SYNOPSIS
        Starts the loopback test server; returns an object with BaseUri, Base2Uri (127.0.0.2), HostileUri and Process.
    .PARAMETER Https
        Serve HTTPS (BaseUri and Base2Uri are https://) with a self-signed certificate the server makes at start
        (localhost, 127.0.0.1, 127.0.0.2, ::1); the hostile server stays http.
    .PARAMETER ClientCert
        With -Https: ask clients for a certificate (any is accepted; /tls reports its subject).
    .PARAMETER Port
        The port to listen on; 0 (the default) takes a free one.
    .PARAMETER SitePages
        Serve only the generated crawl site of that many pages at the root (robots.txt, /site-manifest.json; see
        tests/AsyncFetch.TestServer/README.md, "Site mode") instead of the test endpoints.
    .PARAMETER SiteSeed
        With -SitePages: the site's seed (default 1).
    #>
    param([switch] $NoHostile, [switch] $Https, [switch] $ClientCert, [int] $Port = 0, [int] $SitePages = 0, [int] $SiteSeed = 1)
    if ($ClientCert -and -not $Https) { throw '-ClientCert needs -Https.' }
    $dll = Join-Path $script:RepoRoot 'tests/AsyncFetch.TestServer/bin/Release/net10.0/AsyncFetch.TestServer.dll'
    if (-not (Test-Path $dll)) {
        & dotnet build (Join-Path $script:RepoRoot 'tests/AsyncFetch.TestServer') -c Release -nologo -v quiet | Out-Null
    }
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $arguments = @($dll, '--listen', '127.0.0.1,127.0.0.2', '--port', "$Port")
    if (-not $NoHostile) { $arguments += '--hostile' }
    if ($Https) { $arguments += '--https' }
    if ($ClientCert) { $arguments += '--client-cert' }
    if ($SitePages) { $arguments += '--site', "$SitePages", '--site-seed', "$SiteSeed" }
    foreach ($a in $arguments) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardInput = $true
    $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    $read = $process.StandardOutput.ReadLineAsync()
    if (-not $read.Wait(30000)) { $process.Kill(); throw 'The test server did not start within 30 s.' }
    $base = ($read.Result -replace '^Listening on ', '').TrimEnd('/')
    $hostile = $null
    if (-not $NoHostile) { $hostile = ($process.StandardOutput.ReadLine() -replace '^Hostile on ', '').TrimEnd('/') }
    $port = ([uri]$base).Port
    $scheme = ([uri]$base).Scheme
    [pscustomobject]@{
        BaseUri    = $base
        Base2Uri   = "${scheme}://127.0.0.2:$port"
        HostileUri = $hostile
        Process    = $process
    }
}

function Get-ReadmeBlock {
    <#
    .SYNOPSIS
        The README's runnable blocks, in order: <!-- readme-example --> (Kind example), <!-- readme-file: name -->
        (Kind file: a file the examples read) and <!-- readme-script: name --> (Kind script: a script run as a file).
    #>
    param([string] $Path = (Join-Path $script:RepoRoot 'README.md'))
    $pattern = '<!-- readme-(?<kind>example|file|script)(?::\s*(?<name>[^ ]+))? -->\s*```(?<lang>\w+)\r?\n(?<code>.*?)```'
    foreach ($m in [regex]::Matches((Get-Content $Path -Raw), $pattern, 'Singleline')) {
        [pscustomobject]@{ Kind = $m.Groups['kind'].Value; Name = $m.Groups['name'].Value; Code = $m.Groups['code'].Value }
    }
}

function Read-HelpMarkdown {
    <#
    .SYNOPSIS
        A platyPS cmdlet page read as text: Name, OnlineVersion, Synopsis, Description, Examples (Title, Code,
        HasPowerShellBlock), Parameters (name -> the yaml fields), ParameterText (name -> description) and Outputs.
    #>
    param([string] $Path)
    $doc = @{ Exists = (Test-Path $Path); Name = $null; OnlineVersion = $null; Synopsis = ''; Description = ''
        Examples = @(); Parameters = [ordered]@{}; ParameterText = [ordered]@{}; Outputs = @() }
    if (-not $doc.Exists) { return $doc }
    $lines = (Get-Content $Path -Raw) -split '\r?\n'
    $section = $null; $current = $null; $currentName = $null; $inYaml = $false; $inCode = $false
    $text = [System.Collections.Generic.List[string]]::new()
    foreach ($line in $lines) {
        if ($line -match '^online version:\s*(.*)$' -and -not $section) { $doc.OnlineVersion = $Matches[1].Trim(); continue }
        if ($line -match '^# (\S+)\s*$' -and -not $section) { $doc.Name = $Matches[1]; continue }
        if ($line -match '^## (.+?)\s*$') { $section = $Matches[1]; $current = $null; continue }
        switch ($section) {
            'SYNOPSIS' { $doc.Synopsis = ($doc.Synopsis + "`n" + $line).Trim() }
            'DESCRIPTION' { $doc.Description = ($doc.Description + "`n" + $line).Trim() }
            'EXAMPLES' {
                if ($line -match '^### (.+?)\s*$') {
                    $current = @{ Title = $Matches[1]; HasPowerShellBlock = $false; Code = '' }
                    $doc.Examples += $current
                }
                elseif ($current -and -not $inCode -and $line -match '^```(\w*)\s*$') {
                    # platyPS puts every code block of an example (code, then output) into its code, a blank line apart.
                    if ($Matches[1] -eq 'powershell') { $current.HasPowerShellBlock = $true }
                    if ($current.Code) { $current.Code += "`n" }
                    $inCode = $true
                }
                elseif ($inCode -and $line -match '^```') { $inCode = $false }
                elseif ($inCode) { $current.Code += $line + "`n" }
            }
            'PARAMETERS' {
                if ($line -match '^### -(\S+)\s*$') {
                    $current = @{}
                    $currentName = $Matches[1]
                    $doc.Parameters[$currentName] = $current
                    $doc.ParameterText[$currentName] = ''
                }
                elseif ($line -match '^### ') { $current = $null }
                elseif ($current -and $line -match '^```yaml\s*$') { $inYaml = $true }
                elseif ($inYaml -and $line -match '^```') { $inYaml = $false }
                elseif ($inYaml -and $line -match '^([^:]+):\s*(.*)$') { $current[$Matches[1].Trim()] = $Matches[2].Trim() }
                elseif ($current -and -not $inYaml) { $doc.ParameterText[$currentName] = ($doc.ParameterText[$currentName] + "`n" + $line).Trim() }
            }
            'OUTPUTS' {
                if ($line -match '^### (.+?)\s*$') { $doc.Outputs += $Matches[1] }
            }
        }
    }
    $doc
}

function Stop-TestServer {
    param($Server)
    if ($Server -and $Server.Process -and -not $Server.Process.HasExited) {
        $Server.Process.StandardInput.Close()   # the server exits when its stdin closes
        if (-not $Server.Process.WaitForExit(5000)) { $Server.Process.Kill() }
    }
}

function Get-ServerStats {
    # The server's concurrency counters (/stats): current, max, total, byHost.
    param($Server)
    Invoke-RestMethod -Uri "$($Server.BaseUri)/stats" -SkipCertificateCheck:($Server.BaseUri -like 'https:*')
}

function Reset-ServerStats {
    param($Server)
    Invoke-WebRequest -Uri "$($Server.BaseUri)/stats/reset" -SkipCertificateCheck:($Server.BaseUri -like 'https:*') | Out-Null
}

function Wait-Until {
    # Polls $Condition until it is true or $TimeoutSec passes; returns whether it became true.
    # (The script block keeps the caller's scope: it was created there.)
    param([scriptblock] $Condition, [double] $TimeoutSec = 5, [int] $PollMs = 50)
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    while ($sw.Elapsed.TotalSeconds -lt $TimeoutSec) {
        if (& $Condition) { return $true }
        Start-Sleep -Milliseconds $PollMs
    }
    [bool](& $Condition)
}

function Reset-IdleServer {
    # Waits (bounded) until the server has no request in flight, then resets its counters and arrivals.
    param($Server)
    Wait-Until { (Get-ServerStats $Server).current -eq 0 } -TimeoutSec 10 | Should -BeTrue -Because 'earlier requests must have finished'
    Reset-ServerStats $Server
}

function Get-UnusedPort {
    # A loopback port with nothing listening on it.
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $p = $listener.LocalEndpoint.Port
    $listener.Stop()
    $p
}

function Get-ErrorId {
    # The ErrorId of an error record: the part of FullyQualifiedErrorId before the comma.
    param([System.Management.Automation.ErrorRecord] $Record)
    ($Record.FullyQualifiedErrorId -split ',')[0]
}

function Remove-FetchJobs {
    # Every test removes the jobs it created (AfterEach).
    Get-Job | Where-Object PSJobTypeName -eq 'FetchJob' | Remove-Job -Force
}

function Get-TinyproxyPath {
    <#
    .SYNOPSIS
        The tinyproxy binary, installed from Debian's packages when missing (needs root and apt-get). Returns
        $null with the reason in $script:TinyproxyUnavailable when it cannot be had; ASYNCFETCH_NO_TINYPROXY=1
        turns the proxy tests off without trying.
    #>
    if ($env:ASYNCFETCH_NO_TINYPROXY -eq '1') { $script:TinyproxyUnavailable = 'ASYNCFETCH_NO_TINYPROXY=1'; return $null }
    $found = Get-Command tinyproxy -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $found -and (Test-Path /usr/bin/tinyproxy)) { return '/usr/bin/tinyproxy' }
    if ($found) { return $found.Source }
    if (-not (Get-Command apt-get -ErrorAction SilentlyContinue)) { $script:TinyproxyUnavailable = 'tinyproxy is not installed and apt-get is not available'; return $null }
    $env:DEBIAN_FRONTEND = 'noninteractive'
    $log = & apt-get install -y -q tinyproxy 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0 -and $log -match 'Unable to locate package') {
        $log = & apt-get update -q 2>&1 | Out-String
        $log += & apt-get install -y -q tinyproxy 2>&1 | Out-String
    }
    if (Test-Path /usr/bin/tinyproxy) { return '/usr/bin/tinyproxy' }
    $script:TinyproxyUnavailable = "tinyproxy is not installed and 'apt-get install -y tinyproxy' failed (it needs root): $(($log -split "`n" | Select-Object -Last 3) -join ' ')"
    $null
}

function Start-Tinyproxy {
    <#
    .SYNOPSIS
        Starts a private tinyproxy on 127.0.0.1 (its own config, log and pid file in a temp folder, foreground
        child process); returns Uri, Port, Log (path), Process and Directory. Stop it with Stop-Tinyproxy.
    .PARAMETER ConnectPort
        The one port CONNECT may reach (tinyproxy allows only 443 and 563 otherwise).
    #>
    param([Parameter(Mandatory)][string] $Path, [int] $ConnectPort, [string] $User, [string] $Password)
    $dir = Join-Path ([System.IO.Path]::GetTempPath()) ("af-tinyproxy-" + [guid]::NewGuid().ToString('n'))
    $null = New-Item -ItemType Directory $dir
    $port = Get-UnusedPort
    $conf = @(
        "Port $port", 'Listen 127.0.0.1', 'Timeout 60', 'Allow 127.0.0.1', 'MaxClients 100',
        "LogFile `"$dir/tinyproxy.log`"", "PidFile `"$dir/tinyproxy.pid`"", 'LogLevel Info'
    )
    if ($ConnectPort) { $conf += "ConnectPort $ConnectPort" }
    if ($User) { $conf += "BasicAuth $User $Password" }
    Set-Content -Path "$dir/tinyproxy.conf" -Value $conf
    $psi = [System.Diagnostics.ProcessStartInfo]::new($Path)
    foreach ($a in '-d', '-c', "$dir/tinyproxy.conf") { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($psi)
    $up = Wait-Until -TimeoutSec 15 -Condition {
        try { $c = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port); $c.Dispose(); $true } catch { $false }
    }
    if (-not $up) { $process.Kill(); throw "tinyproxy did not listen on $port within 15 s: $(Get-Content "$dir/tinyproxy.log" -Raw -ErrorAction SilentlyContinue)" }
    [pscustomobject]@{ Uri = "http://127.0.0.1:$port"; Port = $port; Log = "$dir/tinyproxy.log"; Process = $process; Directory = $dir }
}

function Stop-Tinyproxy {
    param($Proxy)
    if (-not $Proxy) { return }
    if (-not $Proxy.Process.HasExited) { $Proxy.Process.Kill(); $null = $Proxy.Process.WaitForExit(5000) }
    Remove-Item -Recurse -Force $Proxy.Directory -ErrorAction SilentlyContinue
}

Export-ModuleMember -Function Get-AsyncFetchModulePath, Start-TestServer, Stop-TestServer, Get-ReadmeBlock, Read-HelpMarkdown, Get-ServerStats, Reset-ServerStats, Wait-Until, Reset-IdleServer, Get-UnusedPort, Remove-FetchJobs, Get-ErrorId, Get-TinyproxyPath, Start-Tinyproxy, Stop-Tinyproxy
