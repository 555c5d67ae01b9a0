using Microsoft.Extensions.Logging;
using QueueWorker;

// The example queue worker of docs/queue.md: delivers the spool until Ctrl+C (or --iterations passes).
WorkerOptions options;
try
{
    options = WorkerOptions.Parse(args);
}
catch (FormatException e)
{
    await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
    return 64; // EX_USAGE
}
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
await using var worker = new Worker(options, loggerFactory);
try
{
    await worker.RunAsync(cancel.Token).ConfigureAwait(false);
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
}
return 0;
