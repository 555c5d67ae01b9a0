using System.Net;
using SmtpDeliver.Delivery;
using SmtpDeliver.Names;

namespace SmtpDeliver.Tests.Delivery;

/// <summary>A dial history survives a queue restart through its entries, and stays bounded when restored.</summary>
public class DialHistoryTests
{
    [Fact]
    public void Entries_round_trip_in_dial_order()
    {
        var history = new DialHistory();
        var mx1 = new IPDomain(Domain.Parse("mx1.example.org"));
        var literal = new IPDomain(IPAddress.Parse("127.0.0.9"));
        history.Record(mx1, IPAddress.Parse("::1"));
        history.Record(literal, IPAddress.Parse("127.0.0.9"));
        history.Record(mx1, IPAddress.Parse("127.0.0.1"));

        var restored = DialHistory.FromEntries(history.Entries);

        Assert.Equal(["mx1.example.org", "127.0.0.9"], restored.Entries.Select(e => e.Key));
        Assert.Equal([IPAddress.Parse("::1"), IPAddress.Parse("127.0.0.1")], restored.For(mx1));
        Assert.Equal([IPAddress.Parse("127.0.0.9")], restored.For(literal));
    }

    [Fact]
    public void Restored_entries_keep_the_limits()
    {
        var many = Enumerable.Range(0, DialHistory.MaxHosts + 10)
            .Select(i => new KeyValuePair<string, IReadOnlyList<IPAddress>>($"mx{i}.example.org", [IPAddress.Loopback]))
            .Append(new("big.example.org", [.. Enumerable.Range(1, DialHistory.MaxAddressesPerHost + 8).Select(i => IPAddress.Parse($"127.0.0.{i}"))]))
            .ToList();

        var restored = DialHistory.FromEntries(many);

        Assert.Equal(DialHistory.MaxHosts, restored.Entries.Count);
        var big = restored.For(new IPDomain(Domain.Parse("big.example.org")));
        Assert.Equal(DialHistory.MaxAddressesPerHost, big.Count);
        Assert.Equal(IPAddress.Parse($"127.0.0.{DialHistory.MaxAddressesPerHost + 8}"), big[^1]);
        Assert.Throws<ArgumentException>(() => DialHistory.FromEntries([new("", [IPAddress.Loopback])]));
        Assert.Throws<ArgumentException>(() => DialHistory.FromEntries([new(new string('a', 254), [IPAddress.Loopback])]));
    }
}
