using System;
using System.Collections.Generic;

namespace AsyncFetch.Engine.Http
{
    /// <summary>The Transfer-Encoding field: which transfer codings the body has, and whether it is chunked.</summary>
    internal sealed partial class HttpResponseParser
    {
        /// <summary>
        /// Reads the Transfer-Encoding list (RFC 9112 section 6.1): the codings in the order they were applied. chunked may
        /// come only last (a sender must not chunk twice, and a coding applied after chunked would hide the framing), and
        /// without it the body ends at close (section 6.3). gzip, x-gzip and deflate are reported for the caller to
        /// remove; identity is no coding (but may not follow chunked either); anything else, a coding with parameters
        /// included, fails the response, as does a stack of more than <see cref="MaxTransferCodings"/> codings (identity
        /// aside). Sets <see cref="IsChunked"/> and <see cref="TransferCodings"/>.
        /// </summary>
        private bool ReadTransferCodings(string list)
        {
            if (list.Length == 7 && string.Equals(list, "chunked", StringComparison.OrdinalIgnoreCase))
            {
                IsChunked = true; // nearly every response that has the field
                return true;
            }

            List<string>? codings = null;
            int count = 0;
            bool chunked = false;
            for (int start = 0; start <= list.Length;)
            {
                int comma = list.IndexOf(',', start);
                int end = comma < 0 ? list.Length : comma;
                int a = start;
                while (a < end && (list[a] == ' ' || list[a] == '\t'))
                {
                    a++;
                }

                while (end > a && (list[end - 1] == ' ' || list[end - 1] == '\t'))
                {
                    end--;
                }

                string coding = list.Substring(a, end - a);
                start = comma < 0 ? list.Length + 1 : comma + 1;
                if (coding.Length == 0)
                {
                    continue; // an empty list element
                }

                if (chunked)
                {
                    Fail(HttpParseError.InvalidTransferEncoding, Is(coding, "chunked")
                        ? "The response applies the chunked transfer coding twice."
                        : $"The response lists the transfer coding '{coding}' after chunked, which must be the last.");
                    return false;
                }

                if (Is(coding, "identity"))
                {
                    continue; // no coding at all
                }

                if (++count > MaxTransferCodings)
                {
                    Fail(HttpParseError.UnsupportedTransferCoding, $"The response applies more than {MaxTransferCodings} transfer codings.");
                    return false;
                }

                if (Is(coding, "chunked"))
                {
                    chunked = true;
                }
                else if (Is(coding, "gzip") || Is(coding, "x-gzip") || Is(coding, "deflate"))
                {
                    (codings ??= new List<string>()).Add(Is(coding, "deflate") ? "deflate" : "gzip");
                }
                else
                {
                    Fail(HttpParseError.UnsupportedTransferCoding, $"The response uses the transfer coding '{coding}', which is not supported (only chunked, gzip and deflate are).");
                    return false;
                }
            }

            IsChunked = chunked;
            TransferCodings = codings == null ? Array.Empty<string>() : codings.ToArray();
            return true;
        }

        /// <summary>The most transfer codings one response may stack, chunked included (as curl, which refuses a fifth).</summary>
        private const int MaxTransferCodings = 4;

        private static bool Is(string coding, string name) => string.Equals(coding, name, StringComparison.OrdinalIgnoreCase);
    }
}
