@{
    RootModule           = 'AsyncFetch.PowerShell.dll'
    # build.ps1 stamps the version from Directory.Build.props (the one place it is kept).
    ModuleVersion        = '0.0.0'
    GUID                 = 'b7f0c2e4-5a8d-4f1e-9c3b-6d2a1e8f4c70'
    Author               = 'AsyncFetch contributors'
    CompanyName          = 'AsyncFetch'
    Copyright            = '(c) AsyncFetch contributors'
    Description          = 'Fetch thousands of URLs concurrently from the pipeline, on an event-loop HTTP engine that owns its sockets.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    CmdletsToExport      = @('Invoke-AsyncFetch', 'New-FetchRequest', 'Start-FetchJob', 'Receive-FetchJob')
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    # Loaded before the types file, which names a type of each (the result type and its PowerShell adapter).
    RequiredAssemblies   = @('AsyncFetch.Engine.dll', 'AsyncFetch.PowerShell.dll')
    TypesToProcess       = @('AsyncFetch.Types.ps1xml')
    FormatsToProcess     = @('AsyncFetch.Format.ps1xml')
    PrivateData          = @{
        PSData = @{
            Tags         = @('http', 'web', 'concurrency', 'async', 'crawler', 'fetch')
            ProjectUri   = 'https://github.com/AsyncFetch/AsyncFetch'
            LicenseUri   = 'https://github.com/AsyncFetch/AsyncFetch/blob/main/LICENSE'
            # build.ps1 stamps the release notes from the version's section of CHANGELOG.md.
            ReleaseNotes = ''
        }
    }
}
