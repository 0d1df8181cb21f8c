using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace FunctionsGateway.LocalHost.ServiceEmulation;

/// <summary>One client connection to the local service endpoint: its protocol, groups, and a serialized writer.</summary>
internal sealed class LocalConnection(string connectionId, string hub, string? userId, HubProtocolKind protocol, IHubProtocol hubProtocol, PipeWriter output) : IDisposable
{
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly CancellationTokenSource closing = new();

    public string ConnectionId { get; } = connectionId;
    public string Hub { get; } = hub;
    public string? UserId { get; } = userId;
    public HubProtocolKind Protocol { get; } = protocol;
    public IHubProtocol HubProtocol { get; } = hubProtocol;
    public ConcurrentDictionary<string, byte> Groups { get; } = new(StringComparer.Ordinal);

    /// <summary>Cancelled when the service closes the connection, which ends its read loop.</summary>
    public CancellationToken Closing => closing.Token;

    /// <summary>Writes bytes that are already a framed message in this connection's protocol.</summary>
    /// <remarks>A connection the service has already closed drops a late answer quietly, as the service does.</remarks>
    public async Task WriteFramedAsync(ReadOnlyMemory<byte> framed, CancellationToken cancellationToken)
    {
        try
        {
            await writeLock.WaitAsync(cancellationToken);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            await output.WriteAsync(framed, cancellationToken);
        }
        catch (Exception ex) when (closing.IsCancellationRequested && ex is ObjectDisposedException or InvalidOperationException or IOException)
        {
            // Closed while the answer was on its way.
        }
        finally
        {
            writeLock.Release();
        }
    }

    public async Task WriteMessageAsync(HubMessage message, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        HubProtocol.WriteMessage(message, buffer);
        await WriteFramedAsync(buffer.WrittenMemory, cancellationToken);
    }

    /// <summary>Sends a Close frame carrying the reason, then ends the connection (as the service's REST close does).</summary>
    public async Task CloseAsync(string? reason)
    {
        if (closing.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await WriteMessageAsync(new CloseMessage(reason, allowReconnect: false), CancellationToken.None);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The transport is already gone; ending the loop is all that is left to do.
        }

        try
        {
            await closing.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // The connection already ended on its own.
        }
    }

    public void Dispose()
    {
        closing.Dispose();
        writeLock.Dispose();
    }
}
