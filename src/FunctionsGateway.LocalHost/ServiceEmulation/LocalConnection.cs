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
    private int closeSent;

    public string ConnectionId { get; } = connectionId;
    public string Hub { get; } = hub;
    public string? UserId { get; } = userId;
    public HubProtocolKind Protocol { get; } = protocol;
    public IHubProtocol HubProtocol { get; } = hubProtocol;
    public ConcurrentDictionary<string, byte> Groups { get; } = new(StringComparer.Ordinal);

    /// <summary>Cancelled when the service ends the connection, which ends its read loop.</summary>
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

    /// <summary>
    /// How long a client may take to end its transport after the REST close's Close message. The service's own bound is
    /// not documented; this one only keeps a client that ignores the message from holding the connection forever.
    /// </summary>
    public static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The REST close, as the service does it: a Close message carrying the reason with <c>allowReconnect: true</c>,
    /// and the transport left for the client to end (a SignalR client does so on receiving it). A client that has not
    /// hung up <see cref="CloseGrace"/> later is disconnected. Closing twice sends one Close message.
    /// </summary>
    public async Task CloseAsync(string? reason)
    {
        if (Interlocked.Exchange(ref closeSent, 1) != 0)
        {
            return;
        }

        await TrySendCloseAsync(new CloseMessage(reason, allowReconnect: true));
        try
        {
            closing.CancelAfter(CloseGrace);
        }
        catch (ObjectDisposedException)
        {
            // The connection already ended on its own.
        }
    }

    /// <summary>
    /// Refuses a client that broke the protocol: a Close message naming the problem, with <c>allowReconnect: false</c>
    /// (the same client would only send the same bytes again), then the connection ends at once.
    /// </summary>
    public async Task RefuseAsync(string error)
    {
        if (Interlocked.Exchange(ref closeSent, 1) == 0)
        {
            await TrySendCloseAsync(new CloseMessage(error, allowReconnect: false));
        }

        await EndAsync();
    }

    /// <summary>Ends the connection without a word (the client sent its own Close).</summary>
    public async Task EndAsync()
    {
        try
        {
            await closing.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // The connection already ended on its own.
        }
    }

    private async Task TrySendCloseAsync(CloseMessage close)
    {
        try
        {
            await WriteMessageAsync(close, CancellationToken.None);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The transport is already gone; there is no one left to tell.
        }
    }

    public void Dispose()
    {
        closing.Dispose();
        writeLock.Dispose();
    }
}
