namespace SmtpDeliver;

/// <summary>
/// One service extension as a server announced it in its EHLO reply (RFC 5321 4.1.1.1:
/// <c>ehlo-line = ehlo-keyword *( SP ehlo-param )</c>).
/// </summary>
/// <param name="Keyword">The ehlo-keyword, upper-cased (keywords are case-insensitive), e.g. "CHUNKING".</param>
/// <param name="Parameters">
/// The text after the keyword exactly as the server sent it, without the separating and trailing
/// whitespace, e.g. "PLAIN LOGIN" for "AUTH PLAIN LOGIN"; empty when there are none. Not validated:
/// it may hold any character the reply line held.
/// </param>
public sealed record EhloExtension(string Keyword, string Parameters)
{
    /// <summary>"KEYWORD" or "KEYWORD parameters", as in the EHLO reply but with the keyword upper-cased.</summary>
    public override string ToString() => Parameters.Length == 0 ? Keyword : Keyword + " " + Parameters;
}
