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

    /// <summary>Hi(): PBKDF2 with HMAC of the hash (RFC 5802 2.2).</summary>
    public static byte[] SaltPassword(ScramHash hash, byte[] password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, Algorithm(hash), Length(hash));

#pragma warning disable CA5350 // SHA-1 is what SCRAM-SHA-1 is defined with.
    public static byte[] Hmac(ScramHash hash, byte[] key, byte[] data) =>
        hash == ScramHash.Sha1 ? HMACSHA1.HashData(key, data) : HMACSHA256.HashData(key, data);

    public static byte[] Hash(ScramHash hash, byte[] data) =>
        hash == ScramHash.Sha1 ? SHA1.HashData(data) : SHA256.HashData(data);
#pragma warning restore CA5350
}
