using SmtpDeliver.Diagnostics;

namespace SmtpDeliver;

public sealed partial class Client
{
    /// <summary>Sends RSET (RFC 5321 4.1.1.5) to abort a transaction; the server must answer 2xx.</summary>
    /// <exception cref="SmtpException">The server refused, or the connection failed.</exception>
    public async Task ResetAsync(CancellationToken cancellationToken = default)
    {
        EnterOperation();
        try
        {
            ThrowIfUnusable();
            await ResetCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ExitOperation();
        }
    }

    private async Task ResetCoreAsync(CancellationToken cancellationToken)
    {
        _transport.WriteLine("RSET");
        await FlushAsync(SmtpCommand.Rset, cancellationToken).ConfigureAwait(false);
        var reply = await ReadAsync(SmtpCommand.Rset, _timeouts.Command, cancellationToken).ConfigureAwait(false);
        if (!reply.IsPositiveCompletion)
        {
            throw Status(reply, SmtpCommand.Rset, "2xx");
        }
        _needRset = false;
    }

    /// <summary>
    /// Ends the session: sends QUIT (RFC 5321 4.1.1.10) unless the connection is botched, waits briefly
    /// for any reply, and closes the connection, always. A second close fails with
    /// <see cref="SmtpErrorReason.Closed"/>.
    /// </summary>
    /// <exception cref="SmtpException">QUIT could not be written, or the client was closed already. The connection is closed regardless.</exception>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        if (_closed)
        {
            throw new SmtpException(SmtpErrorReason.Closed, false, SmtpCommand.Quit, "smtp client is closed");
        }
        SmtpException? error = null;
        if (!_transport.Broken)
        {
            try
            {
                _transport.WriteLine("QUIT");
                await _transport.FlushAsync(SmtpCommand.Quit, _timeouts.Quit, cancellationToken).ConfigureAwait(false);
                try
                {
                    // Any reply will do; a server may also just close.
                    await _transport.ReadReplyAsync(SmtpCommand.Quit, false, _timeouts.Quit, cancellationToken).ConfigureAwait(false);
                }
                catch (SmtpException e)
                {
                    Log.CloseProblem(_logger, e.Message);
                }
            }
            catch (SmtpException e)
            {
                error = e;
            }
        }
        await AbortAsync().ConfigureAwait(false);
        if (error is not null)
        {
            throw error;
        }
    }

    /// <summary>
    /// Hands the connection (the TLS stream after TLS) to the caller, who owns it from then on; the client
    /// is closed without QUIT. Bytes already received but not yet read are lost, so detach only between
    /// commands.
    /// </summary>
    public Stream Detach()
    {
        ThrowIfUnusable();
        _closed = true;
        return _transport.Current;
    }

    /// <summary>Closes the session as <see cref="CloseAsync"/> does, without reporting errors; safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            return;
        }
        try
        {
            await CloseAsync().ConfigureAwait(false);
        }
        catch (SmtpException e)
        {
            Log.CloseProblem(_logger, e.Message);
        }
    }

    /// <summary>Closes the connection without QUIT: the raw connection first, so closing TLS cannot block on it.</summary>
    private async ValueTask AbortAsync()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        try
        {
            await _transport.Raw.DisposeAsync().ConfigureAwait(false);
            await _transport.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException e)
        {
            Log.CloseProblem(_logger, e.Message);
        }
    }
}
