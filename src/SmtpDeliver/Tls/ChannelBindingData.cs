using System.Buffers.Binary;
using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Authentication.ExtendedProtection;
using System.Security.Authentication;

namespace SmtpDeliver.Tls;

/// <summary>Channel binding data of a TLS connection for SCRAM-*-PLUS (RFC 5929).</summary>
internal static class ChannelBindingData
{
    private static readonly byte[] TlsUniquePrefix = "tls-unique:"u8.ToArray();

    /// <summary>
    /// The "tls-unique" binding (the first Finished message) of a TLS 1.2 connection; <c>null</c> for TLS
    /// 1.3, where tls-unique is undefined (RFC 9266) and .NET offers no tls-exporter, or when unavailable.
    /// </summary>
    /// <remarks>
    /// .NET returns the binding in the layout of Windows' SEC_CHANNEL_BINDINGS: a 32-byte header whose
    /// application-data length and offset (at bytes 24 and 28) point at "tls-unique:" followed by the data.
    /// </remarks>
    public static byte[]? TryGetTlsUnique(SslStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.SslProtocol != SslProtocols.Tls12)
        {
            return null;
        }
        using var binding = stream.TransportContext?.GetChannelBinding(ChannelBindingKind.Unique);
        if (binding is null || binding.IsInvalid || binding.Size < 32)
        {
            return null;
        }
        var raw = new byte[binding.Size];
        Marshal.Copy(binding.DangerousGetHandle(), raw, 0, raw.Length);
        var length = BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(24));
        var offset = BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(28));
        if (offset < 32 || length <= TlsUniquePrefix.Length || (long)offset + length > raw.Length)
        {
            return null;
        }
        var data = raw.AsSpan(offset, length);
        return data.StartsWith(TlsUniquePrefix) ? data[TlsUniquePrefix.Length..].ToArray() : null;
    }
}
