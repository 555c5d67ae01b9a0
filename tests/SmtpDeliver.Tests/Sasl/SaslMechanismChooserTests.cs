using System.Net.Security;
using System.Security.Authentication;
using SmtpDeliver.Sasl;
using SmtpDeliver.Tls;

namespace SmtpDeliver.Tests.Sasl;

public class SaslMechanismChooserTests
{
    private static readonly SaslCredentials Password = SaslCredentials.WithPassword("user", "pw");

    private static TlsConnectionInfo Tls(byte[]? tlsUnique) => new()
    {
        Protocol = tlsUnique is null ? SslProtocols.Tls13 : SslProtocols.Tls12,
        CipherSuite = TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        ServerName = "mx.example",
        PeerCertificates = [],
        TlsUnique = tlsUnique,
    };

    [Theory]
    [InlineData("SCRAM-SHA-256-PLUS SCRAM-SHA-256 SCRAM-SHA-1-PLUS SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN", true, "SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN", false, "SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-1-PLUS SCRAM-SHA-1 PLAIN", true, "SCRAM-SHA-1")]
    [InlineData("CRAM-MD5 PLAIN LOGIN", true, "CRAM-MD5")]
    [InlineData("LOGIN PLAIN", true, "PLAIN")]
    [InlineData("LOGIN", false, "LOGIN")]
    public void Strongest_common_mechanism_is_chosen(string offered, bool binding, string expected) =>
        Assert.Equal(expected, SaslMechanismChooser.Choose(offered.Split(' '), Tls(binding ? [1, 2, 3] : null), Password).Name);

    [Fact]
    public void Without_tls_a_mechanism_that_keeps_the_password_secret_is_preferred() =>
        Assert.Equal("SCRAM-SHA-256", SaslMechanismChooser.Choose(["PLAIN", "SCRAM-SHA-256"], null, Password).Name);

    [Fact]
    public void No_common_mechanism_names_the_server_list()
    {
        var e = Assert.Throws<SaslException>(() => SaslMechanismChooser.Choose(["GSSAPI", "NTLM"], Tls(null), Password));
        Assert.Equal(SaslErrorReason.NoCommonMechanism, e.Reason);
        Assert.Contains("GSSAPI, NTLM", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Explicit_mechanism_overrides_the_order_but_must_be_offered()
    {
        Assert.Equal("LOGIN", SaslMechanismChooser.Choose(["SCRAM-SHA-256", "LOGIN"], Tls(null), Password, "login").Name);
        Assert.Equal(SaslErrorReason.NoCommonMechanism, Assert.Throws<SaslException>(() => SaslMechanismChooser.Choose(["PLAIN"], Tls(null), Password, "CRAM-MD5")).Reason);
    }

    [Fact]
    public void Tokens_use_oauthbearer_then_xoauth2_and_certificates_external()
    {
        var token = new SaslCredentials { Username = "u", AccessToken = "t" };
        Assert.Equal("OAUTHBEARER", SaslMechanismChooser.Choose(["XOAUTH2", "OAUTHBEARER", "PLAIN"], Tls(null), token).Name);
        Assert.Equal("XOAUTH2", SaslMechanismChooser.Choose(["XOAUTH2", "PLAIN"], Tls(null), token).Name);
        Assert.Equal("EXTERNAL", SaslMechanismChooser.Choose(["PLAIN", "EXTERNAL"], Tls(null), new SaslCredentials { UseClientCertificate = true }).Name);
    }
}
