namespace SmtpDeliver.Delivery;

/// <summary>
/// One of a destination's places under <see cref="DeliveryOptions.DestinationConcurrencyLimit"/>, held by one
/// connection round of a delivery; dispose it to give the place back.
/// </summary>
internal sealed class PoolPlace : IDisposable
{
    private readonly DestinationKey _destination;
    private readonly long _run;
    private readonly Action<DestinationKey, SessionPool.DestinationSlot, long> _leave;
    private int _disposed;

    internal PoolPlace(DestinationKey destination, SessionPool.DestinationSlot slot, long run, bool demand, Action<DestinationKey, SessionPool.DestinationSlot, long> leave)
    {
        _destination = destination;
        Slot = slot;
        _run = run;
        Demand = demand;
        _leave = leave;
    }

    /// <summary>The destination's slot.</summary>
    internal SessionPool.DestinationSlot Slot { get; }

    /// <summary>Another delivery to the destination was under way, or ended recently, when this one entered.</summary>
    public bool Demand { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _leave(_destination, Slot, _run);
        }
    }
}
