<#
.SYNOPSIS
    Crawls a site and stores the title of every detail page in a SQLite database.

.DESCRIPTION
    The asyncio crawler of the Python concurrency tutorials, as one PowerShell pipeline: from a start URL it fetches
    pages, follows their links (each URL once, robots.txt obeyed), tells detail pages from list pages by a regular
    expression on the URL, reads each detail page's title with an HTML parser (HtmlAgilityPack, which AsyncFetch
    loads for its Links), and inserts a row per detail page into a table through the sqlite3 command-line shell.
    -ThrottleLimit and -RateLimit are the tutorial's concurrency limit and crawl-speed limit.

    Table: pages (url TEXT PRIMARY KEY, title TEXT, depth INTEGER, found_on TEXT). A second run updates the rows.
    Needs the sqlite3 program (Debian: apt-get install sqlite3). Writes the crawl's figures to the verbose stream.

.EXAMPLE
    ./crawl-to-sqlite.ps1 -StartUrl http://127.0.0.1:8080/ -Database ./pages.db -DetailPattern '/item/\d+\.html$'
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $StartUrl,
    [Parameter(Mandatory)] [string] $Database,
    [string] $DetailPattern = '/item/\d+\.html$',
    [int] $Depth = 20,
    [int] $ThrottleLimit = 16,
    [double] $RateLimit = 0
)

$ErrorActionPreference = 'Stop'
Import-Module AsyncFetch
if (-not (Get-Command sqlite3 -ErrorAction SilentlyContinue)) {
    throw 'The sqlite3 program is needed (Debian: apt-get install sqlite3).'
}

function ConvertTo-SqlText([string] $Text) {
    if ($null -eq $Text) { return 'NULL' }
    "'" + $Text.Replace("'", "''") + "'"
}

$fetchErrors = $null
& {
    'CREATE TABLE IF NOT EXISTS pages (url TEXT PRIMARY KEY, title TEXT, depth INTEGER, found_on TEXT);'
    'BEGIN;'
    Invoke-AsyncFetch $StartUrl -Follow SameHost -Depth $Depth -ThrottleLimit $ThrottleLimit -RateLimit $RateLimit `
        -ErrorAction SilentlyContinue -ErrorVariable +fetchErrors |
        Where-Object { $_.Succeeded -and $_.Uri.AbsoluteUri -match $DetailPattern -and $_.ContentType -like 'text/html*' } |
        ForEach-Object {
            $document = [HtmlAgilityPack.HtmlDocument]::new()
            $document.LoadHtml($_.Content)
            $titleNode = $document.DocumentNode.SelectSingleNode('//title')
            $title = if ($titleNode) { [System.Net.WebUtility]::HtmlDecode($titleNode.InnerText).Trim() } else { $null }
            'INSERT OR REPLACE INTO pages (url, title, depth, found_on) VALUES ({0}, {1}, {2}, {3});' -f
                (ConvertTo-SqlText $_.Uri.AbsoluteUri), (ConvertTo-SqlText $title), $_.Depth, (ConvertTo-SqlText $_.Referrer)
        }
    'COMMIT;'
} | sqlite3 -bail $Database
if ($LASTEXITCODE -ne 0) {
    throw "sqlite3 failed with exit code $LASTEXITCODE."
}

$count = sqlite3 $Database 'SELECT COUNT(*) FROM pages;'
Write-Verbose "$count detail pages in $Database; $(@($fetchErrors).Count) failed requests (broken links included)."
