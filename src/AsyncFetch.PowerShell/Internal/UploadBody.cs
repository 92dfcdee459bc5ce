using System;
using System.Collections;
using System.Globalization;
using System.IO;
using System.Management.Automation;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// The streamed request bodies of the commands, as Invoke-WebRequest 7.4 sends them: -InFile (a file read while it
    /// is sent), -Form (multipart/form-data), and a -Body that is a file (FileInfo) or a Stream. Anything else is left
    /// to <see cref="RequestBody"/>. Threading: the cmdlet's pipeline thread (paths resolve in the caller's session).
    /// </summary>
    internal static class UploadBody
    {
        /// <summary>
        /// The streamed body for these parameters, or null when there is none (the -Body, if any, goes as bytes).
        /// Throws ArgumentException for conflicting parameters, and the provider's exceptions (or FileNotFoundException)
        /// for a path that is not a file.
        /// </summary>
        public static FetchRequestBody? From(PSCmdlet cmdlet, object? body, string? inFile, IDictionary? form)
        {
            object? value = body is PSObject pso ? pso.BaseObject : body;
            if (inFile != null)
            {
                return FetchRequestBody.FromFile(ResolveFile(cmdlet, inFile));
            }

            if (form != null)
            {
                return Form(cmdlet, form);
            }

            switch (value)
            {
                case FileInfo file:
                    return FetchRequestBody.FromFile(file.FullName);
                case Stream stream:
                    return FetchRequestBody.FromStream(stream);
                default:
                    return null;
            }
        }

        /// <summary>True when more than one of -Body, -InFile and -Form is given (Invoke-WebRequest refuses that too).</summary>
        public static bool Conflict(object? body, string? inFile, IDictionary? form) =>
            (body != null ? 1 : 0) + (inFile != null ? 1 : 0) + (form != null ? 1 : 0) > 1;

        /// <summary>
        /// The streamed body with a command's errors: conflicting parameters (AsyncFetch.BodyConflict) and an -InFile or
        /// form file that cannot be used (AsyncFetch.InFileFailed) end the command, as with Invoke-WebRequest.
        /// </summary>
        public static FetchRequestBody? ForCommand(PSCmdlet cmdlet, object? body, string? inFile, IDictionary? form)
        {
            if (Conflict(body, inFile, form))
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException(Strings.BodyConflict), ErrorIds.BodyConflict, ErrorCategory.InvalidArgument, null));
            }

            try
            {
                return From(cmdlet, body, inFile, form);
            }
            catch (Exception e) when (e is ArgumentException || e is IOException || e is UnauthorizedAccessException || e is SessionStateException || e is NotSupportedException)
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(e, ErrorIds.InFileFailed, ErrorCategory.ReadError, (object?)inFile ?? form));
                throw; // not reached
            }
        }

        /// <summary>
        /// A multipart form from a dictionary, as Invoke-WebRequest -Form builds it: a FileInfo value is a file part,
        /// a collection (not a string) gives one part per item under the same name, anything else is a text part of
        /// the value's text (PowerShell's conversion to string).
        /// </summary>
        public static MultipartFormBody Form(PSCmdlet cmdlet, IDictionary form)
        {
            var multipart = new MultipartFormBody();
            foreach (DictionaryEntry entry in form)
            {
                string name = Text(entry.Key);
                object? value = entry.Value is PSObject p ? p.BaseObject : entry.Value;
                if (value is IEnumerable items && !(value is string))
                {
                    foreach (object? item in items)
                    {
                        AddPart(cmdlet, multipart, name, item is PSObject pi ? pi.BaseObject : item);
                    }
                }
                else
                {
                    AddPart(cmdlet, multipart, name, value);
                }
            }

            return multipart;
        }

        private static void AddPart(PSCmdlet cmdlet, MultipartFormBody form, string name, object? value)
        {
            if (value is FileInfo file)
            {
                form.AddFile(name, file.FullName);
            }
            else
            {
                form.AddField(name, Text(value));
            }
        }

        private static string Text(object? value) =>
            value == null ? string.Empty : (string)LanguagePrimitives.ConvertTo(value, typeof(string), CultureInfo.InvariantCulture);

        /// <summary>An -InFile path resolved like Invoke-WebRequest's (wildcards allowed, one file): the file-system path.</summary>
        private static string ResolveFile(PSCmdlet cmdlet, string path)
        {
            System.Collections.ObjectModel.Collection<string> paths = cmdlet.GetResolvedProviderPathFromPSPath(path, out ProviderInfo provider);
            if (provider.Name != "FileSystem" || paths.Count != 1)
            {
                throw new ArgumentException(string.Format(CultureInfo.CurrentCulture, Strings.InFileNotOneFile, path));
            }

            if (Directory.Exists(paths[0]))
            {
                throw new ArgumentException(string.Format(CultureInfo.CurrentCulture, Strings.InFileNotOneFile, path));
            }

            return paths[0];
        }
    }
}
