using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using SmtpDeliver.Dns;
using SmtpDeliver.Tls;

namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>
/// Posts gzipped reports to https: destinations (RFC 8460 5.4) with the rules of the MTA-STS policy fetch:
/// the host's addresses from the given resolver, a PKIX-valid certificate for the host name (system roots or
/// <see cref="RootCertificates"/>; no certificate, AIA, OCSP or CRL downloads), no proxy, no redirects, one
/// deadline over the whole exchange and a bounded response body. Success is any 2xx status.
/// </summary>
/// <param name="resolver">Resolves the destination host.</param>
public sealed class TlsRptHttpsSender(IDnsResolver resolver)
{
    private readonly IDnsResolver _resolver = resolver ?? throw new ArgumentNullException(nameof(resolver));

    /// <summary>Roots for the destination's certificate instead of the system's (tests).</summary>
    public X509Certificate2Collection? RootCertificates { get; init; }

    /// <summary>Time limit of the whole exchange: resolving, connecting, TLS, the upload and the response.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest response body read; a longer one fails with <see cref="TlsRptHttpsFailure.ResponseTooLarge"/>.</summary>
    public int MaxResponseBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Allows destinations resolving to loopback, private, link-local or other non-public addresses. Off by
    /// default: a record could otherwise aim reports at hosts inside the sender's network. Tests turn it on.
    /// </summary>
    public bool AllowNonPublicAddresses { get; init; }

    /// <summary>The clock of the deadline and of certificate validity.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Posts <paramref name="file"/> to <paramref name="rua"/> with Content-Type application/tlsrpt+gzip.</summary>
    /// <exception cref="ArgumentException"><paramref name="rua"/> is not an https destination.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<TlsRptHttpsResult> PostAsync(TlsRptRua rua, TlsRptReportFile file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rua);
        ArgumentNullException.ThrowIfNull(file);
        if (!rua.IsHttps)
        {
            throw new ArgumentException("not an https rua", nameof(rua));
        }
        var uri = rua.Uri;
        var host = uri.IdnHost;
        PkixVerification? pkix = null;
        var addressRefused = false;
        using var deadline = TimeoutSource.Start(TimeProvider, Timeout, cancellationToken);
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            MaxResponseHeadersLength = 16,
            ConnectCallback = async (context, ct) =>
            {
                var ips = await _resolver.LookupIPAsync(AddressFamilyFilter.Any, host + ".", ct).ConfigureAwait(false);
                var usable = ips.Records.Where(ip => AllowNonPublicAddresses || IsPublic(ip)).ToList();
                if (ips.Status != DnsStatus.Success || usable.Count == 0)
                {
                    addressRefused = true;
                    throw new HttpRequestException($"no usable address for {host}: {ips.Error}");
                }
                return await OfflinePkixHttps.ConnectAsync(usable[0], context.DnsEndPoint.Port, ct).ConfigureAwait(false);
            },
            SslOptions = OfflinePkixHttps.ClientOptions(host, RootCertificates, TimeProvider, v => pkix = v),
        };
        using var client = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        using var content = new ReadOnlyMemoryContent(file.Content);
        content.Headers.ContentType = new MediaTypeHeaderValue(TlsRptReportFile.MediaType);
        try
        {
            using var response = await client.PostAsync(uri, content, deadline.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                return new(TlsRptHttpsFailure.Redirect, status, "redirects are not followed");
            }
            if (response.Content.Headers.ContentLength > MaxResponseBytes)
            {
                return new(TlsRptHttpsFailure.ResponseTooLarge, status, "response body too large");
            }
            var body = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                if (!await ReadBoundedAsync(body, MaxResponseBytes, deadline.Token).ConfigureAwait(false))
                {
                    return new(TlsRptHttpsFailure.ResponseTooLarge, status, "response body too large");
                }
            }
            return status is >= 200 and < 300
                ? new(TlsRptHttpsFailure.None, status)
                : new(TlsRptHttpsFailure.Status, status, $"http status {status}");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("tlsrpt report post cancelled", e, cancellationToken);
            }
            if (pkix is { Verified: false })
            {
                return new(TlsRptHttpsFailure.Certificate, null, pkix.Problem);
            }
            if (addressRefused)
            {
                return new(TlsRptHttpsFailure.Address, null, e.Message);
            }
            return deadline.IsCancellationRequested
                ? new(TlsRptHttpsFailure.Timeout, null, "timeout")
                : new(TlsRptHttpsFailure.Connection, null, e.Message);
        }
    }

    /// <summary>Reads and discards the body; false as soon as it is longer than <paramref name="limit"/>.</summary>
    private static async Task<bool> ReadBoundedAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        var chunk = new byte[8 * 1024];
        long total = 0;
        while (true)
        {
            var n = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return true;
            }
            total += n;
            if (total > limit)
            {
                return false;
            }
        }
    }

    /// <summary>False for loopback, private (RFC 1918, RFC 4193), link-local, CGNAT, unspecified and multicast addresses.</summary>
    internal static bool IsPublic(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        if (IPAddress.IsLoopback(ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
        {
            return false;
        }
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = ip.GetAddressBytes();
            return !(b[0] == 10 || b[0] == 0 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && (b[1] & 0xc0) == 64) || b[0] >= 224);
        }
        return !(ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6UniqueLocal || ip.IsIPv6Multicast);
    }
}
