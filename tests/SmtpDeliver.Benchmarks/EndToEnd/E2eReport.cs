using System.Globalization;
using System.Text;

namespace SmtpDeliver.Benchmarks.EndToEnd;

/// <summary>The runner's output: a CSV (for the plot script) and a markdown table with ratios against MailKit.</summary>
internal static class E2eReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Csv(IReadOnlyList<ScenarioResult> results)
    {
        var csv = new StringBuilder("scenario,client,group,x,messages,msgs_per_s,mb_per_s,flights_per_msg,alloc_bytes_per_msg,ratio_mailkit,ratio_mailkit_nodelay,verified,note\n");
        foreach (var r in results)
        {
            csv.Append(Inv, $"\"{r.Scenario}\",{r.Client},{r.Group},{r.X},{r.Messages},{r.MessagesPerSecond:F1},{r.MegabytesPerSecond:F2},{r.FlightsPerMessage:F3},{r.AllocatedPerMessage:F0},{r.RatioMailKit:F3},{r.RatioMailKitNoDelay:F3},{r.Verified},\"{r.Note.Replace('"', '\'')}\"\n");
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
            if (!double.IsNaN(r.RatioMailKit))
            {
                var mk = results.First(o => o.Scenario == r.Scenario && o.Client == "MailKit");
                ratio = $"{r.RatioMailKit:F2}×" + (double.IsNaN(r.RatioMailKitNoDelay) ? "" : $" ({r.RatioMailKitNoDelay:F2}×)") + $"; alloc {r.AllocatedPerMessage / Math.Max(1, mk.AllocatedPerMessage):F2}";
            }
            if (r.Client.StartsWith("raw socket", StringComparison.Ordinal))
            {
                var sd = results.FirstOrDefault(o => o.Scenario == r.Scenario && o.Client == "SmtpDeliver");
                ratio += sd is null ? "" : $"; SmtpDeliver / this {sd.MessagesPerSecond / r.MessagesPerSecond:F2}";
            }
            md.Append(Inv, $"| {r.Scenario} | {r.Client} | {r.MessagesPerSecond:N0} | {r.MegabytesPerSecond:N1} | {r.FlightsPerMessage:F2} | {Bytes(r.AllocatedPerMessage)} | {ratio} | {(r.Verified ? "yes" : "**NO**")} | {r.Note} |\n");
        }
        return md.ToString();
    }

    private static string Bytes(double b) => b >= 1024 * 1024 ? $"{b / 1024 / 1024:F1} MiB" : b >= 1024 ? $"{b / 1024:F1} KiB" : $"{b:F0} B";
}
