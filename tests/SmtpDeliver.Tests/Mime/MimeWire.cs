using MimeKit;

namespace SmtpDeliver.Tests.Mime;

/// <summary>What the tests compare with: MimeKit's own serialisation with CRLF, and its DATA form.</summary>
internal static class MimeWire
{
    /// <summary>A plain session to a scripted server (EHLO localhost, 30 s timeouts).</summary>
    public static async Task<SmtpClientSession> ConnectAsync(ScriptedSmtpServer s) =>
        await SmtpClientSession.ConnectAsync(await s.ConnectAsync(), new SmtpSessionOptions
        {
            Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(30)),
            TlsMode = TlsMode.None,
            EnforcePkix = false,
            EhloHostname = SmtpDeliver.Names.Domain.Parse("localhost"),
            RemoteHostname = default,
        });

    public static byte[] Serialise(MimeMessage message, bool hideBcc = false, bool international = false)
    {
        var options = new FormatOptions { NewLineFormat = NewLineFormat.Dos, International = international };
        if (hideBcc)
        {
            options.HiddenHeaders.Add(HeaderId.Bcc);
            options.HiddenHeaders.Add(HeaderId.ResentBcc);
        }
        using var ms = new MemoryStream();
        message.WriteTo(options, ms);
        return ms.ToArray();
    }

    /// <summary>RFC 5321 4.5.2: a '.' doubled at the start of each line, then ".\r\n".</summary>
    public static byte[] Data(byte[] message)
    {
        var output = new MemoryStream();
        var lineStart = true;
        foreach (var b in message)
        {
            if (lineStart && b == '.')
            {
                output.WriteByte((byte)'.');
            }
            output.WriteByte(b);
            lineStart = b == '\n';
        }
        output.Write(".\r\n"u8);
        return output.ToArray();
    }

    public static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        var ms = new MemoryStream();
        await stream.CopyToAsync(ms);
        return ms.ToArray();
    }

    public static MimeMessage Multipart(int attachmentBytes, int seed = 1)
    {
        var m = new MimeMessage();
        m.From.Add(new MailboxAddress("Alice", "alice@example.org"));
        m.To.Add(new MailboxAddress("Bob", "bob@example.net"));
        m.Cc.Add(MailboxAddress.Parse("carol@example.net"));
        m.Bcc.Add(MailboxAddress.Parse("dave@example.com"));
        m.Subject = "Report";
        var attachment = new byte[attachmentBytes];
        new Random(seed).NextBytes(attachment);
        var builder = new BodyBuilder
        {
            TextBody = "Hello Bob,\n.a line starting with a dot\n..two dots\n\nbye\n",
            HtmlBody = "<p>Hello Bob</p>\n",
        };
        builder.Attachments.Add("data.bin", attachment, new ContentType("application", "octet-stream"));
        builder.Attachments.Add("notes.txt", "line one\nline two\n"u8.ToArray(), new ContentType("text", "plain"));
        m.Body = builder.ToMessageBody();
        return m;
    }
}
