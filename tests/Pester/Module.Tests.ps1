# Meta-tests of the module's public surface and of its help source, docs/en-US/*.md (PlatyPS markdown).
# They need neither platyPS nor the test server: the markdown is read as text, the cmdlets through Get-Command.
# One It per cmdlet, parameter or example, so a failure names what is missing.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force

    $docsDir = Join-Path $PSScriptRoot '../../docs/en-US'
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

    $commands = @(Get-Command -Module AsyncFetch -CommandType Cmdlet)
    $cmdletCases = @()
    $parameterCases = @()
    $documentedCases = @()
    $exampleCases = @()
    foreach ($command in $commands) {
        $docPath = Join-Path $docsDir "$($command.Name).md"
        $doc = Read-HelpMarkdown $docPath
        $cmdletCases += @{ Command = $command.Name; DocPath = $docPath; Doc = $doc }
        foreach ($p in $command.Parameters.Values) {
            if ($common -contains $p.Name) { continue }
            if (@($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow }).Count -gt 0) { continue }
            $parameterCases += @{ Command = $command.Name; Parameter = $p.Name; Yaml = $doc.Parameters[$p.Name] }
        }
        foreach ($name in $doc.Parameters.Keys) {
            $documentedCases += @{ Command = $command.Name; Parameter = $name }
        }
        $i = 0
        foreach ($example in $doc.Examples) {
            $i++
            $exampleCases += @{ Command = $command.Name; Index = $i; Title = $example.Title; HasPowerShellBlock = $example.HasPowerShellBlock }
        }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    Import-Module (Get-AsyncFetchModulePath) -Force
    $script:module = Get-Module AsyncFetch
    $script:manifest = Import-PowerShellDataFile (Join-Path $module.ModuleBase 'AsyncFetch.psd1')
    $script:docsDir = Join-Path $PSScriptRoot '../../docs/en-US'
    $script:common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

    function Test-DontShow([System.Management.Automation.ParameterMetadata] $Parameter) {
        @($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow }).Count -gt 0
    }
}

Describe 'Module manifest' {
    It 'exports at least one cmdlet' {
        $module.ExportedCmdlets.Count | Should -BeGreaterThan 0
    }

    It 'lists the cmdlets by name, without wildcards' {
        @($manifest.CmdletsToExport).Count | Should -BeGreaterThan 0
        $manifest.CmdletsToExport | Where-Object { $_ -match '[*?\[]' } | Should -BeNullOrEmpty
    }

    It 'CmdletsToExport equals the exported cmdlets exactly' {
        @($manifest.CmdletsToExport | Sort-Object) | Should -Be @($module.ExportedCmdlets.Keys | Sort-Object)
    }

    It 'CmdletsToExport lists every public cmdlet class of the module assembly' {
        $classes = $module.ImplementingAssembly.GetExportedTypes() |
            Where-Object { -not $_.IsAbstract } |
            ForEach-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
            ForEach-Object { "$($_.VerbName)-$($_.NounName)" }
        @($classes | Sort-Object) | Should -Be @($manifest.CmdletsToExport | Sort-Object)
    }

    It 'is compatible with Desktop and Core' {
        $manifest.CompatiblePSEditions | Should -Contain 'Desktop'
        $manifest.CompatiblePSEditions | Should -Contain 'Core'
    }

    It 'has a LicenseUri to the LICENSE file it ships under (MIT)' {
        $manifest.PrivateData.PSData.LicenseUri | Should -Match '/LICENSE$'
        Get-Content (Join-Path $PSScriptRoot '../../LICENSE') -TotalCount 1 | Should -Be 'MIT License'
    }

    It 'has the release notes of its version from CHANGELOG.md' {
        $changelog = Get-Content (Join-Path $PSScriptRoot '../../CHANGELOG.md') -Raw
        $changelog | Should -Match "(?m)^## $([regex]::Escape($manifest.ModuleVersion))\s*$"
        $notes = $manifest.PrivateData.PSData.ReleaseNotes
        $notes | Should -Not -BeNullOrEmpty
        $changelog.Replace("`r`n", "`n").Contains($notes.Replace("`r`n", "`n")) | Should -BeTrue
    }

    It 'requires PowerShell 5.1' {
        [version]$manifest.PowerShellVersion | Should -Be ([version]'5.1')
    }

    It 'loads its format file' {
        $manifest.FormatsToProcess | Should -Contain 'AsyncFetch.Format.ps1xml'
        Join-Path $module.ModuleBase 'AsyncFetch.Format.ps1xml' | Should -Exist
    }
}

