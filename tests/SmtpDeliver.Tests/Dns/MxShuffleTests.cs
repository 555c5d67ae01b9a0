using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.Tests.Dns;

/// <summary>RFC 5321 5.1: MX hosts of equal preference are tried in random order.</summary>
public class MxShuffleTests
{
    private static InMemoryResolver Resolver() => new()
    {
        AllAuthentic = true,
        Mx =
        {
            ["equal.example."] =
            [
                new("backup.equal.example.", 20),
                new("a.equal.example.", 10),
                new("b.equal.example.", 10),
            ],
        },
    };

    // Issue 11 item 10: failed before the fix (the resolver's order was kept, "a" always came first).
    [Fact]
    public async Task EqualPreferenceHostsComeOutInBothOrders()
    {
        var resolver = Resolver();
        var random = new Random(1);
        var firsts = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 32; i++)
        {
            var d = await Gather.DestinationsAsync(resolver, new IPDomain(Domain.Parse("equal.example")), default, random);
            Assert.Equal([10, 10, 20], d.Hosts.Select(h => h.Preference));
            Assert.Equal("backup.equal.example", d.Hosts[2].Host.ToString());
            Assert.Equal(["a.equal.example", "b.equal.example"], d.Hosts.Take(2).Select(h => h.Host.ToString()).Order(StringComparer.Ordinal));
            firsts.Add(d.Hosts[0].Host.ToString());
        }
        Assert.Equal(["a.equal.example", "b.equal.example"], firsts.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task DefaultRandomnessKeepsPreferenceOrder()
    {
        var d = await Gather.DestinationsAsync(Resolver(), new IPDomain(Domain.Parse("equal.example")), default);
        Assert.Equal([10, 10, 20], d.Hosts.Select(h => h.Preference));
    }
}
