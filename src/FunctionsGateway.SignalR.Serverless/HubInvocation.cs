namespace FunctionsGateway.SignalR.Serverless;

/// <summary>A client Invocation (type 1) forwarded upstream, with arguments normalised to JSON.</summary>
public sealed class HubInvocation
{
    internal HubInvocation(string? invocationId, string target, ReadOnlyMemory<byte> arguments, int argumentCount)
    {
        InvocationId = invocationId;
        Target = target;
        Arguments = arguments;
        ArgumentCount = argumentCount;
    }

    /// <summary>Always <see cref="HubProtocolConstants.InvocationType"/>; other message types are rejected.</summary>
    public int Type { get; } = HubProtocolConstants.InvocationType;

    /// <summary>The invocation id; null (or empty on the wire) means non-blocking: send nothing back.</summary>
    public string? InvocationId { get; }

    /// <summary>The hub method name.</summary>
    public string Target { get; }

    /// <summary>The UTF-8 JSON of the <c>arguments</c> array (MessagePack arguments are converted).</summary>
    public ReadOnlyMemory<byte> Arguments { get; }

    /// <summary>Number of elements in <see cref="Arguments"/>.</summary>
    public int ArgumentCount { get; }

    /// <summary>True when the client waits for a Completion.</summary>
    public bool IsBlocking => InvocationId is not null;
}
