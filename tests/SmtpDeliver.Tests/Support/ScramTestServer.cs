using System.Security.Cryptography;
using System.Text;
using SmtpDeliver.Sasl;

namespace SmtpDeliver.Tests.Support;

/// <summary>
/// The server side of SCRAM (RFC 5802), for tests: checks the client's gs2 header and channel binding,
/// its proof, and produces the server signature.
/// </summary>
public sealed class ScramTestServer(ScramHash hash, string password, int iterations = 4096, byte[]? channelBinding = null)
{
    private readonly byte[] _salt = RandomNumberGenerator.GetBytes(16);
    private string _clientFirstBare = "";
    private string _serverFirst = "";
    private string _gs2 = "";

    public string ServerFirst(string clientFirst)
    {
        var comma = clientFirst.IndexOf(',', clientFirst.IndexOf(',') + 1);
        _gs2 = clientFirst[..(comma + 1)];
        _clientFirstBare = clientFirst[(comma + 1)..];
        var nonce = _clientFirstBare.Split(',')[1][2..];
        _serverFirst = $"r={nonce}{Convert.ToBase64String(RandomNumberGenerator.GetBytes(12))},s={Convert.ToBase64String(_salt)},i={iterations}";
        return _serverFirst;
    }

    /// <summary>The server-final message, "v=…" when the proof is right, else "e=invalid-proof".</summary>
    public string ServerFinal(string clientFinal)
    {
        var parts = clientFinal.Split(',');
        var expectedBinding = Encoding.ASCII.GetBytes(_gs2).Concat(channelBinding ?? []).ToArray();
        if (parts[0] != "c=" + Convert.ToBase64String(expectedBinding))
        {
            return "e=channel-bindings-dont-match";
        }
        var withoutProof = string.Join(',', parts[..^1]);
        var authMessage = _clientFirstBare + "," + _serverFirst + "," + withoutProof;
        var name = hash == ScramHash.Sha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256;
        var size = hash == ScramHash.Sha1 ? 20 : 32;
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), _salt, iterations, name, size);
        byte[] Hmac(byte[] key, string data) => hash == ScramHash.Sha1 ? HMACSHA1.HashData(key, Encoding.UTF8.GetBytes(data)) : HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
        var clientKey = Hmac(salted, "Client Key");
        var storedKey = hash == ScramHash.Sha1 ? SHA1.HashData(clientKey) : SHA256.HashData(clientKey);
        var signature = Hmac(storedKey, authMessage);
        var proof = Convert.FromBase64String(parts[^1][2..]);
        var recovered = proof.Zip(signature, (a, b) => (byte)(a ^ b)).ToArray();
        if (!(hash == ScramHash.Sha1 ? SHA1.HashData(recovered) : SHA256.HashData(recovered)).SequenceEqual(storedKey))
        {
            return "e=invalid-proof";
        }
        return "v=" + Convert.ToBase64String(Hmac(Hmac(salted, "Server Key"), authMessage));
    }
}
