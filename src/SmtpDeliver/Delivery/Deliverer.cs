using System.Net;
using System.Net.Sockets;
using SmtpDeliver.Dane;
using SmtpDeliver.Dns;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Delivery;

/// <summary>
/// Delivers a message to the recipients of one domain, as mox's queue does with smtpclient: MX hosts in
/// preference order, addresses per host, the TLS each host's policy demands (DANE per RFC 7672,
/// REQUIRETLS per RFC 8689), fallback to the next address or host on transient failures only, LIMITS
/// (RFC 9422) honoured, recipients refused with 452 retried in a further transaction. One call is one
/// delivery attempt; the outcome says, per recipient, whether to retry.
/// </summary>
public sealed class Deliverer(DeliveryOptions options)
{
    private enum HostOutcome
    {
        Done,
        Permanent,
        Transient,
    }

    /// <summary>Delivers <paramref name="request"/> once.</summary>
    /// <exception cref="ArgumentException">No recipients, or recipients in more than one domain.</exception>
    public async Task<DeliveryOutcome> DeliverAsync(DeliveryRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Recipients.Count == 0)
        {
            throw new ArgumentException("need at least one recipient", nameof(request));
        }
        var domains = request.Recipients.Select(r => r[(r.LastIndexOf('@') + 1)..].ToLowerInvariant()).Distinct().ToList();
        if (domains.Count != 1 || domains[0].Length == 0)
        {
            throw new ArgumentException("all recipients must be in one domain", nameof(request));
        }
        var domain = Domain.Parse(domains[0]);
        var state = new DeliveryState(request);
        var domainResult = new Result(PolicyType.NoPolicyFound, domain.Ascii);
        MtaSts.MtaStsPolicy? sts = null;
        string? stsId = null;
        if (options.MtaSts is { } source)
        {
            var lookup = await source.GetAsync(domain, cancellationToken).ConfigureAwait(false);
            stsId = lookup.Policy is null ? null : lookup.Id;
            if (lookup.Policy is { Mode: not MtaSts.MtaStsMode.None } policy)
            {
                sts = policy;
                domainResult = new Result(new ResultPolicy { Type = PolicyType.Sts, Domain = domain.Ascii, Strings = policy.Lines, MxHost = policy.MxPatterns });
            }
            if (lookup.Failure is { } failure)
            {
                domainResult.Add(0, 0, failure);
            }
        }
        var hostResults = new List<Result>();
        var attempts = new List<DeliveryAttempt>();

        Destinations destinations;
        try
        {
            destinations = await Gather.DestinationsAsync(options.Resolver, IPDomain.Of(domain), cancellationToken).ConfigureAwait(false);
        }
        catch (GatherException e)
        {
            state.FailPending(e.Permanent ? RecipientStatus.Permanent : RecipientStatus.Transient, null, e.Message);
            return new DeliveryOutcome(state.Outcomes(), attempts, domainResult, hostResults);
        }

