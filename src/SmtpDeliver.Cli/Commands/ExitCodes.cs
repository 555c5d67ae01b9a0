namespace SmtpDeliver.Cli.Commands;

/// <summary>Exit codes, as mail tools use them (sysexits.h), plus the DANE verdicts of <c>dane verify</c>.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>dane verify: DANE applies and verification failed.</summary>
    public const int DaneFailed = 1;
    /// <summary>dane verify: DANE does not apply.</summary>
    public const int DaneNotApplicable = 2;
    /// <summary>EX_USAGE.</summary>
    public const int Usage = 64;
    /// <summary>EX_DATAERR: bad input data (message file, certificate file).</summary>
    public const int DataError = 65;
    /// <summary>EX_UNAVAILABLE: permanent failure.</summary>
    public const int Permanent = 69;
    /// <summary>EX_TEMPFAIL: temporary failure.</summary>
    public const int Temporary = 75;
}
