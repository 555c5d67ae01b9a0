using System.Net;
using DnsClient;
using DnsClient.Protocol;
using SmtpDeliver.Dane;
using TlsaRecord = SmtpDeliver.Dane.TlsaRecord;
using TlsaSelector = SmtpDeliver.Dane.TlsaSelector;
using TlsaMatchingType = SmtpDeliver.Dane.TlsaMatchingType;
using MxRecord = SmtpDeliver.Dns.MxRecord;

namespace SmtpDeliver.Dns;

/// <summary>
/// An <see cref="IDnsResolver"/> on DnsClient that asks a validating resolver with the DO bit set and
/// reports its AD bit as "authentic". Settings fit for DANE: no cache (DnsClient's cache key ignores
/// query options and server), no retries of a SERVFAIL (a DNSSEC validation failure must not turn into
/// "no records"), TCP when an answer is truncated. Trust the AD bit only from a resolver on this host or
/// reached over a trusted path (docs/dns.md).
/// </summary>
public sealed class ValidatingResolver : IDnsResolver
{
    private readonly LookupClient _client;

    /// <summary>A resolver asking the given servers; with none, the system's configured servers.</summary>
    public ValidatingResolver(params IPEndPoint[] servers) : this(TimeSpan.FromSeconds(10), servers)
    {
    }

    /// <summary>A resolver asking the given servers with a per-query timeout.</summary>
    public ValidatingResolver(TimeSpan timeout, params IPEndPoint[] servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var options = servers.Length > 0 ? new LookupClientOptions(servers) : new LookupClientOptions();
        options.UseCache = false;
        options.RequestDnsSecRecords = true;
        options.Retries = 0;
        options.ThrowDnsErrors = false;
        options.ContinueOnDnsError = false;
        options.ContinueOnEmptyResponse = false;
        options.UseTcpFallback = true;
        options.Timeout = timeout;
        options.Recursion = true;
        _client = new LookupClient(options);
    }

    /// <summary>STUB.</summary>
    public bool? TrustAuthenticData { get; init; }
    /// <summary>STUB.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }
    /// <summary>STUB.</summary>
    public bool AuthenticDataTrusted => _client is not null;
    /// <summary>STUB.</summary>
    public string AuthenticDataTrustReason => _client is null ? "x" : "";
    internal ValidatingResolver(TimeSpan timeout, IPEndPoint[] servers, string resolvConfPath, string? resOptions) : this(timeout, servers)
    {
        _ = resolvConfPath;
        _ = resOptions;
    }
    internal static (bool Trusted, string Reason) DecideAuthenticDataTrust(bool? explicitTrust, IReadOnlyList<IPEndPoint> servers, bool fromSystem, string? resolvConf, string? resOptions) => (true, "");

    /// <summary>Parses "ip" or "ip:port" (IPv6 as "[ip]:port"), default port 53.</summary>
    /// <exception cref="FormatException">Not an address.</exception>
    public static IPEndPoint ParseServer(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IPAddress.TryParse(text, out var ip))
        {
            return new IPEndPoint(ip, 53);
        }
        return IPEndPoint.TryParse(text, out var endPoint) ? endPoint : throw new FormatException($"not a resolver address: {text}");
    }

    private async Task<DnsResult<T>> QueryAsync<T>(string name, QueryType type, Func<IEnumerable<DnsResourceRecord>, IEnumerable<T>> select, CancellationToken cancellationToken)
    {
        IDnsQueryResponse response;
        try
        {
            response = await _client.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResponseException e)
        {
            return DnsResult.Temporary<T>($"{type} {name}: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DnsResult.Temporary<T>($"{type} {name}: timeout");
        }
        var authentic = response.Header.IsAuthenticData;
        switch (response.Header.ResponseCode)
        {
            case DnsHeaderResponseCode.NoError:
                var records = select(response.Answers).ToList();
                return records.Count > 0 ? DnsResult.Found<T>(records, authentic) : DnsResult.NotFound<T>(authentic, $"no {type} records for {name}");
            case DnsHeaderResponseCode.NotExistentDomain:
                return DnsResult.NotFound<T>(authentic, $"{name} does not exist");
            default:
                // SERVFAIL includes answers that failed DNSSEC validation (RFC 4035 5.5).
                return DnsResult.Temporary<T>($"{type} {name}: {response.Header.ResponseCode}");
        }
    }

    /// <inheritdoc/>
    public async Task<DnsResult<string>> LookupCnameAsync(string name, CancellationToken cancellationToken)
    {
        var result = await QueryAsync(name, QueryType.CNAME,
            answers => answers.OfType<CNameRecord>().Where(c => string.Equals(c.DomainName.Value, name, StringComparison.OrdinalIgnoreCase)).Select(c => c.CanonicalName.Value),
            cancellationToken).ConfigureAwait(false);
        return result.Records.Count > 1 ? result with { Records = [result.Records[0]] } : result;
    }

    /// <inheritdoc/>
    public Task<DnsResult<MxRecord>> LookupMxAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync(name, QueryType.MX, answers => answers.OfType<DnsClient.Protocol.MxRecord>().Select(m => new MxRecord(m.Exchange.Value, m.Preference)), cancellationToken);

    /// <inheritdoc/>
    public async Task<DnsResult<IPAddress>> LookupIPAsync(AddressFamilyFilter family, string name, CancellationToken cancellationToken)
    {
        if (family == AddressFamilyFilter.IPv4)
        {
            return await QueryAsync(name, QueryType.A, answers => answers.OfType<ARecord>().Select(a => a.Address), cancellationToken).ConfigureAwait(false);
        }
        if (family == AddressFamilyFilter.IPv6)
        {
            return await QueryAsync(name, QueryType.AAAA, answers => answers.OfType<AaaaRecord>().Select(a => a.Address), cancellationToken).ConfigureAwait(false);
        }
        var a = await QueryAsync(name, QueryType.A, answers => answers.OfType<ARecord>().Select(r => r.Address), cancellationToken).ConfigureAwait(false);
        var aaaa = await QueryAsync(name, QueryType.AAAA, answers => answers.OfType<AaaaRecord>().Select(r => r.Address), cancellationToken).ConfigureAwait(false);
        if (a.Status == DnsStatus.TemporaryFailure || aaaa.Status == DnsStatus.TemporaryFailure)
        {
            return DnsResult.Temporary<IPAddress>(a.Status == DnsStatus.TemporaryFailure ? a.Error : aaaa.Error);
        }
        var authentic = a.Authentic && aaaa.Authentic;
        List<IPAddress> all = [.. a.Records, .. aaaa.Records];
        return all.Count > 0 ? DnsResult.Found<IPAddress>(all, authentic) : DnsResult.NotFound<IPAddress>(authentic, $"no addresses for {name}");
    }

    /// <inheritdoc/>
    public Task<DnsResult<TlsaRecord>> LookupTlsaAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync(name, QueryType.TLSA, answers => answers.OfType<DnsClient.Protocol.TlsaRecord>().Select(t =>
            new TlsaRecord((TlsaUsage)(byte)t.CertificateUsage, (TlsaSelector)(byte)t.Selector, (TlsaMatchingType)(byte)t.MatchingType, t.CertificateAssociationData.ToArray())), cancellationToken);

    /// <inheritdoc/>
    public Task<DnsResult<string>> LookupTxtAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync(name, QueryType.TXT, answers => answers.OfType<TxtRecord>().Select(t => string.Concat(t.Text)), cancellationToken);
}
