namespace AsyncFetch.Engine.Crawl
{
    /// <summary>What a crawler does with the answer to its request for /robots.txt (RFC 9309 2.3.1; <see cref="RobotsRules.ForStatus"/>).</summary>
    internal enum RobotsFetchOutcome
    {
        /// <summary>2xx: parse the body (<see cref="RobotsRules.Parse(byte[], string)"/>).</summary>
        Parse,

        /// <summary>3xx: follow the redirect, up to <see cref="RobotsRules.MaxRedirects"/>; past that, <see cref="DisallowAll"/>.</summary>
        FollowRedirect,

        /// <summary>4xx other than 429, "unavailable": no rules (<see cref="RobotsRules.AllowAll"/>).</summary>
        AllowAll,

        /// <summary>5xx, 429, a network failure, "unreachable": nothing may be fetched (<see cref="RobotsRules.DisallowAll"/>).</summary>
        DisallowAll,
    }
}
