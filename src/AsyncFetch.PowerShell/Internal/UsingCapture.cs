using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// $using: for a job's -OnComplete, which runs in another runspace: each $using:name is rewritten to a plain
    /// variable that the job defines there, holding the caller's value when the job started (as ThreadJob
    /// passes values across: the same object, not a copy).
    /// </summary>
    internal static class UsingCapture
    {
        public const string Prefix = "__AsyncFetchUsing_";

        public static string Rewrite(string scriptText, PSCmdlet caller, out Dictionary<string, object?> values)
        {
            values = new Dictionary<string, object?>(System.StringComparer.OrdinalIgnoreCase);
            ScriptBlockAst ast = Parser.ParseInput(scriptText, out _, out ParseError[] errors);
            if (errors.Length > 0)
            {
                return scriptText; // the runspace reports the parse error when it creates the script block
            }

            var usings = ast.FindAll(a => a is UsingExpressionAst, searchNestedScriptBlocks: true)
                .Cast<UsingExpressionAst>()
                .OrderByDescending(u => u.Extent.StartOffset)
                .ToList();
            string text = scriptText;
            foreach (UsingExpressionAst u in usings)
            {
                if (!(u.SubExpression is VariableExpressionAst variable))
                {
                    caller.ThrowTerminatingError(new ErrorRecord(
                        new PSArgumentException("-OnComplete supports $using:name of a variable only, not: " + u.Extent.Text),
                        ErrorIds.UsingNotSupported, ErrorCategory.InvalidArgument, u.Extent.Text));
                    continue;
                }

                string name = variable.VariablePath.UserPath;
                string replacement = Prefix + name.Replace(':', '_');
                values[replacement] = caller.SessionState.PSVariable.GetValue(name);
                text = text.Substring(0, u.Extent.StartOffset) + "$" + replacement + text.Substring(u.Extent.EndOffset);
            }

            return text;
        }
    }
}
