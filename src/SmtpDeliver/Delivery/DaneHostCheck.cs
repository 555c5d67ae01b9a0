using System.Net.Sockets;
using System.Net;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery;

/// <summary>
/// Verifies DANE for an SMTP host as a sending MTA would (RFC 7672): authentic addresses, TLSA records at
/// the TLSA base domain (port 25, whatever port is dialed), then for every address a connection with
/// STARTTLS (or implicit TLS) whose certificate must match, DANE-TA names checked against the reference
/// identifiers of RFC 7672 3.2.2. What operators run from scripts and the CLI.
/// </summary>
public static class DaneHostCheck
{
    /// <summary>
    /// Checks one host on its own, as a next hop without MX lookup (Postfix's <c>[host]</c>): a DANE-TA
    /// certificate must be valid for the TLSA base domain or, when that is the host's secure CNAME
    /// expansion, the host name (RFC 7672 3.2.2, non-MX destinations).
    /// </summary>
    /// <param name="resolver">A validating resolver (see docs/dns.md).</param>
    /// <param name="host">The host.</param>
    /// <param name="options">
    /// Session options: <see cref="SmtpSessionOptions.EhloHostname"/> (required), timeouts, roots, time;
    /// <see cref="SmtpSessionOptions.TlsMode"/> <see cref="TlsMode.Implicit"/> for implicit TLS, STARTTLS
    /// (required) otherwise. DANE, name and verification fields are set by the check.
    /// </param>
    /// <param name="port">The port to connect to; TLSA records are always looked up for port 25.</param>
    /// <param name="dialer">The dialer; a new one on the options' clock when <c>null</c>.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    public static Task<DaneHostReport> VerifyAsync(IDnsResolver resolver, Domain host, SmtpSessionOptions options, int port = 25, Dialer? dialer = null, CancellationToken cancellationToken = default) =>
        VerifyCoreAsync(resolver, null, host, port, options, dialer, cancellationToken);

    /// <summary>
    /// Checks one MX host (or the implicit MX) of a next hop: with authentic MX records, a DANE-TA
    /// certificate may also be valid for the recipient domain or its CNAME expansion (RFC 7672 3.2.2).
    /// </summary>
    internal static Task<DaneHostReport> VerifyAsync(IDnsResolver resolver, Destinations destinations, Domain host, SmtpSessionOptions options, int port = 25, Dialer? dialer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destinations);
        return VerifyCoreAsync(resolver, destinations, host, port, options, dialer, cancellationToken);
    }

    private static async Task<DaneHostReport> VerifyCoreAsync(IDnsResolver resolver, Destinations? destinations, Domain host, int port, SmtpSessionOptions options, Dialer? dialer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(options);
        HostAddresses ips;
        try
        {
            ips = await Gather.IPsAsync(resolver, AddressFamilyFilter.Any, new IPDomain(host), null, cancellationToken).ConfigureAwait(false);
        }
        catch (GatherException e)
        {
            var outcome = e.DnsStatus == DnsStatus.TemporaryFailure ? DaneHostOutcome.TemporaryDnsFailure : DaneHostOutcome.Failed;
            return new DaneHostReport(host, outcome, false, default, [], [], e.Message);
        }
        if (!ips.Authentic)
        {
            return new DaneHostReport(host, DaneHostOutcome.NotApplicable, false, default, [], [], "address lookups are not dnssec-authentic");
        }
        TlsaGathering tlsa;
        try
        {
            tlsa = await Gather.TlsaAsync(resolver, host, ips.ExpandedAuthentic, ips.ExpandedHost, cancellationToken).ConfigureAwait(false);
        }
        catch (GatherException e)
        {
            return new DaneHostReport(host, DaneHostOutcome.TemporaryDnsFailure, true, default, [], [], e.Message);
        }
        if (!tlsa.DaneRequired || tlsa.Records.Count == 0)
        {
            var why = tlsa.DaneRequired ? "only tlsa records unusable for smtp" : "no authentic tlsa records";
            return new DaneHostReport(host, DaneHostOutcome.NotApplicable, true, tlsa.BaseDomain, tlsa.AllRecords, [], why);
        }

        dialer ??= new Dialer { TimeProvider = options.TimeProvider };
        // RFC 7672 3.2.2: the TLSA base domain first (also the SNI name), then the next-hop names when the
        // MX lookup was authentic. Never the target of an insecure CNAME.
        var names = destinations is null
            ? Gather.TlsaNames(haveMx: false, expandedNextHopAuthentic: true, host, host, tlsa.BaseDomain)
            : Gather.TlsaNames(destinations, tlsa);
        var checks = new List<DaneAddressCheck>();
        foreach (var address in ips.Addresses)
        {
            checks.Add(await CheckAddressAsync(dialer, host, address, port, tlsa, names, options, cancellationToken).ConfigureAwait(false));
        }
        var verified = checks.TrueForAll(c => c.Verified);
        return new DaneHostReport(host, verified ? DaneHostOutcome.Verified : DaneHostOutcome.Failed, true, tlsa.BaseDomain, tlsa.AllRecords, checks,
            verified ? string.Empty : string.Join("; ", checks.Where(c => !c.Verified).Select(c => $"{c.Address}: {c.Error}")));
    }

    private static async Task<DaneAddressCheck> CheckAddressAsync(Dialer dialer, Domain host, IPAddress address, int port, TlsaGathering tlsa, IReadOnlyList<Domain> names, SmtpSessionOptions options, CancellationToken cancellationToken)
    {
        DialedConnection connection;
        try
        {
            connection = await dialer.DialAsync(new IPDomain(host), [address], port, null, null, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            return new DaneAddressCheck(address, false, null, null, $"connecting: {e.Message}");
        }
        try
        {
            await using var client = await SmtpClientSession.ConnectAsync(connection.Socket, options with
            {
                // RFC 7672 2.2: STARTTLS is required (or implicit TLS when asked for); DANE decides.
                TlsMode = options.TlsMode == TlsMode.Implicit ? TlsMode.Implicit : TlsMode.RequiredStartTls,
                EnforcePkix = false,
                RemoteHostname = names[0],
                DaneRecords = tlsa.Records,
                DaneMoreHostnames = names.Skip(1).ToList(),
                IgnoreTlsVerifyErrors = false,
            }, cancellationToken).ConfigureAwait(false);
            return new DaneAddressCheck(address, true, client.VerifiedDaneRecord, client.Tls, string.Empty);
        }
        catch (SmtpException e)
        {
            return new DaneAddressCheck(address, false, null, null, e.Message);
        }
    }
}
