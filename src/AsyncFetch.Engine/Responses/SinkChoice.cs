using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Responses
{
    /// <summary>The sink a response's body goes to.</summary>
    internal enum BodyTarget : byte
    {
        /// <summary>Kept in memory (and decoded there), within MaxResponseBytes.</summary>
        Memory = 0,

        /// <summary>Written to the request's OutFile or OutDirectory, within MaxDownloadBytes.</summary>
        File,

        /// <summary>Counted and dropped.</summary>
        Discard,
    }

    /// <summary>
    /// Which sink takes a response's body, decided once, when its headers are in; pure functions.
    ///
    /// - A response that is not the result (a redirect to follow, a status to retry) is discarded: nobody will see it,
    ///   and its connection stays reusable.
    /// - A request with OutFile or OutDirectory has a 2xx body written to a file, except 204, 205 and the answer to HEAD,
    ///   which have none. Any other status is handled as if there were no output target, so the caller can read an
    ///   error body, within MaxResponseBytes as always.
    /// - Otherwise the body is kept in memory, unless the request discards it; a compressed body is kept all the same, to
    ///   be decoded (its decoded length is the result's ContentLength), and dropped once decoded.
    /// </summary>
    internal static class SinkChoice
    {
        [MethodImpl(Hot.Path)]
        public static BodyTarget For(int status, bool isResult, string method, bool hasOutputTarget, bool discardBody, bool decoded)
        {
            if (!isResult)
            {
                return BodyTarget.Discard;
            }

            if (hasOutputTarget && IsDownload(status, method))
            {
                return BodyTarget.File;
            }

            return !discardBody || decoded ? BodyTarget.Memory : BodyTarget.Discard;
        }

        /// <summary>
        /// What to remove from a body with <paramref name="transferCodings"/> (in the order applied) and the supported
        /// <paramref name="contentEncoding"/> (null when none, or not to be decoded): the transfer codings first, last
        /// applied first, then the content coding (RFC 9112 section 6.1, RFC 9110 section 8.4). Null when there is nothing.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public static string[]? Decodings(IReadOnlyList<string> transferCodings, string? contentEncoding)
        {
            int count = transferCodings.Count + (contentEncoding == null ? 0 : 1);
            if (count == 0)
            {
                return null;
            }

            var decodings = new string[count];
            for (int i = 0; i < transferCodings.Count; i++)
            {
                decodings[i] = transferCodings[transferCodings.Count - 1 - i];
            }

            if (contentEncoding != null)
            {
                decodings[count - 1] = contentEncoding;
            }

            return decodings;
        }

        private static bool IsDownload(int status, string method) =>
            status >= 200 && status <= 299 && status != 204 && status != 205
            && !string.Equals(method, "HEAD", StringComparison.OrdinalIgnoreCase);
    }
}
