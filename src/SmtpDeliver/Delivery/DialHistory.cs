using System.Net;
using SmtpDeliver.Dns;
using SmtpDeliver.Names;

namespace SmtpDeliver.Delivery;

/// <summary>
/// The addresses dialed for one message, per host, so the next attempt tries the other address family
/// first and a greylisting server sees the same client address again (RFC 5321 5.1, as mox's queue keeps
/// it per message). One history belongs to one message: keep it with the message between attempts.
/// Thread-safe and bounded: at most <see cref="MaxHosts"/> hosts with <see cref="MaxAddressesPerHost"/>
/// addresses each, the oldest forgotten first.
/// </summary>
public sealed class DialHistory
{
    /// <summary>Hosts remembered.</summary>
    public const int MaxHosts = 64;

    /// <summary>Addresses remembered per host.</summary>
    public const int MaxAddressesPerHost = 32;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<IPAddress>> _byHost = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<string> _hostOrder = new();

    /// <summary>Notes that <paramref name="address"/> of <paramref name="host"/> was dialed.</summary>
    public void Record(IPDomain host, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Record(host.ToString(), address);
    }

    /// <summary>
    /// What was dialed, for a queue to store with the message between attempts (a restart keeps RFC 5321 5.1's
    /// order: the other family first, the same address for greylisting): per host (as
    /// <see cref="IPDomain.ToString"/> writes it), in the order hosts were first dialed, addresses oldest first.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, IReadOnlyList<IPAddress>>> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _hostOrder.Select(h => new KeyValuePair<string, IReadOnlyList<IPAddress>>(h, [.. _byHost[h]]))];
            }
        }
    }

    /// <summary>
    /// A history restored from stored <see cref="Entries"/>; the limits apply as when recording (the oldest
    /// entries beyond them are dropped), so a stored history that was tampered with stays bounded.
    /// </summary>
    /// <exception cref="ArgumentException">A host is empty or longer than a domain name can be (253 characters), or an address is null.</exception>
    public static DialHistory FromEntries(IEnumerable<KeyValuePair<string, IReadOnlyList<IPAddress>>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var history = new DialHistory();
        foreach (var (host, addresses) in entries)
        {
            // RFC 1035 2.3.4: a name is at most 253 characters as text (an address literal is shorter).
            if (string.IsNullOrEmpty(host) || host.Length > 253 || addresses is null || addresses.Any(a => a is null))
            {
                throw new ArgumentException("a stored dial history entry has no host, a host too long to be one, or a null address", nameof(entries));
            }
            foreach (var address in addresses)
            {
                history.Record(host, address);
            }
        }
        return history;
    }

    private void Record(string key, IPAddress address)
    {
        lock (_lock)
        {
            if (!_byHost.TryGetValue(key, out var list))
            {
                if (_byHost.Count == MaxHosts)
                {
                    _byHost.Remove(_hostOrder.Dequeue());
                }
                _byHost[key] = list = [];
                _hostOrder.Enqueue(key);
            }
            if (list.Count == MaxAddressesPerHost)
            {
                list.RemoveAt(0);
            }
            list.Add(address);
        }
    }

    /// <summary>The addresses dialed for <paramref name="host"/>, oldest first.</summary>
    public IReadOnlyList<IPAddress> For(IPDomain host)
    {
        lock (_lock)
        {
            return _byHost.TryGetValue(host.ToString(), out var list) ? [.. list] : [];
        }
    }

    /// <summary>A copy for <see cref="Gather.IPsAsync"/>.</summary>
    internal IReadOnlyDictionary<string, List<IPAddress>> Snapshot()
    {
        lock (_lock)
        {
            return _byHost.ToDictionary(e => e.Key, e => e.Value.ToList(), StringComparer.OrdinalIgnoreCase);
        }
    }
}
