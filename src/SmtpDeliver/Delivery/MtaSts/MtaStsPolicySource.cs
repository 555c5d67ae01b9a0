using System.Net;
using System.Security.Cryptography.X509Certificates;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Tls;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Delivery.MtaSts;

/// <summary>
/// Finds a domain's MTA-STS policy (RFC 8461): the _mta-sts TXT record, the cache, and an HTTPS fetch
/// of https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt with a PKIX-valid certificate, no redirects,
/// a size limit and one deadline over the whole fetch. Addresses of the policy host come from the same
/// resolver. A failed fetch is remembered for <see cref="FetchFailureCacheTime"/>, so a domain whose
/// policy host fails or stalls costs one fetch in that time, not one per delivery.
/// </summary>
public sealed class MtaStsPolicySource(IDnsResolver resolver, IMtaStsCache? cache = null)
{
    private readonly IMtaStsCache _cache = cache ?? new InMemoryMtaStsCache();
    private MtaStsFailureCache? _failures;

    /// <summary>The HTTPS port, 443 but for tests.</summary>
    public int HttpsPort { get; init; } = 443;

    /// <summary>Roots for the policy host's certificate instead of the system's.</summary>
    public X509Certificate2Collection? RootCertificates { get; init; }

    /// <summary>
    /// Time limit of the whole fetch: resolving and connecting to the policy host, TLS, the response
    /// headers and the body. Hitting it fails the fetch with failure reason "timeout".
    /// </summary>
    public TimeSpan FetchTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest policy accepted (RFC 8461 3.3 suggests 64 KiB); the body is read no further than this,
    /// and a larger one fails the fetch with failure reason "policy-too-large".
    /// </summary>
    public int MaxPolicyBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// How long a failed fetch (or invalid policy) of a domain is remembered; lookups in that time give the
    /// same failure without fetching (a still valid cached policy applies, RFC 8461 5.1). Zero disables it.
    /// </summary>
    public TimeSpan FetchFailureCacheTime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The clock for policy expiry (max_age, RFC 8461 3.2), remembered fetch failures, the fetch deadline
    /// (<see cref="FetchTimeout"/>) and the policy host's certificate validity. <see cref="TimeProvider.System"/>
    /// by default; tests pass a fake clock.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Most domains whose failed fetch is remembered; beyond it, those closest to expiry are dropped.</summary>
    public int MaxFetchFailuresCached { get; init; } = 10_000;

    private MtaStsFailureCache Failures => LazyInitializer.EnsureInitialized(ref _failures, () => new MtaStsFailureCache(MaxFetchFailuresCached));

    /// <summary>Gets the policy for <paramref name="domain"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<MtaStsLookup> GetAsync(Domain domain, CancellationToken cancellationToken = default)
    {
        var cached = await _cache.GetAsync(domain, cancellationToken).ConfigureAwait(false) is { } c && c.Expires > TimeProvider.GetUtcNow() ? c : null;
        var txt = await resolver.LookupTxtAsync($"_mta-sts.{domain.Ascii}.", cancellationToken).ConfigureAwait(false);
        var records = txt.Records.Where(MtaStsRecord.IsMtaStsRecord).ToList();
        MtaStsRecord record;
        try
        {
            if (txt.Status != DnsStatus.Success || records.Count != 1)
            {
                // RFC 8461 5.1: without a (single) record, a cached policy still applies.
                return new MtaStsLookup(cached?.Policy, cached?.Id, null);
            }
            record = MtaStsRecord.Parse(records[0]);
        }
        catch (MtaStsPolicyException)
        {
            return new MtaStsLookup(cached?.Policy, cached?.Id, null);
        }
        if (cached is not null && cached.Id == record.Id)
        {
            return new MtaStsLookup(cached.Policy, cached.Id, null);
        }
        if (FetchFailureCacheTime > TimeSpan.Zero && Failures.TryGet(domain, TimeProvider.GetUtcNow(), out var recent))
        {
            // Failed moments ago: the same failure, without another fetch. RFC 8461 5.1: a cached policy still applies.
            return new MtaStsLookup(cached?.Policy, cached?.Id, recent);
        }
        var (policy, failure) = await FetchAndParseAsync(domain, cancellationToken).ConfigureAwait(false);
        if (policy is null)
        {
            if (FetchFailureCacheTime > TimeSpan.Zero)
            {
                var now = TimeProvider.GetUtcNow();
                Failures.Store(domain, failure!, now + FetchFailureCacheTime, now);
            }
            return new MtaStsLookup(cached?.Policy, cached?.Id, failure);
        }
        _failures?.Remove(domain);
        await _cache.StoreAsync(domain, new CachedMtaStsPolicy(record.Id, policy, TimeProvider.GetUtcNow() + policy.MaxAge), cancellationToken).ConfigureAwait(false);
        return new MtaStsLookup(policy, record.Id, null);
    }

