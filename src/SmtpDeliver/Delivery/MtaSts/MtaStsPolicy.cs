using System.Globalization;
using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery.MtaSts;

/// <summary>An MTA-STS policy (RFC 8461 3.2): mode, MX patterns, lifetime.</summary>
/// <param name="Mode">enforce, testing or none.</param>
/// <param name="MxPatterns">The allowed MX host names in A-label form, "*.example.org" matching one left-most label.</param>
/// <param name="MaxAge">How long the policy may be cached.</param>
/// <param name="Lines">The policy text lines as given, for TLSRPT policy-string.</param>
public sealed record MtaStsPolicy(MtaStsMode Mode, IReadOnlyList<string> MxPatterns, TimeSpan MaxAge, IReadOnlyList<string> Lines)
{
    private const long MaxMaxAge = 31_557_600;

    /// <summary>Parses the policy body: "key: value" lines, CRLF or LF (RFC 8461 3.2).</summary>
    /// <exception cref="MtaStsPolicyException">Missing or invalid version, mode, mx or max_age.</exception>
    public static MtaStsPolicy Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string? version = null;
        MtaStsMode? mode = null;
        long? maxAge = null;
        var mx = new List<string>();
        var lines = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }
            lines.Add(line);
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new MtaStsPolicyException($"mta-sts policy line without key: {line}");
            }
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "version" when version is null:
                    version = value;
                    break;
                case "mode" when mode is null:
                    mode = value switch
                    {
                        "enforce" => MtaStsMode.Enforce,
                        "testing" => MtaStsMode.Testing,
                        "none" => MtaStsMode.None,
                        _ => throw new MtaStsPolicyException($"unknown mta-sts mode {value}"),
                    };
                    break;
                case "max_age" when maxAge is null:
                    maxAge = value.Length is > 0 and <= 10 && value.All(char.IsAsciiDigit) ? long.Parse(value, CultureInfo.InvariantCulture)
                        : throw new MtaStsPolicyException($"invalid mta-sts max_age {value}");
                    break;
                case "mx":
                    var wildcard = value.StartsWith("*.", StringComparison.Ordinal);
                    if (!Domain.TryParse(wildcard ? value[2..] : value, out var pattern))
                    {
                        throw new MtaStsPolicyException($"invalid mta-sts mx pattern {value}");
                    }
                    // RFC 8461 4.1: matched against the MX host's name, which is compared in its A-label form.
                    mx.Add(wildcard ? "*." + pattern.Ascii : pattern.Ascii);
                    break;
                case "version" or "mode" or "max_age":
                    throw new MtaStsPolicyException($"duplicate mta-sts key {key}");
                default:
                    // RFC 8461 3.2: unknown keys are ignored.
                    break;
            }
        }
        if (version != "STSv1")
        {
            throw new MtaStsPolicyException("mta-sts policy version must be STSv1");
        }
        if (mode is null || maxAge is null)
        {
            throw new MtaStsPolicyException("mta-sts policy needs mode and max_age");
        }
        if (mode != MtaStsMode.None && mx.Count == 0)
        {
            throw new MtaStsPolicyException("mta-sts policy needs at least one mx");
        }
        return new MtaStsPolicy(mode.Value, mx, TimeSpan.FromSeconds(Math.Min(maxAge.Value, MaxMaxAge)), lines);
    }

    /// <summary>Whether an MX host matches the policy (RFC 8461 4.1): exactly, or "*.suffix" for one more label.</summary>
    public bool Matches(Domain host)
    {
        var name = host.Ascii;
        foreach (var pattern in MxPatterns)
        {
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                var suffix = pattern[1..];
                if (name.EndsWith(suffix, StringComparison.Ordinal) && name.IndexOf('.', StringComparison.Ordinal) == name.Length - suffix.Length)
                {
                    return true;
                }
            }
            else if (name == pattern)
            {
                return true;
            }
        }
        return false;
    }
}