        var lastError = "no mx host could be reached";
        foreach (var hostPref in destinations.Hosts)
        {
            if (state.PendingCount == 0)
            {
                break;
            }
            var host = hostPref.Host.Domain;
            var (plan, error) = await PlanAsync(hostPref.Host, destinations, request, sts, cancellationToken).ConfigureAwait(false);
            if (plan is null)
            {
                attempts.Add(new DeliveryAttempt(host, null, "none", null, error));
                lastError = error;
                continue;
            }
            hostResults.Add(plan.HostResult);
            var outcome = HostOutcome.Transient;
            foreach (var address in plan.Addresses)
            {
                (outcome, error) = await DeliverToAddressAsync(plan, host, address, request, state, domainResult, attempts, cancellationToken).ConfigureAwait(false);
                if (outcome != HostOutcome.Transient)
                {
                    break;
                }
                lastError = error;
            }
            if (outcome == HostOutcome.Permanent || state.PendingCount == 0)
            {
                break;
            }
        }
        state.FailPending(RecipientStatus.Transient, null, lastError);
        if (options.Logger is { } logger)
        {
            foreach (var a in attempts)
            {
                Diagnostics.Log.DeliveryAttempt(logger, a.Host, a.Address, a.TlsStatus, a.VerifiedDaneRecord, stsId, a.Error);
            }
        }
        return new DeliveryOutcome(state.Outcomes(), attempts, domainResult, hostResults) { MtaStsPolicyId = stsId };
    }

    /// <summary>What the policies demand for one MX host.</summary>
    private sealed record HostPlan(IReadOnlyList<IPAddress> Addresses, TlsMode TlsMode, IReadOnlyList<TlsaRecord>? DaneRecords, IReadOnlyList<Domain> Names, Result HostResult)
    {
        /// <summary>MTA-STS enforce: the certificate must pass PKIX for the MX name.</summary>
        public bool MtaStsEnforced { get; init; }
    }

    // RFC 7672 2.2: DANE applies only when the MX and address lookups were authentic and TLSA records
    // exist; then STARTTLS is required and, with usable records, the certificate must match them.
    private async Task<(HostPlan? Plan, string Error)> PlanAsync(IPDomain host, Destinations destinations, DeliveryRequest request, MtaSts.MtaStsPolicy? sts, CancellationToken cancellationToken)
    {
        // RFC 8461 4.1: with an enforced policy, only MX hosts the policy names are used.
        if (sts is { Mode: MtaSts.MtaStsMode.Enforce } && !sts.Matches(host.Domain))
        {
            return (null, $"mx host {host} does not match the mta-sts policy");
        }
        HostAddresses ips;
        try
        {
            ips = await Gather.IPsAsync(options.Resolver, AddressFamilyFilter.Any, host, options.Dialer.DialedIPs, cancellationToken).ConfigureAwait(false);
        }
        catch (GatherException e)
        {
            return (null, e.Message);
        }
        var names = new List<Domain> { host.Domain };
        if (destinations.ExpandedNextHopAuthentic && ips.Authentic)
        {
            TlsaGathering tlsa;
            try
            {
                tlsa = await Gather.TlsaAsync(options.Resolver, host.Domain, ips.ExpandedAuthentic, ips.ExpandedHost, cancellationToken).ConfigureAwait(false);
            }
            catch (GatherException e)
            {
                // A DNSSEC failure (bogus, SERVFAIL) on TLSA: DANE may apply and cannot be checked.
                return (null, $"tlsa lookup failed, dane cannot be checked: {e.Message}");
            }
            if (tlsa.DaneRequired)
            {
                var policy = new ResultPolicy { Type = PolicyType.Tlsa, Domain = tlsa.BaseDomain.Ascii, Strings = tlsa.AllRecords.Select(r => r.ToString()).ToList() };
                names = Gather.TlsaNames(destinations, tlsa).ToList();
                var result = new Result(policy);
                if (tlsa.Records.Count == 0)
                {
                    // All records unusable: STARTTLS still required, certificate not verified (RFC 7672 2.2).
                    result.Add(0, 0, FailureDetails.Of(ResultType.TlsaInvalid, "all-unusable-records+ignored"));
                    return (new HostPlan(ips.Addresses, TlsMode.RequiredStartTls, null, names, result), string.Empty);
                }
                return (new HostPlan(ips.Addresses, TlsMode.RequiredStartTls, tlsa.Records, names, result), string.Empty);
            }
        }
        var enforced = sts is { Mode: MtaSts.MtaStsMode.Enforce };
        var mode = enforced || (request.RequireTls && options.RequireTlsPolicy is RequireTlsPolicy.Enforce or RequireTlsPolicy.OpportunisticStartTls)
            ? TlsMode.RequiredStartTls
            : TlsMode.Opportunistic;
        return (new HostPlan(ips.Addresses, mode, null, names, new Result(PolicyType.NoPolicyFound, host.Domain.Ascii)) { MtaStsEnforced = enforced }, string.Empty);
    }

    private async Task<(HostOutcome, string)> DeliverToAddressAsync(HostPlan plan, Domain host, IPAddress address, DeliveryRequest request, DeliveryState state, Result domainResult, List<DeliveryAttempt> attempts, CancellationToken cancellationToken)
    {
        // MAILMAX (RFC 9422) can make us reconnect; each round is one connection.
        for (var round = 0; round < 100 && state.PendingCount > 0; round++)
        {
            DialedConnection connection;
            try
            {
                connection = await options.Dialer.DialAsync(IPDomain.Of(host), [address], options.Port, null, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                attempts.Add(new DeliveryAttempt(host, address, "none", null, $"connecting: {e.Message}"));
                return (HostOutcome.Transient, $"connecting to {host} ({address}): {e.Message}");
            }
            var clientOptions = new ClientOptions
            {
                DaneRecords = plan.DaneRecords,
                DaneMoreHostnames = plan.Names.Skip(1).ToList(),
                IgnoreTlsVerifyErrors = request.TlsRequiredNo,
                RootCertificates = options.RootCertificates,
                RecipientDomainResult = domainResult,
                HostResult = plan.HostResult,
                Timeouts = options.Timeouts,
                Logger = options.Logger,
            };
            Client client;
            try
            {
                // RFC 8461 4.2: under an enforced MTA-STS policy the certificate must be PKIX-valid for the MX name.
                client = await Client.NewAsync(connection.Socket, plan.TlsMode, verifyPkix: plan.MtaStsEnforced, options.EhloHostname, plan.Names[0], clientOptions, cancellationToken).ConfigureAwait(false);
            }
            catch (SmtpException e)
            {
                var status = e.Reason == SmtpErrorReason.Tls && request.RequireTls ? "requiretls:nostarttls" : e.Reason == SmtpErrorReason.Tls ? "tls-failed" : "none";
                attempts.Add(new DeliveryAttempt(host, address, status, null, e.Message));
                if (e.Permanent && e.Reason == SmtpErrorReason.Status)
                {
                    state.FailPending(RecipientStatus.Permanent, e.ToResponse(), e.Message);
                    return (HostOutcome.Permanent, e.Message);
                }
                return (HostOutcome.Transient, e.Message);
            }
            await using (client.ConfigureAwait(false))
            {
                var (requirements, tlsStatus, refusal) = CheckRequireTls(client, request, plan);
                if (refusal is not null)
                {
                    attempts.Add(new DeliveryAttempt(host, address, tlsStatus, client.VerifiedDaneRecord, refusal));
                    return (HostOutcome.Transient, refusal);
                }
                var (outcome, error, reconnect) = await RunTransactionsAsync(client, request, requirements, state, cancellationToken).ConfigureAwait(false);
                attempts.Add(new DeliveryAttempt(host, address, tlsStatus, client.VerifiedDaneRecord, error));
                if (!reconnect)
                {
                    return (outcome, error);
                }
            }
        }
        return (state.PendingCount == 0 ? HostOutcome.Done : HostOutcome.Transient, "recipients left after the connection limit");
    }

    // RFC 8689 4.2.1 and Postfix's smtp_requiretls_policy levels.
    private (DeliveryRequirements Requirements, string TlsStatus, string? Refusal) CheckRequireTls(Client client, DeliveryRequest request, HostPlan plan)
    {
        var requirements = request.Requirements;
        // RFC 8689 4.2.1: verified means DANE, or PKIX under an MTA-STS policy.
        var verified = client.VerifiedDaneRecord is not null || (plan.MtaStsEnforced && client.Pkix?.Verified == true);
        if (!request.RequireTls || options.RequireTlsPolicy == RequireTlsPolicy.Disable)
        {
            var status = client.Tls is null ? "none" : client.VerifiedDaneRecord is not null ? "dane" : client.Pkix?.Verified == true ? "verified" : "untrusted";
            return (requirements, status, null);
        }
        if (client.Tls is null)
        {
            return options.RequireTlsPolicy == RequireTlsPolicy.Opportunistic
                ? (requirements, "requiretls:nostarttls", null)
                : (requirements, "requiretls:nostarttls", "requiretls: the server did not do starttls");
        }
        if (!verified)
        {
            return options.RequireTlsPolicy == RequireTlsPolicy.Opportunistic
                ? (requirements, "requiretls:nocertmatch", null)
                : (requirements, "requiretls:nocertmatch", "requiretls: the server certificate was not verified by dane or mta-sts");
        }
        if (!client.SupportsRequireTls)
        {
            return options.RequireTlsPolicy == RequireTlsPolicy.Enforce
                ? (requirements, "requiretls:none", "requiretls: the server does not announce the requiretls extension")
                : (requirements, "requiretls:none", null);
        }
        return (requirements | DeliveryRequirements.RequireTls, "requiretls", null);
    }

    private static async Task<(HostOutcome Outcome, string Error, bool Reconnect)> RunTransactionsAsync(Client client, DeliveryRequest request, DeliveryRequirements requirements, DeliveryState state, CancellationToken cancellationToken)
    {
        var limits = client.Extensions.Limits;
        var batchSize = limits is { RcptMax: > 0 } ? limits.RcptMax : int.MaxValue;
        var transactions = 0;
        while (state.PendingCount > 0)
        {
            if (limits is { MailMax: > 0 } && transactions == limits.MailMax)
            {
                return (HostOutcome.Transient, string.Empty, true);
            }
            var batch = state.Pending().Take(batchSize).ToList();
            transactions++;
            IReadOnlyList<SmtpResponse> responses;
            await using var message = request.OpenMessage();
            try
            {
                responses = await client.DeliverMultipleAsync(request.MailFrom, batch.Select(i => request.Recipients[i]).ToList(), request.Size, message, requirements, cancellationToken).ConfigureAwait(false);
            }
            catch (SmtpException e) when (e.RecipientResponses.Count == batch.Count)
            {
                responses = e.RecipientResponses;
            }
            catch (SmtpException e) when (batch.Count == 1 && e.Command == SmtpCommand.RcptTo)
            {
                responses = [e.ToResponse()];
            }
            catch (SmtpException e)
            {
                if (e.Permanent && !e.MessageDataSent)
                {
                    state.Fail(batch, RecipientStatus.Permanent, e.ToResponse(), e.Message);
                    if (client.IsBotched)
                    {
                        return (HostOutcome.Permanent, e.Message, false);
                    }
                    continue;
                }
                // Transient, or unknown after the data was sent: another host or a later attempt.
                return (HostOutcome.Transient, e.Message, false);
            }
            var progress = false;
            for (var j = 0; j < batch.Count; j++)
            {
                var r = responses[j];
                if (r.IsSuccess)
                {
                    state.Set(batch[j], RecipientStatus.Delivered, r, string.Empty);
                    progress = true;
                }
                else if (r.Code is 452 or 552 && j > 0)
                {
                    // RFC 5321 4.5.3.1.10: too many recipients; they go in the next transaction.
                }
                else
                {
                    state.Set(batch[j], r.Permanent ? RecipientStatus.Permanent : RecipientStatus.Transient, r, r.Line);
                    progress = true;
                }
            }
            if (!progress)
            {
                break;
            }
        }
        return (state.PendingCount == 0 ? HostOutcome.Done : HostOutcome.Transient, string.Empty, false);
    }

    /// <summary>The recipients' outcomes so far.</summary>
    private sealed class DeliveryState(DeliveryRequest request)
    {
        private readonly RecipientOutcome?[] _outcomes = new RecipientOutcome?[request.Recipients.Count];

        public int PendingCount => _outcomes.Count(o => o is null);

        public IEnumerable<int> Pending() => Enumerable.Range(0, _outcomes.Length).Where(i => _outcomes[i] is null);

        public void Set(int index, RecipientStatus status, SmtpResponse? response, string error) =>
            _outcomes[index] = new RecipientOutcome(request.Recipients[index], status, response, error);

        public void Fail(IEnumerable<int> indexes, RecipientStatus status, SmtpResponse? response, string error)
        {
            foreach (var i in indexes)
            {
                Set(i, status, response, error);
            }
        }

        public void FailPending(RecipientStatus status, SmtpResponse? response, string error) => Fail(Pending().ToList(), status, response, error);

        public List<RecipientOutcome> Outcomes() => _outcomes.Select(o => o!).ToList();
    }
}
