namespace AsyncFetch.Engine.Crawl
{
    /// <summary>
    /// Matching of a robots.txt pattern against a normalized path: "*" is any run of characters, "$" as the last
    /// character anchors the end, anything else matches itself; a pattern without "$" matches a prefix of the path.
    /// Runs in O(path × pattern) time with no backtracking blow-up, tracking every path position the pattern so far
    /// can end at. Pure function; any thread.
    /// </summary>
    internal static class RobotsPattern
    {
        /// <summary>Whether <paramref name="pattern"/> matches <paramref name="path"/>; <paramref name="positions"/> is work space of at least path.Length + 1 entries.</summary>
        internal static bool Matches(string path, string pattern, int[] positions)
        {
            int pathLength = path.Length;

            // positions[0..count) are the path positions (ascending) reachable after the pattern read so far
            int count = 1;
            positions[0] = 0;
            for (int p = 0; p < pattern.Length; p++)
            {
                char c = pattern[p];
                if (c == '$' && p == pattern.Length - 1)
                {
                    return positions[count - 1] == pathLength;
                }

                if (c == '*')
                {
                    // from the smallest position, every later one is reachable
                    int first = positions[0];
                    count = pathLength - first + 1;
                    for (int i = 0; i < count; i++)
                    {
                        positions[i] = first + i;
                    }

                    continue;
                }

                int next = 0;
                for (int i = 0; i < count; i++)
                {
                    int at = positions[i];
                    if (at < pathLength && path[at] == c)
                    {
                        positions[next++] = at + 1;
                    }
                }

                if (next == 0)
                {
                    return false;
                }

                count = next;
            }

            return true;
        }
    }
}
