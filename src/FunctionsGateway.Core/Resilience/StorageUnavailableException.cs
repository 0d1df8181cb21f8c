namespace FunctionsGateway.Core.Resilience;

/// <summary>
/// Storage did not answer within its deadline, or answered that it cannot serve right now (a timeout, a refused
/// connection, a 5xx). The storage layer raises it in place of its SDK's exceptions, so the core can tell a fault of
/// the moment (answered <c>UNAVAILABLE</c>, retried by the caller) from a bug without knowing the SDK.
/// </summary>
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException()
        : this("storage is unavailable")
    {
    }

    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    public StorageUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
