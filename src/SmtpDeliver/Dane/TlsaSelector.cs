namespace SmtpDeliver.Dane;

/// <summary>TLSA selector (RFC 6698 section 2.1.2): which part of the certificate is matched.</summary>
public enum TlsaSelector : byte
{
    /// <summary>Cert (0): the full DER certificate.</summary>
    Cert = 0,
    /// <summary>SPKI (1): the DER SubjectPublicKeyInfo.</summary>
    Spki = 1,
}
