using SmtpDeliver.Names;

namespace SmtpDeliver.Dns;

/// <summary>A host to deliver to with its MX preference; -1 when not from an MX record (implicit MX or IP).</summary>
internal readonly record struct HostPref(IPDomain Host, int Preference);
