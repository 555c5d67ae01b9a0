using System.Net.Sockets;
using System.Net;
using SmtpDeliver.Delivery;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;
using SmtpDeliver.Testing;

namespace SmtpDeliver.Tests.Delivery;

/// <summary>mox's TestDialHost and the dialer's ordering and binding (checklist 101–102).</summary>
public class DialerTests
{
    [Fact]
    public async Task Dual_stack_host_is_dialed_in_the_other_family_after_a_first_attempt()
    {
        var resolver = new InMemoryResolver { A = { ["dualstack.example."] = ["127.0.0.1"] }, Aaaa = { ["dualstack.example."] = ["::1"] } };
        var connected = new List<IPEndPoint>();
        var dialer = new Dialer
        {
            // No network: the connect function records the address and hands back an unconnected socket.
            Connect = (remote, _, _) =>
            {
                connected.Add(remote);
                return Task.FromResult(new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
            },
        };
        var host = new IPDomain(Domain.Parse("dualstack.example"));
        var history = new DialHistory();

        var first = await Gather.IPsAsync(resolver, AddressFamilyFilter.Any, host, history.Snapshot(), default);
        Assert.Equal([IPAddress.Parse("127.0.0.1"), IPAddress.IPv6Loopback], first.Addresses);
        Assert.True(first.DualStack);
        using (var c = await dialer.DialAsync(host, first.Addresses, 25, history: history))
        {
            Assert.Equal(IPAddress.Parse("127.0.0.1"), c.Address);
        }

        var second = await Gather.IPsAsync(resolver, AddressFamilyFilter.Any, host, history.Snapshot(), default);
        Assert.Equal([IPAddress.IPv6Loopback, IPAddress.Parse("127.0.0.1")], second.Addresses);
        using (var c = await dialer.DialAsync(host, second.Addresses, 25, history: history))
        {
            Assert.Equal(IPAddress.IPv6Loopback, c.Address);
        }
        Assert.Equal([IPAddress.Parse("127.0.0.1"), IPAddress.IPv6Loopback], history.For(host));
    }

    [Fact]
    public async Task Retries_the_same_address_once_for_greylisting_then_moves_on()
    {
        var resolver = new InMemoryResolver { A = { ["grey.example."] = ["127.0.0.1", "127.0.0.2"] } };
        var host = new IPDomain(Domain.Parse("grey.example"));
        var dialed = new Dictionary<string, List<IPAddress>> { ["grey.example"] = [IPAddress.Parse("127.0.0.2")] };
        Assert.Equal("127.0.0.2", (await Gather.IPsAsync(resolver, AddressFamilyFilter.Any, host, dialed, default)).Addresses[0].ToString());
        dialed["grey.example"].Add(IPAddress.Parse("127.0.0.2"));
        Assert.Equal("127.0.0.1", (await Gather.IPsAsync(resolver, AddressFamilyFilter.Any, host, dialed, default)).Addresses[0].ToString());
    }

    [Fact]
    public async Task Tries_addresses_in_order_binds_local_address_of_the_family_and_reports_the_last_error()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var dialer = new Dialer { LocalAddresses = [IPAddress.IPv6Loopback, IPAddress.Parse("127.0.0.7")] };
        var host = new IPDomain(Domain.Parse("mx.example"));
        // 127.0.0.9 has no listener: refused, then 127.0.0.1 answers.
        using var c = await dialer.DialAsync(host, [IPAddress.Parse("127.0.0.9"), IPAddress.Loopback], port);
        Assert.Equal(IPAddress.Loopback, c.Address);
        Assert.Equal(IPAddress.Parse("127.0.0.7"), ((IPEndPoint)c.Socket.LocalEndPoint!).Address);
        Assert.True(c.Socket.NoDelay);
        using var accepted = await listener.AcceptSocketAsync();

        await Assert.ThrowsAsync<SocketException>(() => new Dialer().DialAsync(host, [IPAddress.Parse("127.0.0.9")], port));
        await Assert.ThrowsAsync<ArgumentException>(() => new Dialer().DialAsync(host, [], port));
    }
}
