using System.Security.Cryptography.X509Certificates;
using SmtpDeliver.Dane;
using SmtpDeliver.Delivery;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Dns;

/// <summary>
/// mox's dane TestDial as a table, DNS included: each row is an in-memory zone (A, CNAME, TLSA records
/// and which answers are insecure) and a loopback SMTP server with STARTTLS presenting mox's test
/// certificates ("localhost", signed by the "fake ca"); <see cref="DaneHostCheck"/> checks the host.
/// Where SMTP DANE differs from mox's generic DANE dialer: PKIX usages and malformed records are
/// unusable (RFC 7672 3.1.3), and a host with only unusable records is "not applicable" (docs/cli.md).
/// </summary>
public class DaneHostCheckDialTests
{
    private static readonly DaneTestPki Pki = DaneTestPki.Instance;
    private const string TlsaName = "_25._tcp.localhost.";

    private static readonly TlsaRecord Ee256 = DaneVerifier.ComputeRecord(Pki.Leaf);
    private static readonly TlsaRecord Ee512 = DaneVerifier.ComputeRecord(Pki.Leaf, TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha512);
    private static readonly TlsaRecord EeFull = DaneVerifier.ComputeRecord(Pki.Leaf, TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Full);
    private static readonly TlsaRecord MismatchEe = new(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, new byte[32]);
    private static readonly TlsaRecord MalformedEe = new(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, Ee256.Data[..16]);
    private static readonly TlsaRecord UnknownUsage = new((TlsaUsage)10, TlsaSelector.Spki, TlsaMatchingType.Sha256, Ee256.Data);
    private static readonly TlsaRecord Ta256 = DaneVerifier.ComputeRecord(Pki.Ca, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha256);
    private static readonly TlsaRecord TaFull = DaneVerifier.ComputeRecord(Pki.Ca, TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full);
    private static readonly TlsaRecord MalformedTaFull = new(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Full, TaFull.Data[1..]);
    private static readonly TlsaRecord MismatchTa = new(TlsaUsage.DaneTa, TlsaSelector.Cert, TlsaMatchingType.Sha256, new byte[32]);
    private static readonly TlsaRecord PkixTa = DaneVerifier.ComputeRecord(Pki.Ca, TlsaUsage.PkixTa, TlsaSelector.Cert, TlsaMatchingType.Sha256);
    private static readonly TlsaRecord PkixEe = DaneVerifier.ComputeRecord(Pki.Leaf, TlsaUsage.PkixEe, TlsaSelector.Spki, TlsaMatchingType.Sha256);

    /// <summary>One row: the zone, the host checked, the verdict, the record that verified, the server's certificate.</summary>
    private sealed record Row(InMemoryResolver Zone, string Host, DaneHostOutcome Outcome, TlsaRecord? Record, X509Certificate2? Leaf = null, bool LeafOnly = false);

    private static InMemoryResolver Zone(Dictionary<string, List<TlsaRecord>> tlsa, Dictionary<string, string>? cname = null, string[]? a = null, string[]? inauthentic = null)
    {
        var zone = new InMemoryResolver { AllAuthentic = true, Tlsa = tlsa, Cname = cname ?? [] };
        foreach (var name in a ?? ["localhost."])
        {
            zone.A[name] = ["127.0.0.1"];
        }
        foreach (var request in inauthentic ?? [])
        {
            zone.Inauthentic.Add(request);
        }
        return zone;
    }

