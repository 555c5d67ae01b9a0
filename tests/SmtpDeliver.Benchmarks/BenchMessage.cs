using System.Text;

namespace SmtpDeliver.Benchmarks;

/// <summary>Generated test messages: headers and 7-bit lines of about 70 bytes, every tenth starting with a dot.</summary>
internal static class BenchMessage
{
    /// <summary>A message of at least <paramref name="size"/> bytes (exactly, for sizes over 200), CRLF line ends.</summary>
    public static byte[] Create(int size, string id = "1@bench.example")
    {
        var head = $"From: <s@bench.example>\r\nTo: <a@sink.example>\r\nSubject: bench\r\nMessage-ID: <{id}>\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\n";
        var body = new StringBuilder(size + 100);
        var line = 0;
        while (head.Length + body.Length < size - 80)
        {
            body.Append(line++ % 10 == 0 ? ".dotted line " : "line ").Append(line).Append(' ').Append('x', 50).Append("\r\n");
        }
        var rest = size - head.Length - body.Length - 2;
        if (rest > 0)
        {
            body.Append('y', rest).Append("\r\n");
        }
        return Encoding.ASCII.GetBytes(head + body);
    }
}
