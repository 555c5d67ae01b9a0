using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SmtpDeliver.Dns;
using SmtpDeliver.Tests.Support;

namespace SmtpDeliver.Tests.Dns;

/// <summary>
/// When the AD bit of a resolver's answers is believed (RFC 6840 5.7, RFC 4035 4.9.3): with an explicit
/// setting; else for resolvers on loopback, or the system's resolvers when resolv.conf (or RES_OPTIONS)
/// has glibc's "trust-ad" option. Otherwise every answer counts as insecure.
/// </summary>
public sealed class ValidatingResolverTrustTests
{
    /// <summary>A DNS server on loopback UDP answering every query with one A record 127.0.0.1 and the AD bit set.</summary>
    private sealed class AuthenticDataResponder : IDisposable
    {
        private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
        private int _queries;

        public AuthenticDataResponder() => _ = Task.Run(ServeAsync);

        public IPEndPoint EndPoint => (IPEndPoint)_udp.Client.LocalEndPoint!;

        public int Queries => Volatile.Read(ref _queries);

        private async Task ServeAsync()
        {
            try
            {
                while (true)
                {
                    var request = await _udp.ReceiveAsync();
                    Interlocked.Increment(ref _queries);
                    await _udp.SendAsync(Answer(request.Buffer), request.RemoteEndPoint);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        /// <summary>RFC 1035 4.1: the query's id and question, QR, RD, RA and AD (RFC 4035 3.2.3) set, one A record.</summary>
        private static byte[] Answer(byte[] query)
        {
            var end = 12;
            while (query[end] != 0)
            {
                end += query[end] + 1;
            }
            end += 1 + 4;
            var answer = new List<byte>();
            answer.AddRange(query.AsSpan(0, 2).ToArray());
            answer.AddRange([(byte)(0x80 | (query[2] & 0x01)), 0x80 | 0x20, 0, 1, 0, 1, 0, 0, 0, 0]);
            answer.AddRange(query.AsSpan(12, end - 12).ToArray());
            var record = new byte[16];
            BinaryPrimitives.WriteUInt16BigEndian(record, 0xC00C);
            BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(2), 1);
            BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(4), 1);
            BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(6), 60);
            BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(10), 4);
            IPAddress.Loopback.GetAddressBytes().CopyTo(record, 12);
            answer.AddRange(record);
            return [.. answer];
        }

