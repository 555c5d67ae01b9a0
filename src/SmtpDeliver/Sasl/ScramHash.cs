using System.Security.Cryptography;

namespace SmtpDeliver.Sasl;

/// <summary>The hash function of a SCRAM mechanism (RFC 5802 SHA-1, RFC 7677 SHA-256).</summary>
public enum ScramHash
{
    /// <summary>SCRAM-SHA-1.</summary>
    Sha1,
    /// <summary>SCRAM-SHA-256.</summary>
    Sha256,
}

/// <summary>The SCRAM primitives (RFC 5802 2.2) for one hash function.</summary>
internal static class ScramPrimitives
{
    public static HashAlgorithmName Algorithm(ScramHash hash) => hash == ScramHash.Sha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256;

    public static int Length(ScramHash hash) => hash == ScramHash.Sha1 ? SHA1.HashSizeInBytes : SHA256.HashSizeInBytes;

    /// <summary>Iterations between two looks at the cancellation token.</summary>
    internal const int IterationsPerCheck = 1024;

    /// <summary>Iterations between two yields of the thread.</summary>
    internal const int IterationsPerYield = 16 * IterationsPerCheck;

    /// <summary>
    /// Hi() (RFC 5802 2.2): PBKDF2 (RFC 8018 5.2) with HMAC of the hash, one output block, computed here
    /// rather than by <see cref="Rfc2898DeriveBytes.Pbkdf2(byte[], byte[], int, HashAlgorithmName, int)"/> so
    /// that it stops on cancellation: U1 = HMAC(password, salt || INT(1)), Ui = HMAC(password, Ui-1),
    /// Hi = U1 XOR … XOR Ui. The token is checked every <see cref="IterationsPerCheck"/> iterations and the
    /// thread yielded every <see cref="IterationsPerYield"/>, so a long count neither ignores the caller
    /// nor holds a thread-pool thread for long.
    /// </summary>
    public static async ValueTask<byte[]> SaltPasswordAsync(ScramHash hash, byte[] password, byte[] salt, int iterations, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        cancellationToken.ThrowIfCancellationRequested();
        using var hmac = IncrementalHash.CreateHMAC(Algorithm(hash), password);
        var u = new byte[Length(hash)];
        hmac.AppendData(salt);
        hmac.AppendData([0, 0, 0, 1]);
        hmac.GetHashAndReset(u);
        var result = (byte[])u.Clone();
        for (var i = 1; i < iterations; i++)
        {
            if (i % IterationsPerCheck == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (i % IterationsPerYield == 0)
                {
                    await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
                }
            }
            hmac.AppendData(u);
            hmac.GetHashAndReset(u);
            for (var j = 0; j < u.Length; j++)
            {
                result[j] ^= u[j];
            }
        }
        CryptographicOperations.ZeroMemory(u);
        return result;
    }

#pragma warning disable CA5350 // SHA-1 is what SCRAM-SHA-1 is defined with.
    public static byte[] Hmac(ScramHash hash, byte[] key, byte[] data) =>
        hash == ScramHash.Sha1 ? HMACSHA1.HashData(key, data) : HMACSHA256.HashData(key, data);

    public static byte[] Hash(ScramHash hash, byte[] data) =>
        hash == ScramHash.Sha1 ? SHA1.HashData(data) : SHA256.HashData(data);
#pragma warning restore CA5350
}
