using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Xml;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// Writes a <see cref="FetchSession"/> to a file and reads it back, so that a session outlives the process: a
    /// scheduled script that logs in once keeps its cookies for the next run. What is kept: the cookies (session
    /// cookies too, as curl's cookie jar does; expired ones are dropped), the default headers, the user agent and the
    /// proxy (its addresses and bypass list; a "no proxy" setting too). What is not: credentials (the proxy's included)
    /// and client certificates, which the script gives again (they are secrets or machine state, not session state). Cookie values are secrets, so on Linux and macOS the file is created
    /// readable by its owner only (mode 600) before anything is written to it; on Windows it takes the folder's ACL.
    /// The file is written to a temporary name beside it and renamed, so a run killed while saving leaves the old file.
    /// The format is a small XML document (version 1). Any thread; the caller serializes saves of one session.
    /// </summary>
    internal static class SessionStore
    {
        private const string Root = "FetchSession";
        private const int Version = 1;

        public static void Save(FetchSession session, string path)
        {
            string full = Path.GetFullPath(path);
            string temporary = full + ".tmp-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            try
            {
                using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    OwnerOnly(temporary);
                    var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
                    using XmlWriter xml = XmlWriter.Create(stream, settings);
                    Write(session, xml);
                }

                Replace(temporary, full);
            }
            finally
            {
                if (File.Exists(temporary))
                {
                    File.Delete(temporary);
                }
            }
        }

        public static FetchSession Load(string path)
        {
            var session = new FetchSession();
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true, IgnoreWhitespace = true };
            // A stream, not the path: XmlReader.Create(string) reads its argument as a URI and would decode "%41" in a file name.
            using var file = new FileStream(Path.GetFullPath(path), FileMode.Open, FileAccess.Read, FileShare.Read);
            using XmlReader xml = XmlReader.Create(file, settings);
            xml.MoveToContent();
            if (xml.LocalName != Root)
            {
                throw new InvalidDataException($"{path} is not a saved FetchSession (its root element is {xml.LocalName}).");
            }

            string? version = xml.GetAttribute("version");
            if (version != Version.ToString(CultureInfo.InvariantCulture))
            {
                throw new InvalidDataException($"{path} is a saved FetchSession of version {version ?? "(none)"}; this AsyncFetch reads version {Version}.");
            }

            DateTime now = DateTime.UtcNow;
            xml.Read(); // into the root; ReadElementContentAsString below leaves the reader on the node after the element
            while (!xml.EOF)
            {
                if (xml.NodeType != XmlNodeType.Element)
                {
                    xml.Read();
                    continue;
                }

                switch (xml.LocalName)
                {
                    case "UserAgent":
                        session.UserAgent = xml.ReadElementContentAsString();
                        break;
                    case "Header":
                        string name = Required(xml, "name");
                        session.Headers[name] = xml.ReadElementContentAsString();
                        break;
                    case "Cookie":
                        AddCookie(session.Cookies, xml, now);
                        break;
                    case "NoProxy":
                        session.Proxy = FetchProxy.Direct;
                        xml.Skip();
                        break;
                    case "Proxy":
                        session.Proxy = ReadProxy(xml);
                        break;
                    default:
                        xml.Skip(); // an element of a later version: ignored
                        break;
                }
            }

            return session;
        }

        private static void Write(FetchSession session, XmlWriter xml)
        {
            xml.WriteStartDocument();
            xml.WriteStartElement(Root);
            xml.WriteAttributeString("version", Version.ToString(CultureInfo.InvariantCulture));
            if (session.UserAgent != null)
            {
                xml.WriteElementString("UserAgent", session.UserAgent);
            }

            foreach (KeyValuePair<string, string> header in session.Headers)
            {
                xml.WriteStartElement("Header");
                xml.WriteAttributeString("name", header.Key);
                xml.WriteString(header.Value);
                xml.WriteEndElement();
            }

            WriteProxy(session.Proxy, xml);
            DateTime now = DateTime.UtcNow;
            foreach (Cookie cookie in AllCookies(session.Cookies))
            {
                if (cookie.Expired || (cookie.Expires != DateTime.MinValue && cookie.Expires.ToUniversalTime() <= now))
                {
                    continue;
                }

                xml.WriteStartElement("Cookie");
                xml.WriteAttributeString("name", cookie.Name);
                xml.WriteAttributeString("domain", IsDomainCookie(session.Cookies, cookie) ? "." + cookie.Domain.TrimStart('.') : cookie.Domain);
                xml.WriteAttributeString("path", cookie.Path);
                xml.WriteAttributeString("secure", cookie.Secure ? "true" : "false");
                xml.WriteAttributeString("httpOnly", cookie.HttpOnly ? "true" : "false");
                if (cookie.Expires != DateTime.MinValue)
                {
                    xml.WriteAttributeString("expires", cookie.Expires.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture));
                }

                xml.WriteString(cookie.Value);
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        /// <summary>The proxy's addresses (without user information) and bypass list; its credentials stay out of the file.</summary>
        private static void WriteProxy(FetchProxy? proxy, XmlWriter xml)
        {
            if (proxy == null)
            {
                return;
            }

            if (ReferenceEquals(proxy, FetchProxy.Direct))
            {
                xml.WriteElementString("NoProxy", string.Empty);
                return;
            }

            xml.WriteStartElement("Proxy");
            if (proxy.HttpProxy != null)
            {
                xml.WriteAttributeString("http", WithoutUserInfo(proxy.HttpProxy));
            }

            if (proxy.HttpsProxy != null)
            {
                xml.WriteAttributeString("https", WithoutUserInfo(proxy.HttpsProxy));
            }

            foreach (string entry in proxy.Bypass)
            {
                xml.WriteElementString("Bypass", entry);
            }

            xml.WriteEndElement();
        }

        private static FetchProxy ReadProxy(XmlReader xml)
        {
            var proxy = new FetchProxy();
            string? http = xml.GetAttribute("http");
            string? https = xml.GetAttribute("https");
            if (http != null)
            {
                proxy.HttpProxy = new Uri(http, UriKind.Absolute);
            }

            if (https != null)
            {
                proxy.HttpsProxy = new Uri(https, UriKind.Absolute);
            }

            if (xml.IsEmptyElement)
            {
                xml.Read();
                return proxy;
            }

            xml.Read();
            while (xml.NodeType != XmlNodeType.EndElement && !xml.EOF)
            {
                if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "Bypass")
                {
                    proxy.Bypass.Add(xml.ReadElementContentAsString());
                }
                else if (xml.NodeType == XmlNodeType.Element)
                {
                    xml.Skip();
                }
                else
                {
                    xml.Read();
                }
            }

            xml.Read(); // past </Proxy>
            return proxy;
        }

        private static string WithoutUserInfo(Uri uri) =>
            uri.GetComponents(UriComponents.AbsoluteUri & ~UriComponents.UserInfo, UriFormat.UriEscaped);

        /// <summary>
        /// True for a cookie the jar sends to subdomains too (a Set-Cookie with a Domain attribute). .NET keeps such a
        /// cookie's Domain without its leading dot, like a host-only cookie's, so the jar is asked whether a made-up
        /// subdomain of the cookie's domain would get it; the file then writes the domain with the dot.
        /// </summary>
        private static bool IsDomainCookie(CookieContainer jar, Cookie cookie)
        {
            if (cookie.Domain.StartsWith(".", StringComparison.Ordinal))
            {
                return true;
            }

            string domain = cookie.Domain;
            if (domain.Length == 0 || IPAddress.TryParse(domain, out _)
                || !Uri.TryCreate((cookie.Secure ? "https://" : "http://") + "asyncfetch-probe." + domain + (cookie.Path.StartsWith("/", StringComparison.Ordinal) ? cookie.Path : "/"), UriKind.Absolute, out Uri? probe))
            {
                return false;
            }

            foreach (Cookie sent in jar.GetCookies(probe))
            {
                if (sent.Name == cookie.Name && sent.Value == cookie.Value && sent.Path == cookie.Path
                    && string.Equals(sent.Domain.TrimStart('.'), domain, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        private static void AddCookie(CookieContainer jar, XmlReader xml, DateTime now)
        {
            string name = Required(xml, "name");
            string domain = Required(xml, "domain");
            string path = xml.GetAttribute("path") ?? "/";
            bool secure = xml.GetAttribute("secure") == "true";
            bool httpOnly = xml.GetAttribute("httpOnly") == "true";
            string? expires = xml.GetAttribute("expires");
            string value = xml.ReadElementContentAsString();
            var cookie = new Cookie(name, value, path) { Secure = secure, HttpOnly = httpOnly };
            if (expires != null)
            {
                cookie.Expires = DateTime.Parse(expires, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).ToUniversalTime();
                if (cookie.Expires <= now)
                {
                    return;
                }
            }

            if (domain.StartsWith(".", StringComparison.Ordinal))
            {
                cookie.Domain = domain; // a Domain cookie: sent to the domain and its subdomains
                jar.Add(cookie);
            }
            else
            {
                // A host-only cookie: added for its host's URL with no Domain, so it stays host-only.
                jar.Add(new Uri((secure ? "https://" : "http://") + domain + (path.StartsWith("/", StringComparison.Ordinal) ? path : "/")), cookie);
            }
        }

        /// <summary>Every cookie in the jar: CookieContainer.GetAllCookies where the runtime has it (.NET 6 and later), else its tables (.NET Framework).</summary>
        internal static IEnumerable<Cookie> AllCookies(CookieContainer jar)
        {
            MethodInfo? getAll = typeof(CookieContainer).GetMethod("GetAllCookies", BindingFlags.Public | BindingFlags.Instance, null, Type.EmptyTypes, null);
            var cookies = new List<Cookie>();
            if (getAll != null)
            {
                foreach (Cookie cookie in (CookieCollection)getAll.Invoke(jar, null)!)
                {
                    cookies.Add(cookie);
                }

                return cookies;
            }

            FieldInfo? table = typeof(CookieContainer).GetField("m_domainTable", BindingFlags.NonPublic | BindingFlags.Instance);
            if (table?.GetValue(jar) is not Hashtable domains)
            {
                throw new NotSupportedException("This runtime's CookieContainer cannot list its cookies, so the session's cookies cannot be saved.");
            }

            lock (domains.SyncRoot)
            {
                foreach (object? pathList in domains.Values)
                {
                    FieldInfo? list = pathList?.GetType().GetField("m_list", BindingFlags.NonPublic | BindingFlags.Instance);
                    if (list?.GetValue(pathList) is not SortedList paths)
                    {
                        continue;
                    }

                    lock (paths.SyncRoot)
                    {
                        foreach (object? collection in paths.Values)
                        {
                            if (collection is CookieCollection found)
                            {
                                foreach (Cookie cookie in found)
                                {
                                    cookies.Add(cookie);
                                }
                            }
                        }
                    }
                }
            }

            return cookies;
        }

        private static string Required(XmlReader xml, string attribute) =>
            xml.GetAttribute(attribute) ?? throw new InvalidDataException($"A {xml.LocalName} element of the saved session has no {attribute}.");

        /// <summary>Puts a finished temporary file in place of <paramref name="full"/> (replacing it, or moving it there when there is none).</summary>
        internal static void Replace(string temporary, string full)
        {
            if (File.Exists(full))
            {
                File.Replace(temporary, full, null);
                return;
            }

            try
            {
                File.Move(temporary, full);
            }
            catch (IOException) when (File.Exists(full))
            {
                File.Replace(temporary, full, null); // another run put the file there between the check and the move
            }
        }

        private static void OwnerOnly(string path)
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                return;
            }

            if (Chmod(path, Convert.ToInt32("600", 8)) != 0)
            {
                throw new IOException($"Could not make {path} readable by its owner only (chmod failed, errno {Marshal.GetLastWin32Error()}).");
            }
        }

        [DllImport("libc", EntryPoint = "chmod", SetLastError = true)]
        private static extern int Chmod(string path, int mode);
    }
}
