using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Net;
using System.Security;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// The secrets a job's command line may hold as typed, for <see cref="FetchRedaction.Text(string, IEnumerable{string})"/>
    /// to mask in the job's Command: the values of the Authorization, Proxy-Authorization and Cookie headers the command
    /// was given (-Headers, the headers of a -WebSession, of FetchRequests bound to -Uri), the -Token and the passwords of
    /// -Credential and -ProxyCredential, and the quoted values of those header names in any hashtable on the line (a
    /// New-FetchRequest -Headers piped into the command is not bound yet when the job is made). Pipeline thread, once
    /// per job.
    /// </summary>
    internal static class CommandSecrets
    {
        public static List<string> Collect(string? line, IDictionary? headers, FetchSession? session, IEnumerable<PSObject?>? uris, SecureString? token, params PSCredential?[] credentials)
        {
            var secrets = new List<string>();
            // A list value is joined with ", " there, and HeaderSecrets gives each item of it too.
            foreach (KeyValuePair<string, string> h in RequestBuilder.HeaderList(headers))
            {
                AddHeader(secrets, h.Key, h.Value);
            }

            if (session != null)
            {
                foreach (KeyValuePair<string, string> h in session.Headers)
                {
                    AddHeader(secrets, h.Key, h.Value);
                }
            }

            foreach (PSObject? input in uris ?? Array.Empty<PSObject?>())
            {
                if (Unwrap(input) is FetchRequest request)
                {
                    foreach (KeyValuePair<string, string> h in request.Headers)
                    {
                        AddHeader(secrets, h.Key, h.Value);
                    }
                }
            }

            if (token != null)
            {
                secrets.Add(new NetworkCredential(string.Empty, token).Password);
            }

            foreach (PSCredential? credential in credentials)
            {
                if (credential != null && credential != PSCredential.Empty)
                {
                    secrets.Add(credential.GetNetworkCredential().Password);
                }
            }

            if (line != null && line.Length > 0)
            {
                AddTyped(secrets, line);
            }

            return secrets;
        }

        private static void AddHeader(List<string> secrets, string name, string? value) => secrets.AddRange(FetchRedaction.HeaderSecrets(name, value));

        /// <summary>Hashtable entries on the line whose key names a secret header and whose value is written out: the value as typed (quotes included) and as it reads.</summary>
        private static void AddTyped(List<string> secrets, string line)
        {
            ScriptBlockAst ast = Parser.ParseInput(line, out _, out _); // a partial line still parses into what it holds
            foreach (Ast found in ast.FindAll(a => a is HashtableAst, searchNestedScriptBlocks: true))
            {
                foreach (Tuple<ExpressionAst, StatementAst> pair in ((HashtableAst)found).KeyValuePairs)
                {
                    if (!(pair.Item1 is StringConstantExpressionAst key) || !FetchRedaction.IsSecretHeader(key.Value))
                    {
                        continue;
                    }

                    ExpressionAst? value = (pair.Item2 as PipelineAst)?.GetPureExpression();
                    IEnumerable<ExpressionAst> items = value is ArrayLiteralAst array ? array.Elements : new[] { value! };
                    foreach (ExpressionAst? item in items)
                    {
                        string? text = item switch
                        {
                            StringConstantExpressionAst constant => constant.Value,
                            ExpandableStringExpressionAst expandable when expandable.NestedExpressions.Count == 0 => expandable.Value,
                            _ => null,
                        };
                        if (text != null)
                        {
                            secrets.Add(item!.Extent.Text);
                            AddHeader(secrets, key.Value, text);
                        }
                    }
                }
            }
        }

        private static object? Unwrap(object? value) => value is PSObject p ? p.BaseObject : value;
    }
}
