using System;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Reflection;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// JSON converted the way the running PowerShell converts it, so Windows PowerShell 5.1 and PowerShell 7 each give
    /// what their own Invoke-RestMethod and ConvertTo-Json give (5.1 reads with JavaScriptSerializer, 7 with
    /// Newtonsoft.Json; dates, numbers and duplicate keys differ between them, and that difference is kept).
    ///
    /// Reading uses Microsoft.PowerShell.Commands.JsonObject.ConvertFromJson(string, out ErrorRecord), the very method
    /// Invoke-RestMethod calls. It is public on 5.1 and 7 alike but not in the PowerShellStandard reference assemblies
    /// this module compiles against, so it is bound once by reflection into a delegate: about as cheap as a direct
    /// call. Should a PowerShell lack it, the ConvertFrom-Json command does the work in a runspace of its own.
    /// Writing uses the ConvertTo-Json command in the caller's runspace (5.1 has no public method for it).
    ///
    /// Threading: <see cref="TryFromJson"/> on any thread (the delegate needs no runspace; the fallback runs one
    /// conversion at a time). <see cref="ToJson"/> only on a cmdlet's pipeline thread.
    /// </summary>
    internal static class PowerShellJson
    {
        /// <summary>The depth -Body objects are serialized to: ConvertTo-Json's largest, so a body is never cut short.</summary>
        public const int BodyDepth = 100;

        private const string ToJsonScript =
            "param($InputObject, $Depth) Microsoft.PowerShell.Utility\\ConvertTo-Json -InputObject $InputObject -Depth $Depth -Compress";

        private static readonly ConvertFromJsonMethod? Bound = Bind();
        private static readonly object FallbackLock = new object();
        private static System.Management.Automation.PowerShell? _fallback;

        private delegate object? ConvertFromJsonMethod(string input, out ErrorRecord? error);

        /// <summary>
        /// Reads <paramref name="text"/> as JSON, as Invoke-RestMethod does: objects become PSCustomObjects, arrays
        /// object[]; the literal null is a success with a null value. False with the reason when it is not JSON.
        /// </summary>
        public static bool TryFromJson(string text, out object? value, out Exception? failure) =>
            TryFromJson(text, Bound ?? FromJsonCommand, out value, out failure);

        /// <summary>The same through the ConvertFrom-Json command: what runs when the method cannot be bound.</summary>
        internal static bool TryFromJsonThroughCommand(string text, out object? value, out Exception? failure) =>
            TryFromJson(text, FromJsonCommand, out value, out failure);

        private static bool TryFromJson(string text, ConvertFromJsonMethod convert, out object? value, out Exception? failure)
        {
            value = null;
            failure = null;
            try
            {
                object? converted = convert(text, out ErrorRecord? error);
                if (error != null)
                {
                    failure = error.Exception;
                    return false;
                }

                value = converted is PSObject wrapped && !(wrapped.BaseObject is PSCustomObject) ? wrapped.BaseObject : converted;
                return true;
            }
            catch (Exception e) when (!(e is OutOfMemoryException))
            {
                // ArgumentException (not JSON) and InvalidOperationException (too deep) are what both PowerShells
                // throw; anything else is this item's problem as well, never the batch's.
                failure = e;
                return false;
            }
        }

        /// <summary>
        /// <paramref name="value"/> as compact JSON by ConvertTo-Json (-Depth <see cref="BodyDepth"/>) in the caller's
        /// runspace. Throws ArgumentException when ConvertTo-Json fails.
        /// </summary>
        public static string ToJson(PSCmdlet cmdlet, object value)
        {
            Collection<PSObject> output;
            try
            {
                // In a scope of its own, so its parameters never become variables of the caller.
                output = cmdlet.InvokeCommand.InvokeScript(true, ScriptBlock.Create(ToJsonScript), null, value, BodyDepth);
            }
            catch (RuntimeException e)
            {
                throw new ArgumentException(e.Message, e);
            }

            return output.Count == 1 && output[0]?.BaseObject is string json
                ? json
                : throw new ArgumentException(Strings.JsonBodyEmpty);
        }

        private static ConvertFromJsonMethod? Bind()
        {
            try
            {
                // Microsoft.PowerShell.Commands.Utility ships beside System.Management.Automation with the same version
                // and key (3.0.0.0 in the 5.1 GAC, 7.x.0.0 in PowerShell 7), so its full name follows from the engine's.
                string engine = typeof(PSObject).Assembly.FullName!;
                string utility = "Microsoft.PowerShell.Commands.Utility" + engine.Substring(engine.IndexOf(','));
                Type? jsonObject = Type.GetType("Microsoft.PowerShell.Commands.JsonObject, " + utility, throwOnError: false);
                MethodInfo? method = jsonObject?.GetMethod(
                    "ConvertFromJson",
                    BindingFlags.Public | BindingFlags.Static,
                    null,
                    new[] { typeof(string), typeof(ErrorRecord).MakeByRefType() },
                    null);
                return method == null || method.ReturnType != typeof(object)
                    ? null
                    : (ConvertFromJsonMethod)Delegate.CreateDelegate(typeof(ConvertFromJsonMethod), method);
            }
            catch (Exception e) when (e is System.IO.IOException || e is BadImageFormatException || e is ArgumentException || e is MemberAccessException || e is TypeLoadException)
            {
                return null;
            }
        }

        /// <summary>ConvertFrom-Json in a runspace of its own, kept for the process and used by one caller at a time.</summary>
        private static object? FromJsonCommand(string input, out ErrorRecord? error)
        {
            lock (FallbackLock)
            {
                _fallback ??= System.Management.Automation.PowerShell.Create();
                _fallback.Commands.Clear();
                _fallback.Streams.Error.Clear();
                _fallback.AddCommand("Microsoft.PowerShell.Utility\\ConvertFrom-Json").AddParameter("InputObject", input);
                if (typeof(PSObject).Assembly.GetName().Version.Major >= 7)
                {
                    _fallback.AddParameter("NoEnumerate"); // 7 enumerates a JSON array unless told not to; 5.1 never does
                }

                Collection<PSObject> output;
                try
                {
                    output = _fallback.Invoke();
                }
                catch (RuntimeException e)
                {
                    throw new ArgumentException(e.InnerException?.Message ?? e.Message, e.InnerException ?? e);
                }

                error = _fallback.Streams.Error.Count > 0 ? _fallback.Streams.Error[0] : null;
                return output.Count == 0 ? null : output[0];
            }
        }
    }
}
