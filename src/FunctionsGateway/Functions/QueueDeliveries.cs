using System.Globalization;
using FunctionsGateway.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsGateway.Functions;

/// <summary>A queue trigger's message with the binding data the host sends beside it (message id, dequeue count).</summary>
internal static class QueueDeliveries
{
    public static QueueDelivery From(string message, FunctionContext context)
    {
        var data = context.BindingContext.BindingData;
        var id = data.TryGetValue("Id", out var rawId) ? rawId?.ToString() ?? string.Empty : string.Empty;
        var count = data.TryGetValue("DequeueCount", out var rawCount)
            && long.TryParse(rawCount?.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : 1;
        return new QueueDelivery(id, message, count);
    }
}
