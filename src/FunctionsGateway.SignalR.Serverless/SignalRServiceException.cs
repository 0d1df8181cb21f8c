namespace FunctionsGateway.SignalR.Serverless;

/// <summary>A SignalR REST call failed. The message holds the operation, status and service error code, never tokens.</summary>
public sealed class SignalRServiceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SignalRServiceException()
    {
        Operation = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    public SignalRServiceException(string message)
        : base(message)
    {
        Operation = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    public SignalRServiceException(string message, Exception innerException)
        : base(message, innerException)
    {
        Operation = string.Empty;
    }

    /// <summary>Creates the exception for a failed operation.</summary>
    public SignalRServiceException(string operation, int statusCode, string? errorCode)
        : base(errorCode is null
            ? $"SignalR Service {operation} failed with status {statusCode}."
            : $"SignalR Service {operation} failed with status {statusCode} ({errorCode}).")
    {
        Operation = operation;
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    /// <summary>Creates the exception for an operation that was never sent: no Entra token could be had for it.</summary>
    public SignalRServiceException(string operation, string reason, Exception innerException)
        : base($"SignalR Service {operation} was not sent: no Entra token ({reason}).", innerException)
    {
        Operation = operation;
    }

    /// <summary>The REST operation, e.g. <c>SendToGroup</c>.</summary>
    public string Operation { get; }

    /// <summary>The HTTP status code.</summary>
    public int StatusCode { get; }

    /// <summary>The <c>x-ms-error-code</c> header, if any.</summary>
    public string? ErrorCode { get; }
}
