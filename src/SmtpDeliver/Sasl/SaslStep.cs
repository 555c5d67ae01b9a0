namespace SmtpDeliver.Sasl;

/// <summary>One client message of a SASL exchange.</summary>
/// <param name="ToServer">The bytes to send; <c>null</c> for none.</param>
/// <param name="Last">True when the server must answer with its final verdict next.</param>
public readonly record struct SaslStep(byte[]? ToServer, bool Last);
