using SmtpDeliver.Dns;

namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>Finds the TLSRPT record of a policy domain at <c>_smtp._tls.&lt;domain&gt;</c> (RFC 8460 3).</summary>
public static class TlsRptRecordLookup
{
    /// <summary>
    /// Looks up the TXT records at <c>_smtp._tls.&lt;domain&gt;</c>. RFC 8460 3: records not starting with
    /// "v=TLSRPTv1" are discarded; when not exactly one remains, or it is invalid, no report is sent. A not-found
    /// answer (NXDOMAIN, NODATA) means no record; a temporary DNS failure means: try again later.
    /// </summary>
    /// <param name="resolver">The resolver.</param>
    /// <param name="policyDomain">The policy domain, in ASCII (A-label) form, with or without trailing dot.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    public static async Task<TlsRptRecordLookupResult> LookupAsync(IDnsResolver resolver, string policyDomain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(policyDomain);
        var name = "_smtp._tls." + TlsRptAggregator.NormalizeDomain(policyDomain) + ".";
        var txt = await resolver.LookupTxtAsync(name, cancellationToken).ConfigureAwait(false);
        switch (txt.Status)
        {
            case DnsStatus.TemporaryFailure:
                return new(TlsRptRecordLookupStatus.TemporaryFailure, null, $"looking up txt {name}: {txt.Error}");
            case DnsStatus.NotFound:
                return new(TlsRptRecordLookupStatus.NoRecord, null, $"no txt record at {name}");
        }
        try
        {
            return new(TlsRptRecordLookupStatus.Found, TlsRptRecord.FromTxt(txt.Records));
        }
        catch (TlsRptRecordException e)
        {
            var status = e.Error switch
            {
                TlsRptRecordError.NoRecord => TlsRptRecordLookupStatus.NoRecord,
                TlsRptRecordError.MultipleRecords => TlsRptRecordLookupStatus.MultipleRecords,
                _ => TlsRptRecordLookupStatus.Invalid,
            };
            return new(status, null, e.Message);
        }
    }
}