    private async Task<(MtaStsPolicy? Policy, FailureDetails? Failure)> FetchAndParseAsync(Domain domain, CancellationToken cancellationToken)
    {
        var (text, failure) = await FetchAsync(domain, cancellationToken).ConfigureAwait(false);
        if (text is null)
        {
            return (null, failure);
        }
        try
        {
            return (MtaStsPolicy.Parse(text), null);
        }
        catch (MtaStsPolicyException e)
        {
            return (null, FailureDetails.Of(ResultType.StsPolicyInvalid, e.Message));
        }
    }

    private async Task<(string? Text, FailureDetails? Failure)> FetchAsync(Domain domain, CancellationToken cancellationToken)
    {
        var host = "mta-sts." + domain.Ascii;
        PkixVerification? pkix = null;
        // One deadline over everything: DNS, connect, TLS, headers and body (RFC 8461 3.3).
        using var deadline = TimeoutSource.Start(TimeProvider, FetchTimeout, cancellationToken);
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            ConnectCallback = async (context, ct) =>
            {
                var ips = await resolver.LookupIPAsync(AddressFamilyFilter.Any, host + ".", ct).ConfigureAwait(false);
                if (ips.Status != DnsStatus.Success)
                {
                    throw new HttpRequestException($"no address for {host}: {ips.Error}");
                }
                return await OfflinePkixHttps.ConnectAsync(ips.Records[0], HttpsPort, ct).ConfigureAwait(false);
            },
            SslOptions = OfflinePkixHttps.ClientOptions(host, RootCertificates, TimeProvider, v => pkix = v),
        };
        // The deadline above is the time limit; HttpClient's own would not cover the body.
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            using var response = await client.GetAsync(new Uri($"https://{host}:{HttpsPort}/.well-known/mta-sts.txt"), HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                // RFC 8461 3.3: redirects are not followed; only 200 counts.
                return (null, FailureDetails.Of(ResultType.StsPolicyFetchError, $"http-status-{(int)response.StatusCode}"));
            }
            if (response.Content.Headers.ContentType?.MediaType != "text/plain")
            {
                return (null, FailureDetails.Of(ResultType.StsPolicyInvalid, "media-type-not-text-plain"));
            }
            if (response.Content.Headers.ContentLength > MaxPolicyBytes)
            {
                return (null, FailureDetails.Of(ResultType.StsPolicyFetchError, "policy-too-large"));
            }
            var body = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                var bytes = await ReadBoundedAsync(body, MaxPolicyBytes, deadline.Token).ConfigureAwait(false);
                return bytes is null
                    ? (null, FailureDetails.Of(ResultType.StsPolicyFetchError, "policy-too-large"))
                    : (System.Text.Encoding.UTF8.GetString(bytes), null);
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("mta-sts policy fetch cancelled", e, cancellationToken);
            }
            if (pkix is { Verified: false })
            {
                return (null, FailureDetails.Of(ResultType.StsWebPkiInvalid, pkix.ResultType));
            }
            return (null, FailureDetails.Of(ResultType.StsPolicyFetchError, deadline.IsCancellationRequested ? "timeout" : "fetch-failed"));
        }
    }

    /// <summary>The whole body, or <c>null</c> as soon as it is longer than <paramref name="limit"/> bytes.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[(int)Math.Min(16L * 1024, Math.Max(1L, (long)limit + 1))];
        while (true)
        {
            var n = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return buffer.ToArray();
            }
            if (buffer.Length + n > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, n);
        }
    }
}
