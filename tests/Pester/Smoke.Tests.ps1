BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:server = Start-TestServer
}

AfterAll {
    Stop-TestServer $script:server
}

Describe 'Test infrastructure' {
    It 'starts the loopback server and fetches from it' {
        $r = Invoke-AsyncFetch -Uri "$($server.BaseUri)/bytes/5"
        $r.StatusCode | Should -Be 200
        $r.ContentLength | Should -Be 5
    }
}
