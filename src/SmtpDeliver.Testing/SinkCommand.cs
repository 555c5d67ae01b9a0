namespace SmtpDeliver.Testing;

/// <summary>A command an <see cref="SmtpSink"/> received, as passed to <see cref="SmtpSinkOptions.Reply"/>.</summary>
/// <param name="Connection">The connection's number, from 1 in the order accepted.</param>
/// <param name="Verb">The command verb in upper case, e.g. "RCPT".</param>
/// <param name="Line">The whole command line without CRLF.</param>
/// <param name="Recipient">For RCPT, how many RCPT commands came before it in the transaction (0 for the first).</param>
/// <param name="Tls">True when the command came over TLS.</param>
public sealed record SinkCommand(int Connection, string Verb, string Line, int Recipient, bool Tls)
{
    /// <summary>For MAIL and RCPT, the address between the angle brackets; empty otherwise.</summary>
    public string Path
    {
        get
        {
            var lt = Line.IndexOf('<', StringComparison.Ordinal);
            var gt = lt < 0 ? -1 : Line.IndexOf('>', lt);
            return gt > lt ? Line[(lt + 1)..gt] : "";
        }
    }
}