        public void Dispose() => _udp.Dispose();
    }

    private static readonly IPEndPoint Loopback = new(IPAddress.Parse("127.0.0.1"), 20054);
    private static readonly IPEndPoint Loopback6 = new(IPAddress.IPv6Loopback, 53);
    private static readonly IPEndPoint Remote = new(IPAddress.Parse("192.0.2.1"), 53);

    [Theory]
    [InlineData(new[] { "127.0.0.1:20054" }, false, null, null, true, "resolver 127.0.0.1:20054 is on loopback")]
    [InlineData(new[] { "127.0.0.1:20054", "[::1]:53" }, false, null, null, true, "resolvers 127.0.0.1:20054, [::1]:53 are on loopback")]
    [InlineData(new[] { "127.0.0.53:53" }, true, "nameserver 127.0.0.53\n", null, true, "resolver 127.0.0.53:53 is on loopback")]
    [InlineData(new[] { "192.0.2.1:53" }, true, "nameserver 192.0.2.1\noptions edns0 trust-ad\n", null, true, "resolv.conf has options trust-ad")]
    [InlineData(new[] { "192.0.2.1:53" }, true, "nameserver 192.0.2.1\noptions edns0\n", "rotate trust-ad", true, "RES_OPTIONS has trust-ad")]
    [InlineData(new[] { "192.0.2.1:53" }, true, "nameserver 192.0.2.1\n# options trust-ad\noptions edns0\n", null, false, "resolver 192.0.2.1:53 is not on loopback and resolv.conf lacks options trust-ad: dnssec answers are treated as insecure")]
    [InlineData(new[] { "192.0.2.1:53", "127.0.0.1:53" }, true, "nameserver 192.0.2.1\nnameserver 127.0.0.1\n", "", false, "resolver 192.0.2.1:53 is not on loopback and resolv.conf lacks options trust-ad: dnssec answers are treated as insecure")]
    [InlineData(new[] { "192.0.2.1:53" }, false, "options trust-ad\n", "trust-ad", false, "resolver 192.0.2.1:53 is not on loopback: dnssec answers are treated as insecure")]
    public void Automatic_decision(string[] servers, bool fromSystem, string? resolvConf, string? resOptions, bool trusted, string reason)
    {
        var endPoints = servers.Select(IPEndPoint.Parse).ToList();
        Assert.Equal((trusted, reason), ValidatingResolver.DecideAuthenticDataTrust(null, endPoints, fromSystem, resolvConf, resOptions));
    }

    [Fact]
    public void Explicit_setting_overrides_the_automatic_decision()
    {
        Assert.False(ValidatingResolver.DecideAuthenticDataTrust(false, [Loopback], false, null, null).Trusted);
        Assert.False(ValidatingResolver.DecideAuthenticDataTrust(false, [Remote], true, "options trust-ad", null).Trusted);
        Assert.True(ValidatingResolver.DecideAuthenticDataTrust(true, [Remote], false, null, null).Trusted);
        Assert.True(ValidatingResolver.DecideAuthenticDataTrust(true, [Remote, Loopback6], true, "nameserver 192.0.2.1", null).Trusted);
    }

    [Fact]
    public void System_resolvers_come_from_resolv_conf()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "search example.org\nnameserver 192.0.2.1\noptions trust-ad\n");
            var trusting = new ValidatingResolver(TimeSpan.FromSeconds(1), [], path, null);
            Assert.Equal((true, "resolv.conf has options trust-ad"), (trusting.AuthenticDataTrusted, trusting.AuthenticDataTrustReason));

            File.WriteAllText(path, "nameserver 192.0.2.1\n");
            var untrusting = new ValidatingResolver(TimeSpan.FromSeconds(1), [], path, null);
            Assert.False(untrusting.AuthenticDataTrusted);
            Assert.Contains("lacks options trust-ad", untrusting.AuthenticDataTrustReason, StringComparison.Ordinal);

            var overridden = new ValidatingResolver(TimeSpan.FromSeconds(1), [], path, null) { TrustAuthenticData = true };
            Assert.True(overridden.AuthenticDataTrusted);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Issue 11 item 7: failed before the fix (the AD bit was believed from any resolver).
    [Fact]
    public async Task Untrusted_resolvers_ad_bit_is_ignored()
    {
        using var server = new AuthenticDataResponder();
        var logger = new CapturingLogger();
        var resolver = new ValidatingResolver(TimeSpan.FromSeconds(5), server.EndPoint) { TrustAuthenticData = false, Logger = logger };

        var first = await resolver.LookupIPAsync(AddressFamilyFilter.IPv4, "mx.example.", CancellationToken.None);
        var second = await resolver.LookupTxtAsync("example.", CancellationToken.None);

        Assert.Equal(DnsStatus.Success, first.Status);
        Assert.Equal([IPAddress.Loopback], first.Records);
        Assert.False(first.Authentic);
        Assert.False(second.Authentic);
        Assert.Equal(2, server.Queries);
        Assert.False(resolver.AuthenticDataTrusted);
        // Logged once, not per query.
        Assert.Single(logger.Lines, l => l.Contains(resolver.AuthenticDataTrustReason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Loopback_resolvers_ad_bit_is_believed_by_default()
    {
        using var server = new AuthenticDataResponder();
        var resolver = new ValidatingResolver(TimeSpan.FromSeconds(5), server.EndPoint);

        var result = await resolver.LookupIPAsync(AddressFamilyFilter.IPv4, "mx.example.", CancellationToken.None);

        Assert.Equal(DnsStatus.Success, result.Status);
        Assert.True(result.Authentic);
        Assert.True(resolver.AuthenticDataTrusted);
        Assert.Equal($"resolver {server.EndPoint} is on loopback", resolver.AuthenticDataTrustReason);
    }
}
