namespace SmtpDeliver.Delivery;

/// <summary>The recipients' outcomes so far in one delivery attempt; a recipient without one is pending.</summary>
internal sealed class DeliveryState(DeliveryRequest request)
{
    private readonly RecipientOutcome?[] _outcomes = new RecipientOutcome?[request.Recipients.Count];
    private int _pending = request.Recipients.Count;

    public int PendingCount => _pending;

    /// <summary>The MX host being talked to; recorded with every outcome that carries its reply.</summary>
    public Names.Domain RemoteHost { get; set; }

    public List<int> Pending(int max = int.MaxValue)
    {
        var list = new List<int>(Math.Min(max, _pending));
        for (var i = 0; i < _outcomes.Length && list.Count < max; i++)
        {
            if (_outcomes[i] is null)
            {
                list.Add(i);
            }
        }
        return list;
    }

    public void Set(int index, RecipientStatus status, SmtpResponse? response, string error)
    {
        if (_outcomes[index] is null)
        {
            _pending--;
        }
        _outcomes[index] = new RecipientOutcome(request.Recipients[index], status, response, error)
        {
            RemoteHost = response is null ? default : RemoteHost,
        };
    }

    public void Fail(IEnumerable<int> indexes, RecipientStatus status, SmtpResponse? response, string error)
    {
        foreach (var i in indexes)
        {
            Set(i, status, response, error);
        }
    }

    public void FailPending(RecipientStatus status, SmtpResponse? response, string error) => Fail(Pending(), status, response, error);

    public List<RecipientOutcome> Outcomes() => _outcomes.Select(o => o!).ToList();
}
