using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SmtpDeliver.Sasl;

/// <summary>
/// SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677), optionally with channel binding (the -PLUS
/// variants, "tls-unique" of RFC 5929). Client and server prove knowledge of the password to each other
/// without sending it; the client verifies the server's signature before the server's verdict.
/// </summary>
/// <remarks>
/// Steps: client-first (initial response), client-final (after the server-first challenge), then an
/// empty message after verifying the server-final message. The gs2 header says "p=tls-unique" for
/// -PLUS, "y" when the caller says we could bind but believe the server cannot (so a downgrade is
/// detected), else "n". The server's iteration count must lie between 2048 and <see cref="MaxIterations"/>;
/// the key derivation honours cancellation (docs/sasl.md).
/// </remarks>
public sealed class SaslScram : ISaslClient
{
    private readonly ScramHash _hash;
    private readonly string _username;
    private readonly byte[] _password;
    private readonly byte[]? _channelBinding;
    private readonly string _gs2Header;
    private readonly string _clientNonce;
    private string _clientFirstBare = string.Empty;
    private string _authMessage = string.Empty;
    private byte[] _saltedPassword = [];
    private int _step;
    private int _maxIterations = DefaultMaxIterations;

    /// <summary>
    /// The default <see cref="MaxIterations"/>: 1,000,000. RFC 7677 4 asks for at least 4096 and real servers
    /// use 4096 (Dovecot, PostgreSQL) to 15,000 (MongoDB) by default, and administrators raise it; OWASP's 2023
    /// advice for PBKDF2-HMAC-SHA256 password storage is 600,000, which a careful administrator may follow. The cap
    /// covers that with margin while bounding what a hostile server can make us compute (about 0.5 s of one
    /// core for SHA-256 on current hardware, cancellable).
    /// </summary>
    public const int DefaultMaxIterations = 1_000_000;

    /// <summary>The smallest <see cref="MaxIterations"/> allowed: RFC 7677 4's minimum, 4096.</summary>
    public const int MinimumMaxIterations = 4096;

