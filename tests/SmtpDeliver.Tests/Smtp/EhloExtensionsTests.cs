using SmtpDeliver;

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

    // Issue 12: unknown extensions (seen from Exim and OpenSMTPD) were dropped; failed before the fix (no All).
    [Fact]
    public void Every_announced_extension_is_kept_in_server_order()
    {
        var e = EhloExtensions.Parse(["SIZE 52428800", "8BITMIME", "PIPELINING", "PIPECONNECT", "CHUNKING", "PRDR", "DSN", "X-FOO bar  baz", "HELP"]);
        Assert.Equal(
            [new("SIZE", "52428800"), new("8BITMIME", ""), new("PIPELINING", ""), new("PIPECONNECT", ""), new("CHUNKING", ""),
             new("PRDR", ""), new("DSN", ""), new("X-FOO", "bar  baz"), new("HELP", "")],
            e.All);
        Assert.True(e.Supports("CHUNKING") && e.Supports("DSN") && e.Supports("PRDR") && e.Supports("PIPECONNECT") && e.Supports("X-FOO"));
        Assert.False(e.Supports("SMTPUTF8") || e.Supports("X-FO") || e.Supports(""));
        Assert.Equal("X-FOO bar  baz", e.All[7].ToString());
    }

    // Issue 13: CHUNKING and BINARYMIME (RFC 3030) are acted on.
    [Fact]
    public void Chunking_and_binarymime_are_recognised()
    {
        var e = EhloExtensions.Parse([" chunking ", "BinaryMime"]);
        Assert.True(e.Chunking && e.BinaryMime);
        var none = EhloExtensions.Parse(["CHUNKINGX", "BINARYMIME 1", "PIPELINING"]);
        Assert.False(none.Chunking || none.BinaryMime);
    }

    [Fact]
    public void Keywords_are_upper_cased_and_parameters_kept_as_sent()
    {
        var e = EhloExtensions.Parse(["  chunking ", "x-Foo Bar baz ", "auth plain Login", "Dsn\tNotify"]);
        Assert.Equal([new("CHUNKING", ""), new("X-FOO", "Bar baz"), new("AUTH", "plain Login"), new("DSN", "Notify")], e.All);
        Assert.True(e.Supports("chunking") && e.Supports("Dsn") && e.Supports("x-foo"));
        Assert.Equal(["PLAIN", "LOGIN"], e.AuthMechanisms);
    }

    [Fact]
    public void Duplicate_keywords_are_listed_as_announced()
    {
        var e = EhloExtensions.Parse(["DSN", "SIZE 10", "dsn", "SIZE 20"]);
        Assert.Equal([new("DSN", ""), new("SIZE", "10"), new("DSN", ""), new("SIZE", "20")], e.All);
        Assert.True(e.Supports("DSN"));
        Assert.Equal(20, e.MaxSize);
    }

    // RFC 5321 4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); anything else is not an extension.
    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("-DSN")]
    [InlineData("X_FOO")]
    [InlineData("DSN! x")]
    [InlineData("ÄUTH PLAIN")]
    [InlineData("\u001b[31mRED")]
    [InlineData("=x")]
    public void Lines_without_a_valid_keyword_are_skipped(string line)
    {
        var e = EhloExtensions.Parse(["DSN", line, "CHUNKING"]);
        Assert.Equal([new("DSN", ""), new("CHUNKING", "")], e.All);
    }

    [Fact]
    public void Parameters_are_not_validated_but_kept()
    {
        var e = EhloExtensions.Parse(["X-ODD \u001b[0m ä"]);
        Assert.Equal([new("X-ODD", "\u001b[0m ä")], e.All);
    }

    [Fact]
    public void All_is_bounded_whatever_the_number_of_lines()
    {
        var lines = Enumerable.Range(0, 10_000).Select(i => $"X-{i}").Append("PIPELINING").ToList();
        var e = EhloExtensions.Parse(lines);
        Assert.Equal(EhloExtensions.MaxAnnounced, e.All.Count);
        Assert.Equal("X-255", e.All[^1].Keyword);
        // The known flags are still read from every line.
        Assert.True(e.Pipelining);
    }

    [Fact]
    public void No_extensions_supports_nothing()
    {
        Assert.Empty(EhloExtensions.None.All);
        Assert.False(EhloExtensions.None.Supports("PIPELINING"));
        Assert.Empty(EhloExtensions.Parse([]).All);
        Assert.Throws<ArgumentNullException>(() => EhloExtensions.None.Supports(null!));
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
