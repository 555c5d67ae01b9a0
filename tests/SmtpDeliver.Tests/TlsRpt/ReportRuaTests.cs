using SmtpDeliver.TlsRpt;
using SmtpDeliver.TlsRpt.Reporting;

namespace SmtpDeliver.Tests.TlsRpt;

/// <summary>Report destinations (rua, RFC 8460 3) and their '!' size limits.</summary>
public class ReportRuaTests
{
    [Theory]
    [InlineData("mailto:tlsrpt@example.org", false, null)]
    [InlineData("mailto:tlsrpt@example.org!10m", false, 10L << 20)]
    [InlineData("mailto:tlsrpt@example.org!2048", false, 2048L)]
    [InlineData("https://reports.example.org/v1/tlsrpt!1K", true, 1024L)]
    [InlineData("https://reports.example.org:8443/tlsrpt", true, null)]
    public void Accepted_destinations(string text, bool https, long? maxSize)
    {
        var rua = TlsRptRua.Parse(text);
        Assert.Equal((https, maxSize), (rua.IsHttps, rua.MaxSize));
        Assert.DoesNotContain("!", rua.Uri.OriginalString, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://reports.example.org/", TlsRptRuaRefusal.UnsupportedScheme)]
    [InlineData("file:///etc/passwd", TlsRptRuaRefusal.UnsupportedScheme)]
    [InlineData("http://reports.example.org/", TlsRptRuaRefusal.NotHttps)]
    [InlineData("https://127.0.0.1/tlsrpt", TlsRptRuaRefusal.IpLiteral)]
    [InlineData("https://[::1]/tlsrpt", TlsRptRuaRefusal.IpLiteral)]
    [InlineData("https://2130706433/tlsrpt", TlsRptRuaRefusal.IpLiteral)]
    [InlineData("https://user:secret@reports.example.org/", TlsRptRuaRefusal.UserInfo)]
    [InlineData("https://localhost/", TlsRptRuaRefusal.InvalidHost)]
    [InlineData("mailto:tlsrpt@[127.0.0.1]", TlsRptRuaRefusal.IpLiteral)]
    [InlineData("mailto:not-an-address", TlsRptRuaRefusal.InvalidMailbox)]
    [InlineData("mailto:a@example.org!10x", TlsRptRuaRefusal.InvalidSizeLimit)]
    [InlineData("mailto:a@example.org!", TlsRptRuaRefusal.InvalidSizeLimit)]
    [InlineData("mailto:a@example.org!999999999999t", TlsRptRuaRefusal.InvalidSizeLimit)]
    public void Hostile_destinations_are_refused_with_a_reason(string text, TlsRptRuaRefusal refusal) =>
        Assert.Equal(refusal, Assert.Throws<TlsRptRuaException>(() => TlsRptRua.Parse(text)).Refusal);

    [Fact]
    public void The_size_limit_is_inclusive()
    {
        var rua = TlsRptRua.Parse("mailto:a@example.org!1k");
        Assert.True(rua.Accepts(1024));
        Assert.False(rua.Accepts(1025));
    }
}

/// <summary>The size limit survives the record parser.</summary>
public class ReportRuaRecordTests
{
    [Fact]
    public void A_record_keeps_the_size_limit_of_a_mailto_rua_in_its_text()
    {
        var record = TlsRptRecord.Parse("v=TLSRPTv1; rua=mailto:tlsrpt@example.org!10m,https://reports.example.org/r!1k");
        Assert.Equal(["mailto:tlsrpt@example.org", "https://reports.example.org/r!1k"], record.Rua.Select(u => u.OriginalString));
        Assert.Equal([10L << 20, 1024L], record.RuaText.Select(t => TlsRptRua.Parse(t).MaxSize));
    }
}
