using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AsyncFetch.TestServer;

/// <summary>The TLS endpoint (for a server started with a certificate).</summary>
internal sealed partial class TestEndpoints
{
    /// <summary>/tls: JSON {scheme, sni (the name the client sent, or null), protocol, clientCertificate (subject or null)}.</summary>
    private static async Task TlsInfoAsync(HttpContext context)
    {
        X509Certificate2? client = await context.Connection.GetClientCertificateAsync(context.RequestAborted).ConfigureAwait(false);
        ITlsHandshakeFeature? tls = context.Features.Get<ITlsHandshakeFeature>();
        await WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("scheme", context.Request.Scheme);
            object? sni = null;
            context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue("sni", out sni);
            writer.WriteString("sni", sni as string ?? tls?.HostName);
            writer.WriteString("protocol", tls?.Protocol.ToString());
            writer.WriteString("clientCertificate", client?.Subject);
            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }
}
