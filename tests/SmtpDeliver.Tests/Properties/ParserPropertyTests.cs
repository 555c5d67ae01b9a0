using System.Globalization;
using System.Text.Json;
using System.Text;
using CsCheck;
using SmtpDeliver.Dane;
using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Names;
using SmtpDeliver.TlsRpt;
using SmtpDeliver;

namespace SmtpDeliver.Tests.Properties;

/// <summary>
/// Deterministic property tests (CsCheck) over every parser of remote input, the CI counterpart of the
/// fuzz targets in fuzz/: they never throw anything but their documented exceptions, and the DATA
/// writer's output unstuffs to exactly its input.
/// </summary>
public class ParserPropertyTests
{
    private static readonly Gen<string> AsciiText = Gen.String[Gen.Char['\u0020', '\u007e'], 0, 120];

    [Fact]
    public void Reply_line_parsing_never_throws_and_codes_are_three_digits() =>
        Gen.Byte.Array[0, 200].Sample(bytes =>
        {
            var kind = ReplyLine.TryParse(bytes, out var code, out var textStart);
            if (kind is ReplyLine.Kind.Last or ReplyLine.Kind.Continuation)
            {
                return code is >= 0 and <= 999 && textStart <= Math.Max(bytes.Length, 4);
            }
            return true;
        }, iter: 20_000);

