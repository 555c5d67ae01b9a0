using System.Net;
using Microsoft.Extensions.Time.Testing;
using SmtpDeliver.Dane;
using SmtpDeliver.Delivery;
using SmtpDeliver.Delivery.MtaSts;
using SmtpDeliver.Names;

namespace SmtpDeliver.Tests.Delivery;

/// <summary>The pool's key and its concurrency places, without sockets.</summary>
public class ConnectionReusePoolTests
{
    private static readonly DestinationKey Destination = new("mx.example.org", IPAddress.Loopback, 25);

    private static readonly TlsaRecord Record = new(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha256, new byte[32]);

    private static SessionKey KeyFor(HostSecurityInputs inputs, IReadOnlyList<TlsaRecord>? records = null, string name = "mx.example.org")
    {
        var plan = HostSecurityPolicy.Decide(inputs);
        return SessionKey.For(Destination, plan, plan.UseDaneRecords ? records : null, [Domain.Parse(name)]);
    }

    private static HostSecurityInputs Opportunistic => new(DaneApplicability.NotApplicable, MtaStsMode.None, false, false, RequireTlsPolicy.Enforce, false);

    [Fact]
    public void Messages_with_the_same_policy_share_a_key()
    {
        Assert.Equal(KeyFor(Opportunistic), KeyFor(Opportunistic with { }));
        Assert.Equal(KeyFor(Opportunistic with { Dane = DaneApplicability.Usable }, [Record]), KeyFor(Opportunistic with { Dane = DaneApplicability.Usable }, [Record]));
    }

    [Fact]
    public void A_stricter_policy_never_matches_a_session_set_up_under_a_weaker_one()
    {
        var weak = KeyFor(Opportunistic);
        Assert.NotEqual(weak, KeyFor(Opportunistic with { RequireTls = true }));
        Assert.NotEqual(weak, KeyFor(Opportunistic with { MtaSts = MtaStsMode.Enforce, MxMatchesMtaSts = true }));
        Assert.NotEqual(weak, KeyFor(Opportunistic with { Dane = DaneApplicability.Usable }, [Record]));
        Assert.NotEqual(weak, KeyFor(Opportunistic with { Dane = DaneApplicability.AllUnusable }));
        // "TLS-Required: No" ignores verification errors: its sessions never carry a DANE message.
        Assert.NotEqual(KeyFor(Opportunistic with { Dane = DaneApplicability.Usable }, [Record]),
            KeyFor(Opportunistic with { Dane = DaneApplicability.Usable, TlsRequiredNo = true }, [Record]));
        // Other TLSA records, or another name verified, is another key.
        Assert.NotEqual(KeyFor(Opportunistic with { Dane = DaneApplicability.Usable }, [Record]),
            KeyFor(Opportunistic with { Dane = DaneApplicability.Usable }, [Record with { Usage = TlsaUsage.DaneTa }]));
        var enforce = Opportunistic with { MtaSts = MtaStsMode.Enforce, MxMatchesMtaSts = true };
        Assert.NotEqual(KeyFor(enforce), KeyFor(enforce, name: "other.example.org"));
    }

    [Fact]
    public async Task The_concurrency_limit_holds_further_deliveries_until_a_place_is_given_back()
    {
        await using var pool = new SessionPool(ConnectionReuseOptions.Default, 2, new FakeTimeProvider(), SmtpMetrics.For(null), null);
        var first = await pool.EnterAsync(Destination, 1, CancellationToken.None);
        var second = await pool.EnterAsync(Destination, 2, CancellationToken.None);
        var third = pool.EnterAsync(Destination, 3, CancellationToken.None).AsTask();
        Assert.False(third.IsCompleted);
        // Another destination has its own places.
        using (await pool.EnterAsync(Destination with { Port = 26 }, 4, CancellationToken.None))
        {
        }
        Assert.True(second.Demand);
        second.Dispose();
        using var place = await third.WaitAsync(TimeSpan.FromSeconds(15));
        first.Dispose();
    }

    [Fact]
    public async Task Waiting_for_a_place_can_be_cancelled()
    {
        await using var pool = new SessionPool(ConnectionReuseOptions.Default, 1, new FakeTimeProvider(), SmtpMetrics.For(null), null);
        using var held = await pool.EnterAsync(Destination, 1, CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var waiting = pool.EnterAsync(Destination, 2, cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
