using SmtpDeliver.Delivery;
using SmtpDeliver.Delivery.MtaSts;

namespace SmtpDeliver.Tests.Delivery;

/// <summary>
/// Issue 11 item 3: every combination of DANE state × MTA-STS mode × REQUIRETLS, as a pure function. Before
/// the fix, an MX with only unusable TLSA records under an enforced MTA-STS policy was reached without PKIX
/// enforcement (row "AllUnusable, Enforce"), so a self-signed man in the middle received the mail.
/// </summary>
public class HostSecurityPolicyTests
{
    public static TheoryData<string, MtaStsMode, bool, bool, TlsMode, bool, bool> Table()
    {
        // dane, mta-sts, requiretls → skip, mode, use dane records, enforce pkix
        var t = new TheoryData<string, MtaStsMode, bool, bool, TlsMode, bool, bool>();
        foreach (var requireTls in new[] { false, true })
        {
            t.Add("Usable", MtaStsMode.Enforce, requireTls, false, TlsMode.RequiredStartTls, true, false);
            t.Add("Usable", MtaStsMode.Testing, requireTls, false, TlsMode.RequiredStartTls, true, false);
            t.Add("Usable", MtaStsMode.None, requireTls, false, TlsMode.RequiredStartTls, true, false);
            t.Add("AllUnusable", MtaStsMode.Enforce, requireTls, false, TlsMode.RequiredStartTls, false, true);
            t.Add("AllUnusable", MtaStsMode.Testing, requireTls, false, TlsMode.RequiredStartTls, false, false);
            t.Add("AllUnusable", MtaStsMode.None, requireTls, false, TlsMode.RequiredStartTls, false, false);
            t.Add("NotApplicable", MtaStsMode.Enforce, requireTls, false, TlsMode.RequiredStartTls, false, true);
            t.Add("NotApplicable", MtaStsMode.Testing, requireTls, false, requireTls ? TlsMode.RequiredStartTls : TlsMode.Opportunistic, false, false);
            t.Add("NotApplicable", MtaStsMode.None, requireTls, false, requireTls ? TlsMode.RequiredStartTls : TlsMode.Opportunistic, false, false);
            t.Add("LookupFailed", MtaStsMode.Enforce, requireTls, true, TlsMode.RequiredStartTls, false, false);
            t.Add("LookupFailed", MtaStsMode.Testing, requireTls, true, TlsMode.RequiredStartTls, false, false);
            t.Add("LookupFailed", MtaStsMode.None, requireTls, true, TlsMode.RequiredStartTls, false, false);
        }
        return t;
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void Host_plan(string daneState, MtaStsMode sts, bool requireTls, bool skip, TlsMode mode, bool useDane, bool enforcePkix)
    {
        var plan = HostSecurityPolicy.Decide(new HostSecurityInputs(Enum.Parse<DaneApplicability>(daneState), sts, true, requireTls, RequireTlsPolicy.Enforce, false));
        Assert.Equal(skip, plan.Skip);
        if (!skip)
        {
            Assert.Equal((mode, useDane, enforcePkix, false), (plan.TlsMode, plan.UseDaneRecords, plan.EnforcePkix, plan.IgnoreVerifyErrors));
        }
    }

    [Theory]
    [InlineData("Usable")]
    [InlineData("AllUnusable")]
    [InlineData("NotApplicable")]
    public void Enforced_policy_skips_a_host_it_does_not_name(string daneState) =>
        Assert.True(HostSecurityPolicy.Decide(new HostSecurityInputs(Enum.Parse<DaneApplicability>(daneState), MtaStsMode.Enforce, false, false, RequireTlsPolicy.Enforce, false)).Skip);

    [Theory]
    [InlineData(RequireTlsPolicy.Enforce, TlsMode.RequiredStartTls)]
    [InlineData(RequireTlsPolicy.OpportunisticStartTls, TlsMode.RequiredStartTls)]
    [InlineData(RequireTlsPolicy.Opportunistic, TlsMode.Opportunistic)]
    [InlineData(RequireTlsPolicy.Disable, TlsMode.Opportunistic)]
    public void Requiretls_levels_decide_whether_starttls_is_required(RequireTlsPolicy level, TlsMode mode) =>
        Assert.Equal(mode, HostSecurityPolicy.Decide(new HostSecurityInputs(DaneApplicability.NotApplicable, MtaStsMode.None, false, true, level, false)).TlsMode);

    [Theory]
    [InlineData("Usable", MtaStsMode.Enforce, false)]
    [InlineData("LookupFailed", MtaStsMode.Enforce, false)]
    [InlineData("AllUnusable", MtaStsMode.Enforce, false)]
    [InlineData("NotApplicable", MtaStsMode.Testing, true)]
    public void Tls_required_no_delivers_opportunistically_and_records_only(string daneState, MtaStsMode sts, bool mxMatches)
    {
        var dane = Enum.Parse<DaneApplicability>(daneState);
        // RFC 8689 5.
        var plan = HostSecurityPolicy.Decide(new HostSecurityInputs(dane, sts, mxMatches, false, RequireTlsPolicy.Enforce, true));
        Assert.Equal((false, TlsMode.Opportunistic, false, true), (plan.Skip, plan.TlsMode, plan.EnforcePkix, plan.IgnoreVerifyErrors));
        Assert.Equal(dane == DaneApplicability.Usable, plan.UseDaneRecords);
    }

    [Fact]
    public void Requiretls_overrides_tls_required_no()
    {
        // RFC 8689 5: with REQUIRETLS the header field is ignored.
        var plan = HostSecurityPolicy.Decide(new HostSecurityInputs(DaneApplicability.Usable, MtaStsMode.None, false, true, RequireTlsPolicy.Enforce, true));
        Assert.Equal((TlsMode.RequiredStartTls, true, false), (plan.TlsMode, plan.UseDaneRecords, plan.IgnoreVerifyErrors));
    }
}
