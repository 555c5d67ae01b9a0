using System.Text;

namespace SmtpDeliver.IntegrationTests;

/// <summary>The test Postfix's virtual mailboxes (Maildir, tests/integration-env/postfix/up.sh).</summary>
internal static class Maildir
{
    /// <summary>Waits (up to 20 s) for the message containing <paramref name="marker"/> in the user's Maildir and returns its bytes.</summary>
    public static async Task<byte[]> DeliveredAsync(string user, string marker)
    {
        var dir = Path.Combine(IntegrationEnvironment.Get("postfix", "MAILDIR_ROOT"), user, "new");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var needle = Encoding.ASCII.GetBytes(marker);
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.Exists(dir))
            {
                foreach (var file in Directory.GetFiles(dir))
                {
                    var bytes = await File.ReadAllBytesAsync(file);
                    if (bytes.AsSpan().IndexOf(needle) >= 0)
                    {
                        return bytes;
                    }
                }
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"message {marker} not delivered to {dir} within 20 s");
    }
}
