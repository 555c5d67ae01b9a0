using QueueWorker;

namespace SmtpDeliver.IntegrationTests.Queue;

/// <summary>The example's spool format and file handling (no servers needed).</summary>
public sealed class SpoolTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "spool-test-" + Guid.NewGuid().ToString("N"));
    private readonly Spool _spool;

    public SpoolTests() => _spool = new Spool(_dir, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SpoolEnvelope Envelope(DateTimeOffset due) => new()
    {
        Id = Spool.NewId(),
        MailFrom = "sender@example.org",
        Recipients = [new SpoolRecipient { Address = "a@example.com", Notify = DsnNotify.Failure | DsnNotify.Delay, OriginalRecipient = "a@example.com" }],
        Requirements = DeliveryRequirements.EightBitMime,
        EnvelopeId = "env1",
        Return = DsnReturn.Headers,
        QueuedAt = due,
        NextAttemptAt = due,
    };

    [Fact]
    public async Task An_envelope_round_trips_with_readable_enum_names_and_leaves_no_temp_files()
    {
        var e = Envelope(new DateTimeOffset(2026, 6, 1, 10, 0, 0, TimeSpan.Zero));
        e.Recipients[0].State = SpoolRecipientState.Uncertain;
        await _spool.EnqueueAsync(e, () => new MemoryStream("Subject: x\r\n\r\nbody\r\n"u8.ToArray()), default);

        var json = await File.ReadAllTextAsync(Path.Combine(_dir, e.Id + ".json"));
        Assert.Contains("\"State\": \"Uncertain\"", json, StringComparison.Ordinal);
        Assert.Contains("\"Notify\": \"Failure, Delay\"", json, StringComparison.Ordinal);
        var back = (await _spool.LoadAsync(e.Id, default))!;
        Assert.Equal((e.MailFrom, e.Requirements, e.EnvelopeId, e.Return, e.QueuedAt), (back.MailFrom, back.Requirements, back.EnvelopeId, back.Return, back.QueuedAt));
        Assert.Equal((SpoolRecipientState.Uncertain, DsnNotify.Failure | DsnNotify.Delay, "a@example.com"), (back.Recipients[0].State, back.Recipients[0].Notify, back.Recipients[0].OriginalRecipient));
        Assert.Equal("Subject: x\r\n\r\nbody\r\n", await File.ReadAllTextAsync(_spool.MessagePath(e.Id)));
        Assert.Equal(new[] { e.Id + ".eml", e.Id + ".json", "hold" }.Order(), Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Only_due_messages_are_loaded_oldest_first()
    {
        var t = new DateTimeOffset(2026, 6, 1, 10, 0, 0, TimeSpan.Zero);
        var late = Envelope(t.AddMinutes(2));
        var early = Envelope(t.AddMinutes(1));
        var future = Envelope(t.AddHours(1));
        foreach (var e in new[] { late, early, future })
        {
            await _spool.EnqueueAsync(e, () => new MemoryStream("x\r\n"u8.ToArray()), default);
        }
        Assert.Equal([early.Id, late.Id], (await _spool.LoadDueAsync(t.AddMinutes(5), default)).Select(e => e.Id));
    }

    [Fact]
    public async Task An_envelope_without_its_message_or_unreadable_goes_to_hold_and_stray_files_are_ignored()
    {
        var e = Envelope(DateTimeOffset.UnixEpoch);
        await _spool.SaveAsync(e, default); // crashed before the message file: cannot happen in EnqueueAsync's order, but tolerated
        var broken = Spool.NewId();
        await File.WriteAllTextAsync(Path.Combine(_dir, broken + ".json"), "{ not json");
        await File.WriteAllTextAsync(Path.Combine(_dir, "../escape.json"), "{}");
        await File.WriteAllTextAsync(Path.Combine(_dir, ".0123.tmp"), "partial");

        Assert.Empty(await _spool.LoadDueAsync(DateTimeOffset.MaxValue, default));
        Assert.True(File.Exists(Path.Combine(_spool.HoldDirectory, e.Id + ".json")));
        Assert.True(File.Exists(Path.Combine(_spool.HoldDirectory, broken + ".json")));
        File.Delete(Path.Combine(_dir, "../escape.json"));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("0123456789ABCDEF0123456789abcdef")]
    [InlineData("")]
    public void Ids_that_are_not_the_spools_own_are_refused(string id)
    {
        Assert.False(Spool.IsValidId(id));
        Assert.Throws<ArgumentException>(() => _spool.MessagePath(id));
    }

    [Fact]
    public void Remove_and_hold_move_both_files()
    {
        var id = Spool.NewId();
        File.WriteAllText(_spool.MessagePath(id), "x");
        File.WriteAllText(Path.Combine(_dir, id + ".json"), "{}");
        _spool.Hold(id);
        Assert.Equal(2, Directory.GetFiles(_spool.HoldDirectory, id + ".*").Length);
        Assert.Empty(Directory.GetFiles(_dir, id + ".*"));
    }
}
