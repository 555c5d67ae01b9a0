using System.Text;

namespace SmtpDeliver.IntegrationTests.Queue;

/// <summary>The messages Postfix delivered to a test mailbox (its Maildir new/), found by a marker.</summary>
internal static class Maildir
{
    /// <summary>Waits (at most 20 s) until <paramref name="count"/> messages of <paramref name="user"/> contain every marker; returns all that do.</summary>
    public static async Task<IReadOnlyList<string>> WaitForAsync(string user, int count, params string[] markers)
    {
        var dir = Path.Combine(IntegrationEnvironment.Get("postfix", "MAILDIR_ROOT"), user, "new");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var found = new List<string>();
            if (Directory.Exists(dir))
            {
                foreach (var file in Directory.GetFiles(dir))
                {
                    var text = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file));
                    if (markers.All(m => text.Contains(m, StringComparison.Ordinal)))
                    {
                        found.Add(text);
                    }
                }
            }
            if (found.Count >= count || DateTime.UtcNow > deadline)
            {
                return found;
            }
            await Task.Delay(100);
        }
    }
}