    private static readonly Dictionary<string, Row> Table = new()
    {
        ["dane-ee spki sha2-256"] = new(Zone(new() { [TlsaName] = [Ee256] }), "localhost", DaneHostOutcome.Verified, Ee256),
        // mox: a record of a usage the caller does not allow is not used. SMTP allows DANE-TA/DANE-EE only.
        ["pkix usages only are unusable"] = new(Zone(new() { [TlsaName] = [PkixTa, PkixEe] }), "localhost", DaneHostOutcome.NotApplicable, null),
        ["mixed usable and unusable usages"] = new(Zone(new() { [TlsaName] = [PkixEe, MismatchTa, Ee256] }), "localhost", DaneHostOutcome.Verified, Ee256),
        ["dane-ta cert sha2-256"] = new(Zone(new() { [TlsaName] = [Ta256] }), "localhost", DaneHostOutcome.Verified, Ta256),
        ["no tlsa record"] = new(Zone([]), "localhost", DaneHostOutcome.NotApplicable, null),
        ["insecure tlsa record"] = new(Zone(new() { [TlsaName] = [Ee256] }, inauthentic: ["tlsa " + TlsaName]), "localhost", DaneHostOutcome.NotApplicable, null),
        ["insecure cname answer for the host"] = new(Zone(new() { [TlsaName] = [Ee256] }, inauthentic: ["cname localhost."]), "localhost", DaneHostOutcome.NotApplicable, null),
        // An insecure CNAME in the chain: only the original name's TLSA records count.
        ["insecure cname: tlsa at the original name only"] = new(Zone(
            new() { ["_25._tcp.example2."] = [MismatchTa], [TlsaName] = [Ee256] },
            new() { ["localhost."] = "example1.", ["example1."] = "example2." }, ["example2."], ["cname example1."]),
            "localhost", DaneHostOutcome.Verified, Ee256),
        // Issue 11 item 4: failed before the fix (NotApplicable): the chain leaves the signed zone, the
        // addresses are insecure, but the first CNAME is secure, so DANE applies at the original name.
        ["cname leaving the signed zone: dane at the original name"] = new(Zone(
            new() { ["_25._tcp.example2."] = [MismatchTa], [TlsaName] = [Ee256] },
            new() { ["localhost."] = "example1.", ["example1."] = "example2." }, ["example2."], ["cname example1.", "ip example2."]),
            "localhost", DaneHostOutcome.Verified, Ee256),
        // Issue 11 item 4: failed before the fix (NotApplicable; the insecure target "localhost" was an
        // allowed name as well): DANE-TA at out.example, certificate only for the insecure target.
        ["insecure cname target is not an allowed name"] = new(Zone(
            new() { ["_25._tcp.out.example."] = [Ta256], [TlsaName] = [Ta256] },
            new() { ["out.example."] = "localhost." }, ["localhost."], ["cname localhost.", "ip localhost.", "tlsa " + TlsaName]),
            "out.example", DaneHostOutcome.Failed, null),
        ["matching records after following a cname"] = new(Zone(new() { ["_25._tcp.example."] = [Ta256] }, new() { ["localhost."] = "example." }, ["example."]), "localhost", DaneHostOutcome.Verified, Ta256),
        ["fallback to the original name without records at the expanded one"] = new(Zone(new() { [TlsaName] = [Ta256] }, new() { ["localhost."] = "example." }, ["example."]), "localhost", DaneHostOutcome.Verified, Ta256),
        ["mismatching dane-ee record"] = new(Zone(new() { [TlsaName] = [MismatchEe] }), "localhost", DaneHostOutcome.Failed, null),
        ["dane-ee spki sha2-512"] = new(Zone(new() { [TlsaName] = [Ee512] }), "localhost", DaneHostOutcome.Verified, Ee512),
        ["dane-ee spki full"] = new(Zone(new() { [TlsaName] = [EeFull] }), "localhost", DaneHostOutcome.Verified, EeFull),
        ["dane-ta full certificate"] = new(Zone(new() { [TlsaName] = [TaFull] }), "localhost", DaneHostOutcome.Verified, TaFull),
        ["dane-ta for a certificate not in the handshake"] = new(Zone(new() { [TlsaName] = [MismatchTa] }), "localhost", DaneHostOutcome.Failed, null),
        ["dane-ta with a leaf for another name"] = new(Zone(new() { ["_25._tcp.example."] = [Ta256] }, a: ["example."]), "example", DaneHostOutcome.Failed, null),
        ["dane-ta with an expired leaf"] = new(Zone(new() { [TlsaName] = [Ta256] }), "localhost", DaneHostOutcome.Failed, null, Pki.ExpiredLeaf),
        ["malformed record only"] = new(Zone(new() { [TlsaName] = [MalformedEe] }), "localhost", DaneHostOutcome.NotApplicable, null),
        ["malformed record next to a valid one"] = new(Zone(new() { [TlsaName] = [MalformedEe, Ee256] }), "localhost", DaneHostOutcome.Verified, Ee256),
        ["unknown usage only"] = new(Zone(new() { [TlsaName] = [UnknownUsage] }), "localhost", DaneHostOutcome.NotApplicable, null),
        ["unknown usage next to a valid record"] = new(Zone(new() { [TlsaName] = [UnknownUsage, Ee256] }), "localhost", DaneHostOutcome.Verified, Ee256),
        ["malformed full trust anchor"] = new(Zone(new() { [TlsaName] = [MalformedTaFull] }), "localhost", DaneHostOutcome.NotApplicable, null),
        ["full trust anchor not sent by the server"] = new(Zone(new() { [TlsaName] = [TaFull] }), "localhost", DaneHostOutcome.Verified, TaFull, LeafOnly: true),
    };

    public static TheoryData<string> Rows => [.. Table.Keys];

    private static ScriptedSmtpServer Server(X509Certificate2 leaf, bool leafOnly) => ScriptedSmtpServer.Start(async ss =>
    {
        try
        {
            await ss.GreetUntilStartTlsAsync();
            await ss.WriteLineAsync("220 go");
            await ss.StartTlsAsync(leaf, chain: leafOnly ? null : [Pki.Ca]);
            if (await ss.ReadLineAsync() is null)
            {
                return;
            }
            await ss.WriteLineAsync("250 mox.example");
            if (await ss.ReadLineAsync() == "QUIT")
            {
                await ss.WriteLineAsync("221 ok");
            }
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException or Xunit.Sdk.XunitException)
        {
            // The client refused the certificate, or never connected.
        }
    });

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Dial(string row)
    {
        var r = Table[row];
        await using var server = Server(r.Leaf ?? Pki.Leaf, r.LeafOnly);
        var report = await DaneHostCheck.VerifyAsync(r.Zone, Domain.Parse(r.Host),
            new SmtpSessionOptions { EhloHostname = Domain.Parse("localhost"), Timeouts = SmtpTimeouts.All(TimeSpan.FromSeconds(10)) }, server.EndPoint.Port);
        Assert.True(r.Outcome == report.Outcome, $"{row}: {report.Outcome}, expected {r.Outcome}: {report.Error}");
        if (r.Outcome == DaneHostOutcome.Verified)
        {
            Assert.Equal(r.Record, Assert.Single(report.Addresses).VerifiedRecord);
        }
        if (r.Outcome == DaneHostOutcome.Failed)
        {
            Assert.False(Assert.Single(report.Addresses).Verified);
        }
    }
}
