namespace SmtpDeliver.TlsRpt.Reporting;

/// <summary>What happened for one destination (rua) of a policy domain's report.</summary>
/// <param name="Rua">The destination as written in the record.</param>
/// <param name="Refusal">Why it was not used, or <c>null</c>.</param>
/// <param name="Detail">A description of a refusal, for logs.</param>
/// <param name="Message">For a mailto: destination, the report message to deliver.</param>
/// <param name="Https">For an https: destination, the outcome of the POST.</param>
public sealed record TlsRptRuaOutcome(string Rua, TlsRptRuaRefusal? Refusal, string Detail, TlsRptReportMessage? Message, TlsRptHttpsResult? Https);
