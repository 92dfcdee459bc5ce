using System;
using System.IO;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Downloads
{
    internal sealed partial class DownloadSink
    {
        /// <summary>
        /// Decoding a complete compressed download on its writer (the thread pool): reads the encoded temporary file,
        /// writes the decoded one, deletes the encoded one; with several codings, once per coding, each output the next
        /// one's input. Owns the files while it runs; on failure it leaves none of them behind.
        /// </summary>
        internal sealed class DecodeJob
        {
            private readonly string _inputPath;
            private readonly string[] _outputPaths;
            private readonly string[] _codings;
            private readonly long _limit;

            public DecodeJob(string inputPath, string[] outputPaths, string[] codings, long limit)
            {
                _inputPath = inputPath;
                _outputPaths = outputPaths;
                _codings = codings;
                _limit = limit;
            }

            /// <summary>The fully decoded file.</summary>
            public string OutputPath => _outputPaths[_outputPaths.Length - 1];

            public ContentDecoder.Outcome Outcome { get; private set; }

            public long DecodedLength { get; private set; }

            /// <summary>Why the body could not be decoded or written; null on success.</summary>
            public string? Error { get; private set; }

            /// <summary>The error kind when <see cref="Error"/> is set: TooLarge, Protocol (corrupt data), File or Internal.</summary>
            public FetchErrorKind ErrorKind { get; private set; }

            public Exception? Exception { get; private set; }

            /// <summary>Thread pool. Never throws; on failure nothing is left on disk.</summary>
            public void Run()
            {
                bool ok = false;
                string input = _inputPath;
                string output = OutputPath;
                try
                {
                    for (int i = 0; i < _codings.Length && Error == null; i++)
                    {
                        output = _outputPaths[i];
                        using (var stream = new FileStream(output, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.None))
                        {
                            Outcome = ContentDecoder.DecodeFile(input, _codings[i], _limit, stream, out long decoded, out string? error);
                            DecodedLength = decoded;
                            if (Outcome == ContentDecoder.Outcome.TooLarge)
                            {
                                Fail(FetchErrorKind.TooLarge, error!.Replace("the limit", "the download limit"), null);
                            }
                            else if (Outcome != ContentDecoder.Outcome.Decoded)
                            {
                                Fail(FetchErrorKind.Protocol, error ?? "The response body could not be decoded.", null);
                            }
                        }

                        if (input != _inputPath)
                        {
                            TryDelete(input); // an intermediate file, decoded further
                        }

                        input = output;
                    }

                    ok = Error == null;
                }
                catch (Exception e) when (IsFileError(e))
                {
                    Fail(FetchErrorKind.File, $"Cannot decode the download into '{output}': {e.Message}", e);
                }
                catch (Exception e)
                {
                    Fail(FetchErrorKind.Internal, "Unexpected failure while decoding the download: " + e.Message, e);
                }
                finally
                {
                    TryDelete(_inputPath);
                    if (!ok)
                    {
                        foreach (string path in _outputPaths)
                        {
                            TryDelete(path);
                        }
                    }
                }
            }

            private void Fail(FetchErrorKind kind, string message, Exception? exception)
            {
                ErrorKind = kind;
                Error = message;
                Exception = exception;
            }
        }
    }
}
