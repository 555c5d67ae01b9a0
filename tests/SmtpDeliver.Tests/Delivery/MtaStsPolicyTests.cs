using CsCheck;
using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Names;

namespace SmtpDeliver.Tests.Delivery;

/// <summary>MTA-STS policy and record syntax (RFC 8461 3.1, 3.2) and MX matching (4.1).</summary>
public class MtaStsPolicyTests
{
    [Fact]
    public void Parses_a_policy_with_crlf_or_lf()
    {
        var p = MtaStsPolicy.Parse("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n");
        Assert.Equal((MtaStsMode.Enforce, TimeSpan.FromDays(7)), (p.Mode, p.MaxAge));
        Assert.Equal(["mail.example.com", "*.example.net"], p.MxPatterns);
        Assert.Equal(MtaStsMode.Testing, MtaStsPolicy.Parse("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 86400\nunknown: ignored\n").Mode);
    }

    [Theory]
    [InlineData("mode: enforce\nmx: a.example\nmax_age: 1")]
    [InlineData("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1")]
    [InlineData("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1")]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 1")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1")]
    [InlineData("version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 1")]
    [InlineData("version: STSv1\nmode: enforce\nmx: bad_host!\nmax_age: 1")]
    [InlineData("garbage")]
    public void Rejects_invalid_policies(string text) => Assert.Throws<MtaStsPolicyException>(() => MtaStsPolicy.Parse(text));

    [Theory]
    [InlineData("mail.example.com", true)]
    [InlineData("mx1.example.net", true)]
    [InlineData("example.net", false)]
    [InlineData("a.b.example.net", false)]
    [InlineData("other.example.com", false)]
    public void Mx_matching_allows_one_wildcard_label(string host, bool matches)
    {
        var p = MtaStsPolicy.Parse("version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 60");
        Assert.Equal(matches, p.Matches(Domain.Parse(host)));
    }

    [Fact]
    public void Record_id()
    {
        Assert.Equal("20160831085700Z", MtaStsRecord.Parse("v=STSv1; id=20160831085700Z;").Id);
        Assert.Throws<MtaStsPolicyException>(() => MtaStsRecord.Parse("v=STSv1;"));
        Assert.Throws<MtaStsPolicyException>(() => MtaStsRecord.Parse("v=STSv1; id=has-dash"));
        Assert.Throws<MtaStsPolicyException>(() => MtaStsRecord.Parse("v=STSv2; id=1"));
    }

    [Fact]
    public void Policy_parser_throws_only_its_exception() =>
        Gen.OneOf(Gen.String, Gen.String[Gen.Char[' ', '~'], 0, 100].Select(s => "version: STSv1\nmode: enforce\n" + s)).Sample(s =>
        {
            try
            {
                MtaStsPolicy.Parse(s);
            }
            catch (MtaStsPolicyException)
            {
            }
        }, iter: 5000);
}
