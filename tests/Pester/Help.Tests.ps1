# The help the module ships (module/en-US: MAML and about_AsyncFetch.help.txt, generated from docs/en-US by
# `build.ps1 -Task Docs`) says what the markdown says: every cmdlet's synopsis and description, every parameter's
# description, every example's title and code, and every line of the about topic. Get-Help reads the laid-out module,
# as a user's does. Runs everywhere: platyPS is not needed.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    $docsDir = Join-Path $PSScriptRoot '../../docs/en-US'
    $script:commandCases = @(Get-ChildItem $docsDir -Filter *.md | Where-Object Name -notlike 'about_*' | ForEach-Object {
            $doc = Read-HelpMarkdown $_.FullName
            @{ Command = $doc.Name; Doc = $doc }
        })
    $script:parameterCases = @($commandCases | ForEach-Object {
            $command = $_.Command
            foreach ($p in $_.Doc.ParameterText.GetEnumerator()) { @{ Command = $command; Parameter = $p.Key; Text = $p.Value } }
        })
    $script:exampleCases = @($commandCases | ForEach-Object {
            $command = $_.Command
            $i = 0
            foreach ($e in $_.Doc.Examples) { @{ Command = $command; Index = ++$i; Title = $e.Title; Code = $e.Code } }
        })
    $aboutBody = (Get-Content (Join-Path $docsDir 'about_AsyncFetch.md') -Raw) -replace '(?s)^---.*?\n---\r?\n', ''
    $script:aboutLines = @($aboutBody -split '\r?\n' |
            Where-Object { $_.Trim() -and $_ -notmatch '^```' -and $_ -notmatch '^#+ about_AsyncFetch$' } |
            ForEach-Object { @{ Line = ($_ -replace '^#+\s+', '' -replace '\\(\p{P})', '$1'); Heading = ($_ -match '^#') } })   # \) is a markdown escape for )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestHelpers.psm1') -Force
    $script:modulePath = Get-AsyncFetchModulePath
    Import-Module $modulePath -Force
    $script:module = Get-Module AsyncFetch

    # Whitespace-insensitive text: line wrapping and paragraph breaks are the help system's business.
    function Format-HelpText([string[]] $Text) { (($Text -join ' ') -replace '\s+', ' ').Trim() }
}

Describe 'Shipped help files' {
    It 'the laid-out module has en-US/<File>' -ForEach @(
        @{ File = 'AsyncFetch.PowerShell.dll-Help.xml' }
        @{ File = 'about_AsyncFetch.help.txt' }
    ) {
        Join-Path $module.ModuleBase "en-US/$File" | Should -Exist
    }
}

Describe 'Get-Help <Command>' -ForEach $commandCases {
    BeforeAll {
        $script:help = Get-Help $Command -Full
    }

    It 'comes from the shipped MAML, not from the cmdlet''s metadata alone' {
        $help.GetType().Name | Should -Not -Be 'String'
        @($help.examples.example).Count | Should -Be $Doc.Examples.Count
    }

    It 'has the synopsis of the markdown' {
        Format-HelpText $help.Synopsis | Should -BeExactly (Format-HelpText $Doc.Synopsis)
    }

    It 'has the description of the markdown' {
        Format-HelpText $help.description.Text | Should -BeExactly (Format-HelpText $Doc.Description)
    }

    It 'documents exactly the parameters of the markdown' {
        @($help.parameters.parameter.name | Sort-Object) | Should -Be @($Doc.Parameters.Keys | Sort-Object)
    }
}

Describe 'Get-Help <Command> -Parameter <Parameter>' -ForEach $parameterCases {
    It 'has the description of the markdown' {
        $p = Get-Help $Command -Parameter $Parameter
        Format-HelpText $p.description.Text | Should -BeExactly (Format-HelpText $Text)
    }
}

Describe 'Get-Help <Command> -Examples, example <Index>' -ForEach $exampleCases {
    It 'has the title and the code of the markdown' {
        $example = @((Get-Help $Command -Examples).examples.example)[$Index - 1]
        ($example.title -replace '^-+\s*|\s*-+$', '') | Should -BeExactly $Title
        ($example.code -replace '\r\n', "`n").Trim() | Should -BeExactly $Code.Trim()
    }
}

Describe 'Get-Help about_AsyncFetch' {
    BeforeAll {
        $script:about = Format-HelpText (Get-Help about_AsyncFetch | Out-String -Width 200)
    }

    It 'is found' {
        $about | Should -Match 'about_asyncfetch'
    }

    It 'shows the line "<Line>"' -ForEach $aboutLines {
        # Headings come out in capitals.
        $expected = if ($Heading) { (Format-HelpText $Line).ToUpperInvariant() } else { Format-HelpText $Line }
        $about.Contains($expected) | Should -BeTrue -Because 'every line of docs/en-US/about_AsyncFetch.md is in the shipped about topic'
    }
}
