using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace QueueWorker;

/// <summary>
/// A spool directory: per message <c>&lt;id&gt;.eml</c> (the message, CRLF line ends, exactly the bytes sent) and
/// <c>&lt;id&gt;.json</c> (its <see cref="SpoolEnvelope"/>). The envelope is the commit record: a message exists when its
/// envelope does. Every file is written to a temp file, flushed to disk and renamed over the old one, so a crash
/// leaves the old or the new version, never half of one. Messages that need an operator move to <c>hold/</c>.
/// One worker per spool directory (a fleet shares state through the stores, not the spool; docs/queue.md).
/// </summary>
internal sealed class Spool
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly ILogger _logger;

    /// <summary>Opens (and creates) the spool at <paramref name="directory"/>.</summary>
    public Spool(string directory, ILogger logger)
    {
        Directory = Path.GetFullPath(directory);
        _logger = logger;
        System.IO.Directory.CreateDirectory(Directory);
        System.IO.Directory.CreateDirectory(HoldDirectory);
    }

    /// <summary>The spool directory.</summary>
    public string Directory { get; }

    /// <summary>Where messages wait for the operator (uncertain deliveries, unreadable envelopes).</summary>
    public string HoldDirectory => Path.Combine(Directory, "hold");

    /// <summary>A new message id: 32 lowercase hex digits.</summary>
    public static string NewId() => Guid.NewGuid().ToString("N");

    /// <summary>True for an id this spool makes (so a file name never leads outside the directory).</summary>
    public static bool IsValidId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    /// <summary>The path of the message file.</summary>
    public string MessagePath(string id) => Path.Combine(Directory, Checked(id) + ".eml");

    private string EnvelopePath(string id) => Path.Combine(Directory, Checked(id) + ".json");

    /// <summary>Adds a message: the message file first, then the envelope that makes it visible.</summary>
    public async Task EnqueueAsync(SpoolEnvelope envelope, Func<Stream> openMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(openMessage);
        var source = openMessage();
        await using (source.ConfigureAwait(false))
        {
            await WriteAtomicallyAsync(MessagePath(envelope.Id), source.CopyToAsync, cancellationToken).ConfigureAwait(false);
        }
        await SaveAsync(envelope, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces the envelope (temp file, flush, rename).</summary>
    public Task SaveAsync(SpoolEnvelope envelope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(envelope, Json);
        return WriteAtomicallyAsync(EnvelopePath(envelope.Id), (s, ct) => s.WriteAsync(bytes, ct).AsTask(), cancellationToken);
    }

    /// <summary>Reads one envelope; null when it is missing or unreadable.</summary>
    public async Task<SpoolEnvelope?> LoadAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            var stream = new FileStream(EnvelopePath(id), FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                var envelope = await JsonSerializer.DeserializeAsync<SpoolEnvelope>(stream, Json, cancellationToken).ConfigureAwait(false);
                return envelope is not null && envelope.Id == id && File.Exists(MessagePath(id)) ? envelope : null;
            }
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The envelopes due at <paramref name="now"/>, oldest due first. Unreadable ones are moved to hold.</summary>
    public async Task<IReadOnlyList<SpoolEnvelope>> LoadDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var due = new List<SpoolEnvelope>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.json"))
        {
            var id = Path.GetFileNameWithoutExtension(path);
            if (!IsValidId(id))
            {
                continue;
            }
            var envelope = await LoadAsync(id, cancellationToken).ConfigureAwait(false);
            if (envelope is null)
            {
                Log.UnreadableEnvelope(_logger, id);
                Hold(id);
            }
            else if (envelope.NextAttemptAt <= now)
            {
                due.Add(envelope);
            }
        }
        due.Sort((a, b) => a.NextAttemptAt.CompareTo(b.NextAttemptAt));
        return due;
    }

    /// <summary>All envelopes in the spool (not in hold), for tests and tools.</summary>
    public async Task<IReadOnlyList<SpoolEnvelope>> LoadAllAsync(CancellationToken cancellationToken) =>
        await LoadDueAsync(DateTimeOffset.MaxValue, cancellationToken).ConfigureAwait(false);

    /// <summary>Opens the message for reading (once per transaction).</summary>
    public Stream OpenMessage(string id) =>
        new FileStream(MessagePath(id), FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);

    /// <summary>Removes a finished message: the envelope first (the commit), then the message file.</summary>
    public void Remove(string id)
    {
        File.Delete(EnvelopePath(id));
        File.Delete(MessagePath(id));
    }

    /// <summary>Moves a message to the hold directory, message file first; it is not tried again.</summary>
    public void Hold(string id)
    {
        MoveIfExists(MessagePath(id), Path.Combine(HoldDirectory, id + ".eml"));
        MoveIfExists(EnvelopePath(id), Path.Combine(HoldDirectory, id + ".json"));
    }

    /// <summary>Reads a small state file of the worker (e.g. the last TLSRPT day reported); null when missing.</summary>
    public async Task<string?> ReadStateAsync(string name, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Directory, name + ".state");
        return File.Exists(path) ? (await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)).Trim() : null;
    }

    /// <summary>Replaces a small state file (temp file, flush, rename).</summary>
    public Task WriteStateAsync(string name, string value, CancellationToken cancellationToken)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        return WriteAtomicallyAsync(Path.Combine(Directory, name + ".state"), (s, ct) => s.WriteAsync(bytes, ct).AsTask(), cancellationToken);
    }

    private static void MoveIfExists(string from, string to)
    {
        if (File.Exists(from))
        {
            File.Move(from, to, overwrite: true);
        }
    }

    private static string Checked(string id) =>
        IsValidId(id) ? id : throw new ArgumentException($"not a spool message id: {id}", nameof(id));

    private async Task WriteAtomicallyAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        // Temp files start with a dot and end in .tmp: never taken for a message or an envelope.
        var temp = Path.Combine(Directory, "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
