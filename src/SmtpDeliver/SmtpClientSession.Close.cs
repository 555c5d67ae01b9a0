using SmtpDeliver.Diagnostics;

namespace SmtpDeliver;

public sealed partial class SmtpClientSession
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
    /// Ends the session: sends QUIT (RFC 5321 4.1.1.10) unless the connection is broken, waits briefly
    /// for any reply, and closes the connection, always, also when <paramref name="cancellationToken"/>
    /// is cancelled. A second close fails with <see cref="SmtpErrorReason.Closed"/>.
    /// </summary>
    /// <exception cref="SmtpException">QUIT could not be written, or the client was closed already. The connection is closed regardless.</exception>
    /// <exception cref="OperationCanceledException">Cancelled while sending QUIT; the connection is closed regardless.</exception>
    /// <exception cref="InvalidOperationException">Another operation is in progress.</exception>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        EnterOperation();
        try
        {
            if (_closed)
            {
                throw new SmtpException(SmtpErrorReason.Closed, false, SmtpCommand.Quit, "smtp client is closed");
            }
            await QuitCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ExitOperation();
        }
    }

    private async Task QuitCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!_transport.Broken)
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
        }
        finally
        {
            await AbortAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// After a failed setup: QUIT when the session is still in step (RFC 5321 4.1.1.10 SHOULD, e.g. after
    /// a refused EHLO, STARTTLS or AUTH), else just close: after a 421 (the server is closing, RFC 5321
    /// 3.8) or a positive reply where a refusal or 220 was due (out of step). Never throws.
    /// </summary>
    private async ValueTask QuitAfterFailedSetupAsync(Exception failure)
    {
        if (failure is SmtpException { Response.Code: 421 or (> 0 and < 400) })
        {
            await AbortAsync().ConfigureAwait(false);
            return;
        }
        await QuitQuietlyAsync().ConfigureAwait(false);
    }

    /// <summary>QUIT and close, logging instead of throwing.</summary>
    private async ValueTask QuitQuietlyAsync()
    {
        try
        {
            await QuitCoreAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SmtpException or OperationCanceledException or IOException)
        {
            Log.CloseProblem(_logger, e.Message);
        }
    }

    /// <summary>The connection as it is now (the TLS stream after TLS); for tests of closing.</summary>
    internal Stream ConnectionStream => _transport.Current;

    /// <summary>
    /// Hands the connection (the TLS stream after TLS) to the caller, who owns it from then on; the client
    /// is closed without QUIT. Bytes already received but not yet read are lost, so detach only between
    /// commands.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another operation is in progress.</exception>
    /// <exception cref="SmtpException">The client is closed or broken.</exception>
    public Stream Detach()
    {
        EnterOperation();
        try
        {
            ThrowIfUnusable();
            _closed = true;
            CountPendingTlsHandshake();
            SmtpActivitySource.Stop(_activity);
            return _transport.Current;
        }
        finally
        {
            ExitOperation();
        }
    }

    /// <summary>
    /// Closes the session as <see cref="CloseAsync"/> does, without reporting errors; safe to call more than
    /// once. While another operation is in progress, the connection is closed at once without QUIT, which
    /// makes that operation fail.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            return;
        }
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            await AbortAsync().ConfigureAwait(false);
            return;
        }
        try
        {
            await QuitQuietlyAsync().ConfigureAwait(false);
        }
        finally
        {
            ExitOperation();
        }
    }

    /// <summary>
    /// Closes the connection without QUIT: the raw connection first, so closing TLS cannot block on it,
    /// then the TLS stream, whose native state would otherwise wait for the finalizer.
    /// </summary>
    private async ValueTask AbortAsync()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }
        _closed = true;
        CountPendingTlsHandshake();
        SmtpActivitySource.Stop(_activity);
        try
        {
            await _transport.Raw.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException e)
        {
            Log.CloseProblem(_logger, e.Message);
        }
        try
        {
            if (!ReferenceEquals(_transport.Current, _transport.Raw))
            {
                await _transport.Current.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            Log.CloseProblem(_logger, e.Message);
        }
        // The buffers go back to the pool only once no operation can still read or write them.
        if (Interlocked.CompareExchange(ref _busy, 1, 0) == 0)
        {
            ExitOperation();
        }
    }

    /// <summary>Once closed and idle: returns the pooled buffers, once.</summary>
    private void ReleaseIfClosed()
    {
        if (Volatile.Read(ref _aborted) != 0 && Interlocked.Exchange(ref _released, 1) == 0)
        {
            _transport.ReleaseBuffers();
            Interlocked.Exchange(ref _idleBdatProgress, null)?.Dispose();
        }
    }
}
