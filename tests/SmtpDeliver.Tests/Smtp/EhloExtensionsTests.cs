using SmtpDeliver.Smtp;

namespace SmtpDeliver.Tests.Smtp;

/// <summary>EHLO keywords (RFC 5321 4.1.1.1) and LIMITS (RFC 9422), checklist items 21–29.</summary>
public class EhloExtensionsTests
{
    [Fact]
    public void Keywords_are_case_insensitive_trimmed_and_unknown_ignored()
    {
        var e = EhloExtensions.Parse([" pipelining ", "StartTLS", "ENHANCEDSTATUSCODES", "8bitmime", "REQUIRETLS", "UNKNOWN"]);
        Assert.True(e.Pipelining && e.StartTls && e.EnhancedStatusCodes && e.EightBitMime && e.RequireTls);
        Assert.False(e.SmtpUtf8 || e.Size);
    }

    [Theory]
    [InlineData("SIZE 512", true, 512)]
    [InlineData("SIZE 0", true, 0)]
    [InlineData("SIZE", false, 0)]
    [InlineData("SIZE x", true, 0)]
    public void Size(string line, bool supported, long max)
    {
        var e = EhloExtensions.Parse([line]);
        Assert.Equal((supported, max), (e.Size, e.MaxSize));
    }

    [Theory]
    [InlineData("SMTPUTF8")]
    [InlineData("SMTPUTF8 some-param")]
    public void Smtputf8_with_or_without_parameter(string line) => Assert.True(EhloExtensions.Parse([line]).SmtpUtf8);

    [Fact]
    public void Auth_mechanisms_are_upper_cased() => Assert.Equal(["PLAIN", "LOGIN"], EhloExtensions.Parse(["AUTH PLAIN login"]).AuthMechanisms);

    [Fact]
    public void Limits_from_ehlo()
    {
        var l = EhloExtensions.Parse(["LIMITS MAILMAX=10 RCPTMAX=100 RCPTDOMAINMAX=1"]).Limits!;
        Assert.Equal((10, 100, 1), (l.MailMax, l.RcptMax, l.RcptDomainMax));
        Assert.Equal(["MAILMAX", "RCPTDOMAINMAX", "RCPTMAX"], l.Pairs.Keys.Order());
    }

    [Fact]
    public void Limits_unknown_names_keep_values_with_equals()
    {
        var l = LimitsExtension.Parse(" unknown=a=b -_1oK=xY")!;
        Assert.Equal(new Dictionary<string, string> { ["UNKNOWN"] = "a=b", ["-_1OK"] = "xY" }, l.Pairs);
        Assert.Equal((0, 0, 0), (l.MailMax, l.RcptMax, l.RcptDomainMax));
    }

    [Fact]
    public void Limits_known_and_other_pairs()
    {
        var l = LimitsExtension.Parse(" MAILMAX=123 OTHER=ignored RCPTDOMAINMAX=1 RCPTMAX=321")!;
        Assert.Equal(4, l.Pairs.Count);
        Assert.Equal((123, 321, 1), (l.MailMax, l.RcptMax, l.RcptDomainMax));
    }

    [Theory]
    [InlineData(" MAILMAX=invalid")]
    [InlineData(" MAILMAX=1234567")]
    [InlineData(" MAILMAX=0")]
    [InlineData(" MAILMAX=-1")]
    public void Limits_invalid_value_keeps_pair_without_limit(string text)
    {
        var l = LimitsExtension.Parse(text)!;
        Assert.Single(l.Pairs);
        Assert.Equal(0, l.MailMax);
    }

    [Theory]
    [InlineData(" invalid syntax")]
    [InlineData(" DUP=1 DUP=2")]
    [InlineData("MAILMAX=1")]
    [InlineData(" MAILMAX=1 ")]
    [InlineData("  MAILMAX=1")]
    [InlineData(" =1")]
    [InlineData(" A=")]
    public void Limits_syntax_error_ignores_the_extension(string text) => Assert.Null(LimitsExtension.Parse(text));
}
