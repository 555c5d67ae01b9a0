using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Logging;
using SmtpDeliver.Dane;
using TlsaRecord = SmtpDeliver.Dane.TlsaRecord;
using TlsaSelector = SmtpDeliver.Dane.TlsaSelector;
using TlsaMatchingType = SmtpDeliver.Dane.TlsaMatchingType;

namespace SmtpDeliver.Dns;

/// <summary>
/// An <see cref="IDnsResolver"/> on DnsClient that asks a validating resolver with the DO bit set and
/// reports its AD bit as "authentic" when that bit can be believed (RFC 6840 5.7, RFC 4035 4.9.3): when
/// <see cref="TrustAuthenticData"/> says so, or else when every server is on loopback, or the servers are
/// the system's and resolv.conf (or RES_OPTIONS) has glibc's "options trust-ad". Otherwise every answer
/// is reported as not authentic, so DANE is not used rather than used on data an attacker on the path
/// could forge (see <see cref="AuthenticDataTrustReason"/>). Settings fit for DANE: no cache (DnsClient's
/// cache key ignores query options and server), no retries of a SERVFAIL (a DNSSEC validation failure
/// must not turn into "no records"), TCP when an answer is truncated (docs/dns.md).
/// </summary>
public sealed class ValidatingResolver : IDnsResolver
{
    /// <summary>The system's resolver configuration on Unix.</summary>
    private const string SystemResolvConf = "/etc/resolv.conf";

    private static readonly Action<ILogger, string, Exception?> LogUntrusted = LoggerMessage.Define<string>(
        LogLevel.Warning, new EventId(50, "AuthenticDataNotTrusted"), "{Reason}");

    private readonly LookupClient _client;
    private readonly IReadOnlyList<IPEndPoint> _servers;
    private readonly bool _fromSystem;
    private readonly string? _resolvConf;
    private readonly string? _resOptions;
    private readonly Lazy<(bool Trusted, string Reason)> _trust;
    private int _untrustedLogged;

    /// <summary>A resolver asking the given servers; with none, the system's configured servers.</summary>
    public ValidatingResolver(params IPEndPoint[] servers) : this(TimeSpan.FromSeconds(10), servers)
    {
    }

    /// <summary>A resolver asking the given servers with a per-query timeout; with none, the system's configured servers.</summary>
    public ValidatingResolver(TimeSpan timeout, params IPEndPoint[] servers)
        : this(timeout, servers, SystemResolvConf, Environment.GetEnvironmentVariable("RES_OPTIONS"))
    {
    }

