namespace SmtpDeliver;

/// <summary>
/// The DSN parameters of one transaction (RFC 3461 4), validated and encoded before anything is written:
/// each string starts with a space and holds only printable ASCII without CR or LF.
/// </summary>
internal sealed class DsnParameters
{
    private DsnParameters(string? mail, string?[] recipients)
    {
        Mail = mail;
        Recipients = recipients;
    }

    /// <summary>" RET=… ENVID=…" for MAIL, or <c>null</c>.</summary>
    public string? Mail { get; }

    /// <summary>" NOTIFY=… ORCPT=…" per recipient, or <c>null</c> entries.</summary>
    public string?[] Recipients { get; }

    private const DsnNotify AllNotify = DsnNotify.Never | DsnNotify.Success | DsnNotify.Failure | DsnNotify.Delay;

    public static DsnParameters Create(DsnRequest dsn, int recipientCount)
    {
        var mail = new System.Text.StringBuilder();
        if (dsn.Return is { } ret)
        {
            // RFC 3461 4.3.
            mail.Append(ret switch
            {
                DsnReturn.Full => " RET=FULL",
                DsnReturn.Headers => " RET=HDRS",
                _ => throw new ArgumentException($"unknown dsn return value {ret}", nameof(dsn)),
            });
        }
        if (dsn.EnvelopeId is { } envid)
        {
            // RFC 3461 4.4: printable US-ASCII, at most 100 characters, sent as xtext.
            if (envid.Length == 0)
            {
                throw new ArgumentException("dsn envelope id is empty", nameof(dsn));
            }
            if (envid.Length > 100)
            {
                throw new ArgumentException($"dsn envelope id is {envid.Length} characters, at most 100 allowed", nameof(dsn));
            }
            foreach (var c in envid)
            {
                if (c is < ' ' or > '~')
                {
                    throw new ArgumentException($"dsn envelope id has character U+{(int)c:X4}, only printable ascii allowed", nameof(dsn));
                }
            }
            mail.Append(" ENVID=").Append(XText.Encode(envid));
        }

        var recipients = new string?[recipientCount];
        if (dsn.Recipients is { } list)
        {
            if (list.Count != recipientCount)
            {
                throw new ArgumentException($"dsn request has {list.Count} recipient entries for {recipientCount} recipients", nameof(dsn));
            }
            for (var i = 0; i < list.Count; i++)
            {
                recipients[i] = RecipientParameters(list[i] ?? throw new ArgumentException("a dsn recipient entry is null", nameof(dsn)));
            }
        }
        return new DsnParameters(mail.Length == 0 ? null : mail.ToString(), recipients);
    }

    private static string? RecipientParameters(DsnRecipient r)
    {
        var sb = new System.Text.StringBuilder();
        var notify = r.Notify;
        if ((notify & ~AllNotify) != 0)
        {
            throw new ArgumentException($"unknown dsn notify value {notify}", nameof(r));
        }
        if ((notify & DsnNotify.Never) != 0 && notify != DsnNotify.Never)
        {
            // RFC 3461 4.1: NEVER stands alone.
            throw new ArgumentException("dsn notify never cannot be combined with success, failure or delay", nameof(r));
        }
        if (notify == DsnNotify.Never)
        {
            sb.Append(" NOTIFY=NEVER");
        }
        else if (notify != DsnNotify.Default)
        {
            sb.Append(" NOTIFY=");
            var first = true;
            foreach (var (flag, word) in new[] { (DsnNotify.Success, "SUCCESS"), (DsnNotify.Failure, "FAILURE"), (DsnNotify.Delay, "DELAY") })
            {
                if ((notify & flag) != 0)
                {
                    sb.Append(first ? "" : ",").Append(word);
                    first = false;
                }
            }
        }
        if (r.OriginalRecipient is { } orcpt)
        {
            if (orcpt.IsNullReversePath)
            {
                throw new ArgumentException("dsn original recipient is the null reverse-path", nameof(r));
            }
            // RFC 3461 4.2: addr-type ";" xtext. An address that needs SMTPUTF8 goes as addr-type
            // "utf-8" (RFC 6533 3) with the xtext of its UTF-8 bytes (docs/dsn.md).
            sb.Append(orcpt.RequiresSmtpUtf8 ? " ORCPT=utf-8;" : " ORCPT=rfc822;")
                .Append(XText.Encode(orcpt.ToWireForm(smtpUtf8: orcpt.RequiresSmtpUtf8)));
        }
        return sb.Length == 0 ? null : sb.ToString();
    }
}
