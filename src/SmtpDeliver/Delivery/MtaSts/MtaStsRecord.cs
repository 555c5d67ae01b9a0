namespace SmtpDeliver.Delivery.MtaSts;

/// <summary>The _mta-sts TXT record (RFC 8461 3.1): "v=STSv1; id=…".</summary>
/// <param name="Id">The policy id; a change means the policy must be fetched again.</param>
public sealed record MtaStsRecord(string Id)
{
    /// <summary>True when the TXT text is meant as an MTA-STS record.</summary>
    public static bool IsMtaStsRecord(string txt) => txt is not null && txt.StartsWith("v=STSv1", StringComparison.Ordinal);

    /// <summary>Parses "v=STSv1; id=&lt;1-32 alphanumerics&gt;[; ext=value]".</summary>
    /// <exception cref="MtaStsPolicyException">The record is malformed.</exception>
    public static MtaStsRecord Parse(string txt)
    {
        ArgumentNullException.ThrowIfNull(txt);
        var fields = txt.Split(';', StringSplitOptions.TrimEntries);
        if (fields[0] != "v=STSv1")
        {
            throw new MtaStsPolicyException("mta-sts record must start with v=STSv1");
        }
        string? id = null;
        foreach (var field in fields.Skip(1))
        {
            if (field.Length == 0)
            {
                continue;
            }
            var eq = field.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new MtaStsPolicyException($"malformed mta-sts record field {field}");
            }
            if (field[..eq] == "id")
            {
                var value = field[(eq + 1)..];
                id = value.Length is >= 1 and <= 32 && value.All(char.IsAsciiLetterOrDigit) ? value : throw new MtaStsPolicyException($"invalid mta-sts id {value}");
            }
        }
        return new MtaStsRecord(id ?? throw new MtaStsPolicyException("mta-sts record has no id"));
    }
}
