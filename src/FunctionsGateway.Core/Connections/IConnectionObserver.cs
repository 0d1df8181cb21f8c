using FunctionsGateway.Core.Events;

namespace FunctionsGateway.Core.Connections;

/// <summary>A concern that keeps state per live connection (the worker registry): told when one is admitted or gone.</summary>
public interface IConnectionObserver
{
    Task AdmittedAsync(AdmittedConnection connection, CancellationToken cancellationToken);

    Task GoneAsync(ConnectionRecord connection, CancellationToken cancellationToken);
}
