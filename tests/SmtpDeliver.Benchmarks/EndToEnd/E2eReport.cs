using System.Globalization;
using System.Text;

namespace SmtpDeliver.Benchmarks.EndToEnd;

/// <summary>The runner's output: a CSV (for the plot script) and a markdown table with ratios against MailKit.</summary>
internal static class E2eReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Csv(IReadOnlyList<ScenarioResult> results)
    {
        var csv = new StringBuilder("scenario,client,group,x,messages,msgs_per_s,mb_per_s,flights_per_msg,alloc_bytes_per_msg,verified,note\n");
        foreach (var r in results)
        {
            csv.Append(Inv, $"\"{r.Scenario}\",{r.Client},{r.Group},{r.X},{r.Messages},{r.MessagesPerSecond:F1},{r.MegabytesPerSecond:F2},{r.FlightsPerMessage:F3},{r.AllocatedPerMessage:F0},{r.Verified},\"{r.Note.Replace('"', '\'')}\"\n");
        }
        return csv.ToString();
    }

    public static string Markdown(IReadOnlyList<ScenarioResult> results, bool quick, TimeSpan elapsed)
    {
        var md = new StringBuilder();
        md.Append(Inv, $"End-to-end run ({(quick ? "--quick" : "full")}, {elapsed.TotalSeconds:F0} s, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC); medians of 3.\n\n");
        md.Append("| scenario | client | msgs/s | MB/s | flights/msg | alloc/msg | ratio SmtpDeliver / MailKit (/ NoDelay) | verified | note |\n");
        md.Append("|---|---|---:|---:|---:|---:|---|---|---|\n");
        foreach (var r in results)
        {
            var ratio = "";
            if (r.Client == "SmtpDeliver")
            {
                var mk = results.FirstOrDefault(o => o.Scenario == r.Scenario && o.Client == "MailKit");
                var nd = results.FirstOrDefault(o => o.Scenario == r.Scenario && o.Client == "MailKit NoDelay");
                if (mk is { MessagesPerSecond: > 0 })
                {
                    ratio = $"{r.MessagesPerSecond / mk.MessagesPerSecond:F2}×";
                    if (nd is { MessagesPerSecond: > 0 })
                    {
                        ratio += $" ({r.MessagesPerSecond / nd.MessagesPerSecond:F2}×)";
                    }
                    ratio += $"; alloc {r.AllocatedPerMessage / Math.Max(1, mk.AllocatedPerMessage):F2}";
                }
            }
            else if (r.Client == "raw socket")
            {
                var sd = results.FirstOrDefault(o => o.Scenario == r.Scenario && o.Client == "SmtpDeliver");
                ratio = sd is null ? "" : $"SmtpDeliver / raw {sd.MessagesPerSecond / r.MessagesPerSecond:F2}";
            }
            md.Append(Inv, $"| {r.Scenario} | {r.Client} | {r.MessagesPerSecond:N0} | {r.MegabytesPerSecond:N1} | {r.FlightsPerMessage:F2} | {Bytes(r.AllocatedPerMessage)} | {ratio} | {(r.Verified ? "yes" : "**NO**")} | {r.Note} |\n");
        }
        return md.ToString();
    }

    private static string Bytes(double b) => b >= 1024 * 1024 ? $"{b / 1024 / 1024:F1} MiB" : b >= 1024 ? $"{b / 1024:F1} KiB" : $"{b:F0} B";
}