Describe '<Command>' -ForEach $cmdletCases {
    It 'declares [OutputType]' {
        (Get-Command $Command).OutputType | Should -Not -BeNullOrEmpty
    }

    It 'has a HelpUri' {
        (Get-Command $Command).HelpUri | Should -Not -BeNullOrEmpty
    }

    It 'has docs/en-US/<Command>.md' {
        $DocPath | Should -Exist
    }

    It 'has the HelpUri as the online version of its page' {
        $Doc.OnlineVersion | Should -Be (Get-Command $Command).HelpUri
    }

    It 'has at least three examples' {
        $Doc.Examples.Count | Should -BeGreaterOrEqual 3
    }

    It 'lists every [OutputType] under OUTPUTS' {
        foreach ($type in (Get-Command $Command).OutputType) {
            $Doc.Outputs | Should -Contain $type.Name -Because "$Command declares [OutputType($($type.Name))]"
        }
    }
}

Describe 'Example <Index> of <Command> ("<Title>")' -ForEach $exampleCases {
    It 'has a ```powershell code block' {
        $HasPowerShellBlock | Should -BeTrue
    }
}

Describe '<Command> -<Parameter>' -ForEach $parameterCases {
    BeforeAll {
        # (Not $parameter: variable names ignore case, and $Parameter is the case's name.)
        $meta = (Get-Command $Command).Parameters[$Parameter]
        $attribute = @($meta.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })[0]
    }

    It 'is documented in docs/en-US/<Command>.md' {
        $Yaml | Should -Not -BeNullOrEmpty -Because "### -$Parameter with a yaml block is expected"
    }

    It 'has the Type, Aliases, Required and Position of the code' {
        $Yaml.Type | Should -Be $meta.ParameterType.Name
        $Yaml.Aliases | Should -Be ($meta.Aliases -join ', ')
        $Yaml.Required | Should -Be ([string]$attribute.Mandatory)
        $position = if ($attribute.Position -eq [int]::MinValue) { 'Named' } else { [string]$attribute.Position }
        $Yaml.Position | Should -Be $position
    }

    It 'has the "Accept pipeline input" of the code' {
        $kinds = @()
        if ($attribute.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
        if ($attribute.ValueFromPipeline) { $kinds += 'ByValue' }
        if ($kinds.Count -eq 0) {
            $Yaml.'Accept pipeline input' | Should -Be 'False'
        }
        else {
            $Yaml.'Accept pipeline input' | Should -Match '^True \(.+\)$'
            $documented = $Yaml.'Accept pipeline input' -replace '^True \((.+)\)$', '$1'
            @($documented -split ',\s*' | Sort-Object) | Should -Be @($kinds | Sort-Object)
        }
    }

    It 'has the "Default value" of the code' {
        # The value a new instance of the cmdlet class holds: what the parameter is when it is not given.
        $instance = [System.Activator]::CreateInstance((Get-Command $Command).ImplementingType)
        $value = $instance.$Parameter
        $expected = if ($value -is [System.Management.Automation.SwitchParameter]) { [string]$value.IsPresent }
            elseif ($null -eq $value -or ($value -is [string] -and $value -eq '') -or ($value -is [array] -and $value.Count -eq 0)) { 'None' }
            else { [System.Convert]::ToString($value, [System.Globalization.CultureInfo]::InvariantCulture) }
        # A value may be followed by an explanation: "0 (the same as -ThrottleLimit)".
        $Yaml.'Default value' | Should -Match ('^' + [regex]::Escape($expected) + '($| \()')
    }
}

Describe 'Documented <Command> -<Parameter>' -ForEach $documentedCases {
    It 'is a parameter of <Command>' {
        (Get-Command $Command).Parameters.Keys | Should -Contain $Parameter
    }

    It 'is neither a common parameter nor hidden (DontShow)' {
        $common | Should -Not -Contain $Parameter
        Test-DontShow (Get-Command $Command).Parameters[$Parameter] | Should -BeFalse
    }
}

Describe 'about_AsyncFetch' {
    BeforeAll {
        $aboutPath = Join-Path $docsDir 'about_AsyncFetch.md'
    }

    It 'exists' {
        $aboutPath | Should -Exist
    }

    It 'has a SHORT DESCRIPTION and a LONG DESCRIPTION' {
        $text = Get-Content $aboutPath -Raw
        $text | Should -Match '(?m)^#{1,2} SHORT DESCRIPTION\s*$'
        $text | Should -Match '(?m)^#{1,2} LONG DESCRIPTION\s*$'
    }

    It 'has "about_AsyncFetch" as its second heading, which platyPS needs to recognise an about topic' {
        $headings = @((Get-Content $aboutPath) | Where-Object { $_ -match '^#{1,6} ' })
        $headings[1] | Should -Match '^#{1,6} about_AsyncFetch\s*$'
    }
}
