using System.Text;
using CsCheck;
using SmtpDeliver.Dane;
using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Dns;
using SmtpDeliver.Smtp;

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

    [Fact]
    public void Ehlo_and_limits_parsing_never_throw() =>
        Gen.OneOf(AsciiText, AsciiText.Select(s => "LIMITS " + s), AsciiText.Select(s => "SIZE " + s), AsciiText.Select(s => "AUTH " + s))
            .List[0, 8].Sample(lines =>
            {
                var e = EhloExtensions.Parse(lines);
                return e.Limits is null || e.Limits.Pairs.Count >= 0;
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
