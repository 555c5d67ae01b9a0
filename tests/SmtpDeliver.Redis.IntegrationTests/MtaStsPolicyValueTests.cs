using System.Text;
using SmtpDeliver.Delivery.MtaSts;

namespace SmtpDeliver.Redis.IntegrationTests;

/// <summary>The Redis value of a cached policy, without Redis: what round-trips and what is refused.</summary>
public sealed class MtaStsPolicyValueTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Key = Encoding.ASCII.GetBytes("fleet-signing-key-0123456789abcdef");

    private static CachedMtaStsPolicy Policy(string mode = "enforce") =>
        new("20261201", MtaStsPolicy.Parse($"version: STSv1\nmode: {mode}\nmx: mx1.example.org\nmx: *.mx.example.org\nmax_age: 86400\nx-extension: kept\n"), Now.AddSeconds(86400).AddMilliseconds(123));

    [Fact]
    public void Round_trips_every_field_to_the_millisecond()
    {
        var value = MtaStsPolicyValue.Encode("example.org", Policy(), default);
        var back = MtaStsPolicyValue.Decode("example.org", value, default, Now, out var reason);
        Assert.NotNull(back);
        Assert.Equal("", reason);
        Assert.Equal(("20261201", MtaStsMode.Enforce, Policy().Expires), (back.Id, back.Policy.Mode, back.Expires));
        Assert.Equal(["mx1.example.org", "*.mx.example.org"], back.Policy.MxPatterns);
        Assert.Equal(Policy().Policy.Lines, back.Policy.Lines);
        Assert.Equal(TimeSpan.FromDays(1), back.Policy.MaxAge);
    }

    [Fact]
    public void Signed_value_round_trips_with_the_key_only()
    {
        var value = MtaStsPolicyValue.Encode("example.org", Policy(), Key);
        Assert.NotNull(MtaStsPolicyValue.Decode("example.org", value, Key, Now, out _));
        Assert.Null(MtaStsPolicyValue.Decode("example.org", value, Encoding.ASCII.GetBytes("another key"), Now, out var reason));
        Assert.Equal("signature missing or wrong", reason);
        // An unsigned value is refused when a key is configured.
        Assert.Null(MtaStsPolicyValue.Decode("example.org", MtaStsPolicyValue.Encode("example.org", Policy(), default), Key, Now, out _));
    }

    [Fact]
    public void Signed_value_with_a_weaker_mode_written_in_is_refused()
    {
        var value = MtaStsPolicyValue.Encode("example.org", Policy(), Key).Replace("mode: enforce", "mode: testing", StringComparison.Ordinal);
        Assert.Null(MtaStsPolicyValue.Decode("example.org", value, Key, Now, out var reason));
        Assert.Equal("signature missing or wrong", reason);
    }

    public static TheoryData<string, string, string> Tampered => new()
    {
        { "smtpdeliver-mta-sts 1\n", "smtpdeliver-mta-sts 2\n", "not a policy value of this version" },
        { "\nexample.org\n", "\nexample.net\n", "stored for another domain" },
        { "\n20261201\n", "\n2026-12-01\n", "invalid policy id" },
        { "\n20261201\n", "\n\n", "invalid policy id" },
        // A longer life than max_age from the fetch (expires moved a year on).
        { "\n1796212800123\n", "\n1827748800123\n", "expiry is not fetched time plus max_age" },
        { "\n1796126400123\n", "\n-1\n", "invalid times" },
        { "max_age: 86400", "max_age: 31557600", "expiry is not fetched time plus max_age" },
        { "mode: enforce", "mode: enforced", "invalid policy: unknown mta-sts mode enforced" },
        { "mx: mx1.example.org\n", "mx: mx1.example.org\n\n", "empty policy line" },
        { "max_age: 86400\n", "max_age: 86400\nmode: none\n", "invalid policy: duplicate mta-sts key mode" },
    };

    [Theory]
    [MemberData(nameof(Tampered))]
    public void Tampered_value_is_refused_with_its_reason(string from, string to, string expected)
    {
        var value = MtaStsPolicyValue.Encode("example.org", Policy(), default);
        Assert.Contains(from, value, StringComparison.Ordinal);
        Assert.Null(MtaStsPolicyValue.Decode("example.org", value.Replace(from, to, StringComparison.Ordinal), default, Now, out var reason));
        Assert.Equal(expected, reason);
    }

    [Fact]
    public void Value_fetched_in_the_future_is_refused()
    {
        var value = MtaStsPolicyValue.Encode("example.org", Policy(), default);
        Assert.NotNull(MtaStsPolicyValue.Decode("example.org", value, default, Now.AddMinutes(-4), out _));
        Assert.Null(MtaStsPolicyValue.Decode("example.org", value, default, Now.AddMinutes(-6), out var reason));
        Assert.Equal("fetched in the future", reason);
    }

    [Fact]
    public void Too_long_value_is_refused()
    {
        var value = MtaStsPolicyValue.Encode("example.org", Policy(), default) + "\nx: " + new string('a', MtaStsPolicyValue.MaxBytes);
        Assert.Null(MtaStsPolicyValue.Decode("example.org", value, default, Now, out var reason));
        Assert.Equal("too long", reason);
    }
}