    [Fact]
    public void Enhanced_code_parsing_never_throws_and_rest_is_in_range() =>
        Gen.Select(Gen.Int[2, 5], AsciiText).Sample((cls, text) =>
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            var secode = ReplyLine.ParseEnhancedCode(cls, bytes, out var rest);
            return rest >= 0 && rest <= bytes.Length && (secode.Length == 0 || text.StartsWith($"{cls}.{secode}", StringComparison.Ordinal));
        }, iter: 20_000);

    private static readonly string[] FlagKeywords = ["STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME", "PIPELINING", "REQUIRETLS", "SMTPUTF8"];
    private static readonly Gen<string> Token = Gen.String[Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"], 1, 10];

    private static Gen<string> Element(string[] choices) => Gen.Int[0, choices.Length - 1].Select(i => choices[i]);

    // The line in a random mix of upper and lower case, with spaces around it (RFC 5321 4.1.1.1: keywords
    // are case-insensitive).
    private static string AnyCase(string line, Random random) =>
        new string(' ', random.Next(3)) + string.Concat(line.Select(c => random.Next(2) == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c))) + new string(' ', random.Next(3));

    private static readonly Gen<string?> SizeValue = Gen.Int[0, 2].SelectMany(kind => kind switch
    {
        0 => Gen.Const((string?)null),
        1 => Gen.Long[0, long.MaxValue].Select(n => (string?)n.ToString(CultureInfo.InvariantCulture)),
        _ => Gen.String[Gen.Char['!', '~'], 1, 25].Select(v => (string?)v),
    });

    // Issue 11 item 14: replaces a property that could not fail (Pairs.Count >= 0).
    [Fact]
    public void Ehlo_flags_size_and_auth_are_exactly_what_was_announced() =>
        Gen.Select(Element(FlagKeywords).List[0, 8], SizeValue, Gen.Bool, Token.List[0, 5], AsciiText.Select(t => "X" + t).List[0, 3], Gen.Int)
        .Sample((announced, size, hasAuth, mechanisms, noise, seed) =>
        {
            var random = new Random(seed);
            var lines = announced.Select(k => AnyCase(k, random))
                .Concat(size is null ? [] : [AnyCase("SIZE " + size, random)])
                .Concat(hasAuth ? [AnyCase("AUTH " + string.Join(' ', mechanisms), random)] : [])
                .Concat(noise)
                .OrderBy(_ => random.Next()).ToList();
            var e = EhloExtensions.Parse(lines);
            Assert.Equal(announced.Contains("STARTTLS"), e.StartTls);
            Assert.Equal(announced.Contains("ENHANCEDSTATUSCODES"), e.EnhancedStatusCodes);
            Assert.Equal(announced.Contains("8BITMIME"), e.EightBitMime);
            Assert.Equal(announced.Contains("PIPELINING"), e.Pipelining);
            Assert.Equal(announced.Contains("REQUIRETLS"), e.RequireTls);
            Assert.Equal(announced.Contains("SMTPUTF8"), e.SmtpUtf8);
            // RFC 1870 4: the announced number is the maximum size; anything else is no known maximum.
            Assert.Equal(size is not null, e.Size);
            var expectedMax = size is not null && size.All(char.IsAsciiDigit) && long.TryParse(size, CultureInfo.InvariantCulture, out var n) ? n : 0;
            Assert.Equal(expectedMax, e.MaxSize);
            // RFC 4954 3: the mechanisms as announced, upper-cased, in order.
            Assert.Equal(hasAuth ? mechanisms.Select(m => m.ToUpperInvariant()) : [], e.AuthMechanisms);
            Assert.Null(e.Limits);
        }, iter: 5_000);

    // Issue 11 item 14: replaces a property that could not fail (Pairs.Count >= 0).
    [Fact]
    public void Ehlo_limits_with_well_formed_pairs_round_trip() =>
        Gen.Select(
                Gen.OneOf(Token, Element(["MAILMAX", "RCPTMAX", "RCPTDOMAINMAX", "mailmax", "RcptMax"])),
                Gen.OneOf(Gen.Int[0, 9_999_999].Select(i => i.ToString(CultureInfo.InvariantCulture)), Gen.String[Gen.Char['!', '~'], 1, 10].Select(v => v.Replace(";", "v", StringComparison.Ordinal))))
            .List[1, 6].Select(l => l.DistinctBy(p => p.Item1.ToUpperInvariant()).ToList())
            .Sample(pairs =>
            {
                var e = EhloExtensions.Parse(["SIZE 10", "limits" + string.Concat(pairs.Select(p => $" {p.Item1}={p.Item2}"))]);
                var limits = e.Limits;
                Assert.NotNull(limits);
                // RFC 9422 4: every pair is kept, unknown names too (the client upper-cases the EHLO line).
                Assert.Equal(pairs.ToDictionary(p => p.Item1.ToUpperInvariant(), p => p.Item2.ToUpperInvariant()), limits.Pairs);
                // RFC 9422 4.1: a limit is a positive number of at most 6 digits, else none.
                int Limit(string name) => pairs.Where(p => p.Item1.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(p => p.Item2)
                    .Where(v => v.Length <= 6 && v.All(char.IsAsciiDigit)).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).FirstOrDefault(v => v > 0);
                Assert.Equal((Limit("MAILMAX"), Limit("RCPTMAX"), Limit("RCPTDOMAINMAX")), (limits.MailMax, limits.RcptMax, limits.RcptDomainMax));
                Assert.Equal(10, e.MaxSize);
            }, iter: 5_000);

    // Issue 11 item 14: whatever the lines, every mechanism and LIMITS name the parser reports was in them.
    [Fact]
    public void Ehlo_parsing_of_any_lines_reports_only_what_the_lines_contain() =>
        Gen.OneOf(AsciiText, AsciiText.Select(s => "LIMITS " + s), AsciiText.Select(s => "SIZE " + s), AsciiText.Select(s => "AUTH " + s))
            .List[0, 8].Sample(lines =>
            {
                var e = EhloExtensions.Parse(lines);
                var upper = lines.Select(l => l.ToUpperInvariant()).ToList();
                Assert.All(e.AuthMechanisms, m => Assert.Contains(upper, l => l.Contains(m, StringComparison.Ordinal)));
                Assert.All(e.Limits?.Pairs ?? new Dictionary<string, string>(), p => Assert.Contains(upper, l => l.Contains($"{p.Key}={p.Value}", StringComparison.Ordinal)));
                Assert.True(e.MaxSize >= 0);
                Assert.Equal(e.Size, upper.Any(l => l.Trim().StartsWith("SIZE ", StringComparison.Ordinal)));
            }, iter: 10_000);

    [Fact]
    public void Limits_parse_accepts_exactly_what_round_trips() =>
        Gen.Select(Gen.String[Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"], 1, 8], Gen.String[Gen.Char['!', '~'], 1, 8]).List[1, 4].Sample(pairs =>
        {
            var text = string.Concat(pairs.Select(p => $" {p.Item1}={p.Item2.Replace(";", "", StringComparison.Ordinal)}"));
            var parsed = LimitsExtension.Parse(text);
            var distinct = pairs.Select(p => p.Item1).Distinct().Count() == pairs.Count && pairs.All(p => p.Item2.Replace(";", "", StringComparison.Ordinal).Length > 0);
            return distinct == (parsed is not null);
        }, iter: 5_000);

    [Fact]
    public void Tlsa_presentation_parsing_throws_only_format_exceptions_and_round_trips() =>
        Gen.OneOf(AsciiText, Gen.Select(Gen.Byte, Gen.Byte, Gen.Byte, Gen.Byte.Array[0, 40]).Select((u, s, m, d) => $"{u} {s} {m} {Convert.ToHexString(d)}")).Sample(text =>
        {
            try
            {
                var r = TlsaRecord.Parse(text);
                return TlsaRecord.Parse(r.ToString()) == r;
            }
            catch (FormatException)
            {
                return true;
            }
        }, iter: 10_000);

    [Fact]
    public void Data_writer_output_unstuffs_to_its_input_for_any_crlf_message() =>
        Gen.OneOf(Gen.Const("."), Gen.Const(".."), Gen.Const(""), Gen.String[Gen.Char['\u0020', '\u00ff'], 0, 30]).List[0, 40].Sample(lines =>
        {
            var message = string.Concat(lines.Select(l => l + "\r\n"));
            var input = Encoding.Latin1.GetBytes(message);
            var output = new MemoryStream();
            DataWriter.WriteAsync(new MemoryStream(input), output).AsTask().GetAwaiter().GetResult();
            var written = Encoding.Latin1.GetString(output.ToArray());
            if (!written.EndsWith(".\r\n", StringComparison.Ordinal))
            {
                return false;
            }
            var restored = new StringBuilder();
            foreach (var line in written[..^3].Split("\r\n")[..^1])
            {
                if (line.StartsWith('.') && line.Length == 1)
                {
                    return false; // An unstuffed lone dot would end the data early.
                }
                restored.Append(line.StartsWith('.') ? line[1..] : line).Append("\r\n");
            }
            return restored.ToString() == message;
        }, iter: 3_000);

    private const string SamplePolicy = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n";
    private const string SampleRecord = "v=STSv1; id=20160831085700Z;";
    private const string SampleReport = """{"organization-name":"x","date-range":{"start-datetime":"2016-04-01T00:00:00Z","end-datetime":"2016-04-01T23:59:59Z"},"contact-info":"c","report-id":"r","policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1"],"policy-domain":"y.example","mx-host":["*.y.example"]},"summary":{"total-successful-session-count":5,"total-failure-session-count":3},"failure-details":[{"result-type":"certificate-expired","sending-mta-ip":"2001:db8::1","receiving-mx-hostname":"mx1.y.example","failed-session-count":1,"failure-reason-code":"x"}]}]}""";

    // A valid input with a few characters replaced, inserted or deleted: mostly near-valid text, where
    // parsers break.
    private static Gen<string> Mutated(string valid) =>
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, valid.Length - 1], Gen.Char['\u0000', '\u00ff']).Array[1, 6].Select(edits =>
        {
            var sb = new StringBuilder(valid);
            foreach (var (kind, at, c) in edits)
            {
                var i = Math.Min(at, sb.Length);
                switch (kind)
                {
                    case 0 when i < sb.Length:
                        sb[i] = c;
                        break;
                    case 1:
                        sb.Insert(i, c);
                        break;
                    case 2 when i < sb.Length:
                        sb.Remove(i, 1);
                        break;
                }
            }
            return sb.ToString();
        });

    // Issue 11 item 14: the CI counterpart of the mta-sts-policy and mta-sts-record fuzz targets.
    [Fact]
    public void Mta_sts_policy_and_record_parsing_throw_only_their_exception() =>
        Gen.Select(Mutated(SamplePolicy), Mutated(SampleRecord)).Sample((policyText, recordText) =>
        {
            try
            {
                var policy = MtaStsPolicy.Parse(policyText);
                Assert.InRange(policy.MaxAge, TimeSpan.Zero, TimeSpan.FromSeconds(31_557_600));
                Assert.All(policy.MxPatterns, p => Assert.True(Domain.TryParse(p.StartsWith("*.", StringComparison.Ordinal) ? p[2..] : p, out var d) && d.Ascii == p.TrimStart('*', '.')));
            }
            catch (MtaStsPolicyException)
            {
            }
            try
            {
                var record = MtaStsRecord.Parse(recordText);
                Assert.Matches("^[A-Za-z0-9]{1,32}$", record.Id);
            }
            catch (MtaStsPolicyException)
            {
            }
        }, iter: 10_000);

    // Issue 11 item 14: the CI counterpart of the tlsrpt-report fuzz target.
    [Fact]
    public void Tlsrpt_report_parsing_throws_only_json_exceptions_and_round_trips() =>
        Mutated(SampleReport).Sample(json =>
        {
            TlsRptReport report;
            try
            {
                report = TlsRptReport.Parse(json);
            }
            catch (JsonException)
            {
                return;
            }
            Assert.Equal(report.ToJson(), TlsRptReport.Parse(report.ToJson()).ToJson());
        }, iter: 10_000);

    // Found by the mta-sts-policy fuzz target (fuzz/corpus/mta-sts-policy/idn-mx): an mx pattern given in
    // Unicode (or with full-width dots) was kept as written, and never matched an MX host, whose name is
    // compared in its A-label form (RFC 8461 4.1). Failed before the fix.
    [Theory]
    [InlineData("münchen.example", "xn--mnchen-3ya.example")]
    [InlineData("*.münchen.example", "mx.xn--mnchen-3ya.example")]
    [InlineData("mx\u3002example", "mx.example")]
    [InlineData("MX.Example", "mx.example")]
    public void Mta_sts_mx_pattern_matches_in_its_a_label_form(string pattern, string host)
    {
        var policy = MtaStsPolicy.Parse($"version: STSv1\nmode: enforce\nmx: {System.Text.RegularExpressions.Regex.Unescape(pattern)}\nmax_age: 86400\n");
        Assert.True(policy.Matches(Domain.Parse(host)));
    }
}