    /// <summary>
    /// The largest iteration count the server may ask for; a larger one fails with
    /// <see cref="SaslErrorReason.IterationCountTooHigh"/> before any hashing. Default
    /// <see cref="DefaultMaxIterations"/>; at least <see cref="MinimumMaxIterations"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below <see cref="MinimumMaxIterations"/>.</exception>
    public int MaxIterations
    {
        get => _maxIterations;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, MinimumMaxIterations);
            _maxIterations = value;
        }
    }

    /// <summary>A SCRAM client.</summary>
    /// <param name="hash">SHA-1 or SHA-256.</param>
    /// <param name="username">The authentication identity; NFC-normalised, ',' and '=' escaped on the wire.</param>
    /// <param name="password">The password, prepared as a PRECIS OpaqueString (RFC 8265).</param>
    /// <param name="channelBinding">
    /// The tls-unique channel binding data for a -PLUS mechanism; <c>null</c> for the plain mechanism.
    /// </param>
    /// <param name="clientSupportsBinding">
    /// For the plain mechanism: true when the client would bind (the connection offers binding data and
    /// the caller accepts tls-unique) but the server offers no -PLUS variant, so the gs2 flag "y" lets a
    /// server that does support it detect a downgrade. False sends "n".
    /// </param>
    public SaslScram(ScramHash hash, string username, string password, byte[]? channelBinding = null, bool clientSupportsBinding = false)
        : this(hash, username, password, channelBinding, clientSupportsBinding, null)
    {
    }

    /// <summary>As the public constructor, with a fixed client nonce for test vectors.</summary>
    internal SaslScram(ScramHash hash, string username, string password, byte[]? channelBinding, bool clientSupportsBinding, string? clientNonce)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(password);
        _hash = hash;
        _username = username.Normalize(NormalizationForm.FormC);
        if (!OpaqueString.TryPrepare(password, out var prepared))
        {
            throw new SaslException(SaslErrorReason.InvalidCredentials, "password contains characters not allowed by the PRECIS OpaqueString profile");
        }
        _password = Encoding.UTF8.GetBytes(prepared);
        _channelBinding = channelBinding;
        // RFC 5802 7: gs2-cbind-flag.
        _gs2Header = (channelBinding is not null ? "p=tls-unique" : clientSupportsBinding ? "y" : "n") + ",,";
        _clientNonce = clientNonce ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
    }

    /// <inheritdoc/>
    public string Name => (_hash == ScramHash.Sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256") + (_channelBinding is null ? string.Empty : "-PLUS");

    /// <inheritdoc/>
    public bool SendsCleartextCredentials => false;

    /// <inheritdoc/>
    public async ValueTask<SaslStep> NextStepAsync(byte[]? fromServer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        switch (_step++)
        {
            case 0:
                _clientFirstBare = $"n={EscapeName(_username)},r={_clientNonce}";
                return new SaslStep(Encoding.UTF8.GetBytes(_gs2Header + _clientFirstBare), false);
            case 1:
                var clientFinal = await ClientFinalAsync(Decode(fromServer), cancellationToken).ConfigureAwait(false);
                return new SaslStep(Encoding.UTF8.GetBytes(clientFinal), false);
            case 2:
                VerifyServerFinal(Decode(fromServer));
                return new SaslStep(null, true);
            default:
                throw new SaslException(SaslErrorReason.UnexpectedStep, "SCRAM has three steps");
        }
    }

    private static string Decode(byte[]? fromServer)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(fromServer ?? []);
        }
        catch (DecoderFallbackException e)
        {
            throw new SaslException(SaslErrorReason.MalformedChallenge, "scram server message is not valid utf-8", e);
        }
    }

    private async ValueTask<string> ClientFinalAsync(string serverFirst, CancellationToken cancellationToken)
    {
        var first = ScramServerFirst.Parse(serverFirst);
        if (!first.Nonce.StartsWith(_clientNonce, StringComparison.Ordinal))
        {
            throw new SaslException(SaslErrorReason.MalformedChallenge, "scram server nonce does not start with our nonce");
        }
        if (first.Nonce.Length - _clientNonce.Length < 8)
        {
            throw new SaslException(SaslErrorReason.Unsafe, "scram server nonce adds fewer than 8 characters");
        }
        if (first.Salt.Length < 8)
        {
            throw new SaslException(SaslErrorReason.Unsafe, "scram salt is shorter than 8 bytes");
        }
        if (first.Iterations < 2048)
        {
            throw new SaslException(SaslErrorReason.Unsafe, string.Create(CultureInfo.InvariantCulture, $"scram iteration count {first.Iterations} is below 2048"));
        }
        if (first.Iterations > MaxIterations)
        {
            // Refused before hashing: the count is the server's to choose, the work is ours.
            throw new SaslException(SaslErrorReason.IterationCountTooHigh,
                string.Create(CultureInfo.InvariantCulture, $"scram iteration count {first.Iterations} is above the maximum {MaxIterations}"));
        }
        var bindInput = Encoding.ASCII.GetBytes(_gs2Header);
        if (_channelBinding is not null)
        {
            bindInput = [.. bindInput, .. _channelBinding];
        }
        var withoutProof = $"c={Convert.ToBase64String(bindInput)},r={first.Nonce}";
        _authMessage = _clientFirstBare + "," + serverFirst + "," + withoutProof;
        // RFC 5802 3: ClientProof = ClientKey XOR HMAC(H(ClientKey), AuthMessage).
        _saltedPassword = await ScramPrimitives.SaltPasswordAsync(_hash, _password, first.Salt, first.Iterations, cancellationToken).ConfigureAwait(false);
        var clientKey = ScramPrimitives.Hmac(_hash, _saltedPassword, "Client Key"u8.ToArray());
        var storedKey = ScramPrimitives.Hash(_hash, clientKey);
        var signature = ScramPrimitives.Hmac(_hash, storedKey, Encoding.UTF8.GetBytes(_authMessage));
        for (var i = 0; i < signature.Length; i++)
        {
            signature[i] ^= clientKey[i];
        }
        return withoutProof + ",p=" + Convert.ToBase64String(signature);
    }

    private void VerifyServerFinal(string serverFinal)
    {
        var verifier = ScramServerFinal.Parse(serverFinal);
        var serverKey = ScramPrimitives.Hmac(_hash, _saltedPassword, "Server Key"u8.ToArray());
        var expected = ScramPrimitives.Hmac(_hash, serverKey, Encoding.UTF8.GetBytes(_authMessage));
        if (!CryptographicOperations.FixedTimeEquals(verifier, expected))
        {
            throw new SaslException(SaslErrorReason.ServerProofMismatch, "scram server signature does not match: the server does not know the password");
        }
    }

    /// <summary>RFC 5802 5.1: ',' and '=' in names are sent as "=2C" and "=3D".</summary>
    internal static string EscapeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
