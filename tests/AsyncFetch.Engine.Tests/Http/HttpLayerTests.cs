using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Tests.Http
{
    /// <summary>
    /// The HTTP layer knows nothing above it: no type in AsyncFetch.Engine.Http names a type of the client
    /// (AsyncFetch.Engine.Requests, .Connections, .Limits, .Tls, .Proxy, .Downloads) or of the public API (the AsyncFetch
    /// namespace) in its signatures: base type,
    /// interfaces, fields, properties, events, method and constructor parameters and return types, generic
    /// arguments and constraints, and the local variables of its method bodies. Compiler-generated nested types
    /// (closures, iterators) are in the same namespace and are checked too.
    /// </summary>
    public sealed class HttpLayerTests
    {
        private const string HttpNamespace = "AsyncFetch.Engine.Http";

        private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

        [Fact]
        public void Http_types_reference_no_client_or_public_api_type()
        {
            Type[] httpTypes = typeof(HttpResponseParser).Assembly.GetTypes().Where(t => t.Namespace == HttpNamespace).ToArray();
            Assert.Contains(typeof(HttpResponseParser), httpTypes);
            Assert.Contains(typeof(HttpRequestWriter), httpTypes);

            var found = new List<string>();
            foreach (Type type in httpTypes)
            {
                foreach ((string where, Type used) in Uses(type))
                {
                    Type? above = Above(used);
                    if (above != null)
                    {
                        found.Add($"{type.FullName}: {where} uses {above.FullName}");
                    }
                }
            }

            Assert.True(found.Count == 0, "Http/ depends on the layers above it:\n" + string.Join("\n", found.Distinct()));
        }

        /// <summary>The check itself finds such a reference (a type of the test assembly stands in for an Http/ one).</summary>
        [Fact]
        public void The_check_sees_a_client_type_in_a_signature()
        {
            Type?[] seen = Uses(typeof(Offender)).Select(u => Above(u.Used)).ToArray();
            Assert.Contains(typeof(FetchRequest), seen);
            Assert.Contains(typeof(FetchHeaders), seen);
            Assert.Contains(typeof(FetchResult), seen);
            Assert.Contains(typeof(AsyncFetch.Engine.Requests.FetchOperation), seen);
            Assert.Contains(typeof(FetchErrorKind), seen);
            Assert.Null(Above(typeof(HttpResponseParser)));
            Assert.Null(Above(typeof(List<KeyValuePair<string, string>>)));
        }

        /// <summary>The innermost type <paramref name="type"/> is built from that belongs above Http/, or null.</summary>
        private static Type? Above(Type type)
        {
            if (type.HasElementType)
            {
                return Above(type.GetElementType()!);
            }

            if (type.IsGenericType && !type.IsGenericTypeDefinition)
            {
                foreach (Type argument in type.GetGenericArguments())
                {
                    Type? inner = Above(argument);
                    if (inner != null)
                    {
                        return inner;
                    }
                }

                type = type.GetGenericTypeDefinition();
            }

            if (type.IsGenericParameter)
            {
                return null; // its constraints are listed by Uses
            }

            string? ns = type.Namespace;
            return ns == "AsyncFetch" || Array.IndexOf(ClientNamespaces, ns) >= 0 ? type : null;
        }

        /// <summary>The namespaces of the client layers above Http/.</summary>
        private static readonly string[] ClientNamespaces =
        {
            "AsyncFetch.Engine.Requests", "AsyncFetch.Engine.Connections", "AsyncFetch.Engine.Limits",
            "AsyncFetch.Engine.Tls", "AsyncFetch.Engine.Proxy", "AsyncFetch.Engine.Downloads",
        };

        private static IEnumerable<(string Where, Type Used)> Uses(Type type)
        {
            if (type.BaseType != null)
            {
                yield return ("base type", type.BaseType);
            }

            foreach (Type i in type.GetInterfaces())
            {
                yield return ("interface", i);
            }

            foreach (Type parameter in type.IsGenericTypeDefinition ? type.GetGenericArguments() : Type.EmptyTypes)
            {
                foreach (Type constraint in parameter.GetGenericParameterConstraints())
                {
                    yield return ("generic constraint", constraint);
                }
            }

            foreach (FieldInfo f in type.GetFields(Declared))
            {
                yield return ("field " + f.Name, f.FieldType);
            }

            foreach (PropertyInfo p in type.GetProperties(Declared))
            {
                yield return ("property " + p.Name, p.PropertyType);
            }

            foreach (EventInfo e in type.GetEvents(Declared))
            {
                yield return ("event " + e.Name, e.EventHandlerType!);
            }

            foreach (MethodBase m in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
            {
                if (m is MethodInfo method)
                {
                    yield return ("return type of " + m.Name, method.ReturnType);
                    foreach (Type argument in method.IsGenericMethodDefinition ? method.GetGenericArguments() : Type.EmptyTypes)
                    {
                        foreach (Type constraint in argument.GetGenericParameterConstraints())
                        {
                            yield return ("generic constraint of " + m.Name, constraint);
                        }
                    }
                }

                foreach (ParameterInfo p in m.GetParameters())
                {
                    yield return ($"parameter {p.Name} of {m.Name}", p.ParameterType);
                }

                MethodBody? body = m.GetMethodBody();
                foreach (LocalVariableInfo local in body?.LocalVariables ?? (IList<LocalVariableInfo>)Array.Empty<LocalVariableInfo>())
                {
                    yield return ("a local variable of " + m.Name, local.LocalType);
                }
            }
        }

        /// <summary>Names client and public API types the way an Http/ type must not.</summary>
        private sealed class Offender : List<FetchHeaders>
        {
#pragma warning disable CS0649, CS0169 // never used: only its signature matters
            private FetchResult? _result;
#pragma warning restore CS0649, CS0169

            public FetchErrorKind Kind { get; set; }

            public static int Write(FetchRequest request) => request.Headers.Count;

            public static Dictionary<string, AsyncFetch.Engine.Requests.FetchOperation[]>? Pending() => null;
        }
    }
}
