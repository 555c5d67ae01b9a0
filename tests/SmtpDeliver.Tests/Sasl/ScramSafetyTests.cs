using System.Security.Cryptography;
using System.Text;
using System.Net.Security;
using System.Security.Authentication;
using SmtpDeliver.Sasl;
using SmtpDeliver.Tls;

namespace SmtpDeliver.Tests.Sasl;

/// <summary>
/// Issue 11 item 2: SCRAM's iteration cap, cancellable key derivation, and tls-unique channel binding
/// only by opt-in (RFC 7677 4, RFC 7627).
/// </summary>
public class ScramSafetyTests
{
    private const string ClientNonce = "abcdefgh";
    private static readonly SaslCredentials Password = SaslCredentials.WithPassword("user", "pencil");

    private static string S(byte[]? b) => Encoding.UTF8.GetString(b ?? []);
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    private static string ServerFirst(long iterations) => $"r={ClientNonce}12345678,s=c2FsdHNhbHQ=,i={iterations}";

    private static TlsConnectionInfo Tls12(byte[] tlsUnique) => new()
    {
        Protocol = SslProtocols.Tls12,
        CipherSuite = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ServerName = "mx.example",
        PeerCertificates = [],
        TlsUnique = tlsUnique,
    };

    [Theory]
    [InlineData(ScramHash.Sha1, 1)]
    [InlineData(ScramHash.Sha256, 2)]
    [InlineData(ScramHash.Sha256, 1023)]
    [InlineData(ScramHash.Sha256, 1024)]
    [InlineData(ScramHash.Sha1, 1025)]
    [InlineData(ScramHash.Sha256, 16385)]
    public async Task Chunked_pbkdf2_equals_the_platform_pbkdf2(ScramHash hash, int iterations)
    {
        var password = B("pässwörd");
        var salt = RandomNumberGenerator.GetBytes(16);
        var expected = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, hash == ScramHash.Sha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256, hash == ScramHash.Sha1 ? 20 : 32);
        Assert.Equal(expected, await ScramPrimitives.SaltPasswordAsync(hash, password, salt, iterations, default));
    }

    [Fact]
    public async Task Iteration_count_above_the_default_cap_is_refused_before_hashing()
    {
        // Issue 11 item 2: failed before the fix (no cap: 999,999,999 iterations were hashed, for minutes).
        var m = new SaslScram(ScramHash.Sha256, "user", "pencil", null, false, ClientNonce);
        Assert.Equal(1_000_000, m.MaxIterations);
        await m.NextStepAsync(null, default);
        var e = await Assert.ThrowsAsync<SaslException>(async () => await m.NextStepAsync(B(ServerFirst(999_999_999)), default).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(SaslErrorReason.IterationCountTooHigh, e.Reason);
        Assert.Contains("999999999", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Iteration_count_at_the_cap_is_accepted_and_one_above_refused()
    {
        var atCap = new SaslScram(ScramHash.Sha256, "user", "pencil", null, false, ClientNonce) { MaxIterations = 4096 };
        await atCap.NextStepAsync(null, default);
        Assert.StartsWith("c=biws,", S((await atCap.NextStepAsync(B(ServerFirst(4096)), default)).ToServer), StringComparison.Ordinal);

        var above = new SaslScram(ScramHash.Sha256, "user", "pencil", null, false, ClientNonce) { MaxIterations = 4096 };
        await above.NextStepAsync(null, default);
        Assert.Equal(SaslErrorReason.IterationCountTooHigh, (await Assert.ThrowsAsync<SaslException>(async () => await above.NextStepAsync(B(ServerFirst(4097)), default))).Reason);
    }

    [Fact]
    public void Cap_below_the_rfc_7677_minimum_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SaslScram(ScramHash.Sha256, "user", "pencil") { MaxIterations = 4095 });

    [Fact]
    public async Task Cancellation_stops_the_key_derivation()
    {
        // Issue 11 item 2: failed before the fix (the derivation was one synchronous call without a token).
        var m = new SaslScram(ScramHash.Sha256, "user", "pencil", null, false, ClientNonce) { MaxIterations = int.MaxValue };
        await m.NextStepAsync(null, default);
        using var cts = new CancellationTokenSource();
        var step = m.NextStepAsync(B(ServerFirst(999_999_999)), cts.Token).AsTask();
        cts.CancelAfter(TimeSpan.FromMilliseconds(50));
        // 999,999,999 iterations take minutes: only a stop on cancellation ends this within the safety net.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await step.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Chooser_cap_reaches_the_mechanism()
    {
        var m = SaslMechanismChooser.Choose(["SCRAM-SHA-256"], null, Password, options: new SaslChooserOptions { ScramMaxIterations = 5000 });
        Assert.Equal(5000, Assert.IsType<SaslScram>(m).MaxIterations);
        await m.NextStepAsync(null, default);
    }

    [Fact]
    public async Task Tls_unique_binding_is_not_used_by_default_and_the_gs2_flag_is_n()
    {
        // Issue 11 item 2: failed before the fix (SCRAM-SHA-256-PLUS was chosen whenever tls-unique was available).
        var m = SaslMechanismChooser.Choose(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], Tls12([1, 2, 3]), Password);
        Assert.Equal("SCRAM-SHA-256", m.Name);
        Assert.StartsWith("n,,", S((await m.NextStepAsync(null, default)).ToServer), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_opt_in_a_server_without_plus_also_gets_gs2_flag_n()
    {
        // Issue 11 item 2: failed before the fix ("y" claimed a binding the client would not make).
        var m = SaslMechanismChooser.Choose(["SCRAM-SHA-256"], Tls12([1, 2, 3]), Password);
        Assert.StartsWith("n,,", S((await m.NextStepAsync(null, default)).ToServer), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Opt_in_chooses_plus_with_tls_unique_and_y_when_the_server_cannot_bind()
    {
        var optIn = new SaslChooserOptions { AllowTlsUniqueChannelBinding = true };
        var plus = SaslMechanismChooser.Choose(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], Tls12([1, 2, 3]), Password, options: optIn);
        Assert.Equal("SCRAM-SHA-256-PLUS", plus.Name);
        Assert.StartsWith("p=tls-unique,,", S((await plus.NextStepAsync(null, default)).ToServer), StringComparison.Ordinal);
        var plain = SaslMechanismChooser.Choose(["SCRAM-SHA-256"], Tls12([1, 2, 3]), Password, options: optIn);
        Assert.StartsWith("y,,", S((await plain.NextStepAsync(null, default)).ToServer), StringComparison.Ordinal);
    }

    [Fact]
    public void Naming_a_plus_mechanism_is_an_opt_in() =>
        Assert.Equal("SCRAM-SHA-1-PLUS", SaslMechanismChooser.Choose(["SCRAM-SHA-1-PLUS"], Tls12([1, 2, 3]), Password, "SCRAM-SHA-1-PLUS").Name);
}