    /// <summary>As the public constructors, with the resolv.conf path and RES_OPTIONS value given (for tests).</summary>
    internal ValidatingResolver(TimeSpan timeout, IPEndPoint[] servers, string resolvConfPath, string? resOptions)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(resolvConfPath);
        _fromSystem = servers.Length == 0;
        if (_fromSystem)
        {
            // The system's servers: read from resolv.conf here, so the trust decision is about the servers used.
            _resolvConf = ReadResolvConf(resolvConfPath);
            _resOptions = resOptions;
            servers = _resolvConf is null ? [] : [.. NameServers(_resolvConf)];
        }
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
        _servers = [.. _client.NameServers.Select(n => IPAddress.TryParse(n.Address, out var ip) ? new IPEndPoint(ip, n.Port) : new IPEndPoint(IPAddress.Any, n.Port))];
        // Init properties are set after the constructor: decide on first use.
        _trust = new Lazy<(bool, string)>(() => DecideAuthenticDataTrust(TrustAuthenticData, _servers, _fromSystem, _resolvConf, _resOptions));
    }

    /// <summary>
    /// Whether to believe the resolver's AD bit: <c>true</c> or <c>false</c> decides; <c>null</c> (the
    /// default) decides automatically: yes when every server is on loopback (127.0.0.0/8, ::1), or when
    /// the servers come from the system's resolv.conf and it (or the RES_OPTIONS environment variable)
    /// has "options trust-ad", as glibc does. Set it to <c>true</c> only for a validating resolver reached
    /// over a path no attacker can tamper with.
    /// </summary>
    public bool? TrustAuthenticData { get; init; }

    /// <summary>Where to log, once, that the AD bit is not believed; none when <c>null</c>.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Whether answers can be authentic: the AD bit of the resolver's answers is believed.</summary>
    public bool AuthenticDataTrusted => _trust.Value.Trusted;

    /// <summary>Why the AD bit is or is not believed, a short sentence, e.g. "resolver 127.0.0.1:53 is on loopback".</summary>
    public string AuthenticDataTrustReason => _trust.Value.Reason;

    /// <summary>The decision behind <see cref="AuthenticDataTrusted"/> and its reason.</summary>
    /// <param name="explicitTrust">The caller's setting, <c>null</c> for automatic.</param>
    /// <param name="servers">The servers asked.</param>
    /// <param name="fromSystem">Whether the servers are the system's rather than the caller's.</param>
    /// <param name="resolvConf">The system's resolv.conf text, when read.</param>
    /// <param name="resOptions">The RES_OPTIONS environment variable.</param>
    internal static (bool Trusted, string Reason) DecideAuthenticDataTrust(bool? explicitTrust, IReadOnlyList<IPEndPoint> servers, bool fromSystem, string? resolvConf, string? resOptions)
    {
        if (explicitTrust is { } trust)
        {
            return trust
                ? (true, "trust in the resolver's ad bit is configured")
                : (false, "trust in the resolver's ad bit is turned off: dnssec answers are treated as insecure");
        }
        if (servers.Count == 0)
        {
            return (false, "no resolver is configured: dnssec answers are treated as insecure");
        }
        var remote = servers.Where(s => !IsLoopback(s.Address)).ToList();
        if (remote.Count == 0)
        {
            return (true, servers.Count == 1 ? $"resolver {servers[0]} is on loopback" : $"resolvers {string.Join(", ", servers)} are on loopback");
        }
        var notLoopback = remote.Count == 1 ? $"resolver {remote[0]} is not on loopback" : $"resolvers {string.Join(", ", remote)} are not on loopback";
        if (!fromSystem)
        {
            return (false, notLoopback + ": dnssec answers are treated as insecure");
        }
        // glibc's convention (resolv.conf(5) "trust-ad"): the administrator vouches for the path to these servers.
        if (resolvConf is not null && ResolvConfOptions(resolvConf).Contains("trust-ad", StringComparer.Ordinal))
        {
            return (true, "resolv.conf has options trust-ad");
        }
        if (resOptions is not null && resOptions.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Contains("trust-ad", StringComparer.Ordinal))
        {
            return (true, "RES_OPTIONS has trust-ad");
        }
        return (false, notLoopback + " and resolv.conf lacks options trust-ad: dnssec answers are treated as insecure");
    }

    private static bool IsLoopback(IPAddress address) =>
        IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private static string? ReadResolvConf(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The words of a resolv.conf line starting with <paramref name="keyword"/>, comments removed.</summary>
    private static IEnumerable<string[]> ResolvConfLines(string text, string keyword) =>
        text.Split('\n')
            .Select(line => line.Split('#', ';')[0].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words.Length > 1 && words[0] == keyword);

    private static IEnumerable<string> ResolvConfOptions(string text) => ResolvConfLines(text, "options").SelectMany(words => words.Skip(1));

    private static IEnumerable<IPEndPoint> NameServers(string text) =>
        ResolvConfLines(text, "nameserver")
            .Select(words => IPAddress.TryParse(words[1], out var ip) ? new IPEndPoint(ip, 53) : null)
            .OfType<IPEndPoint>();

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
        var authentic = response.Header.IsAuthenticData && AuthenticDataTrusted;
        if (!AuthenticDataTrusted && Logger is { } logger && Interlocked.Exchange(ref _untrustedLogged, 1) == 0)
        {
            LogUntrusted(logger, AuthenticDataTrustReason, null);
        }
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
