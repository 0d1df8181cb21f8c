using System.Reflection;
using System.Text.Json;
using FunctionsGateway.Core.Pairing;
using FunctionsGateway.Hosting;
using FunctionsGateway.IntegrationTests.Infrastructure;
using FunctionsGateway.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsGateway.IntegrationTests.Hosting;

/// <summary>The admin API's answers when what is behind it fails: never a hang, never an empty 500.</summary>
public sealed class StorageCallGuardTests
{
    [Fact]
    public async Task An_unexpected_failure_behind_the_admin_api_answers_500_with_a_json_error_and_is_logged_as_an_error()
    {
        await using var gw = await GatewayHarness.StartAsync(services =>
        {
            services.AddSingleton(_ => DispatchProxy.Create<IDeviceStore, BrokenStore>());
            services.AddSingleton<AdminPairingEndpoint>();
            services.AddSingleton<StorageCallGuard>();
            services.AddSingleton<AdminPairingApi>();
        });
        // A bug is not weather: it is logged at Error, with its stack trace, once.
        gw.Logs.Expect(541);

        var reply = await gw.Get<AdminPairingApi>().ListAsync(new Microsoft.AspNetCore.Http.DefaultHttpContext().Request, CancellationToken.None);

        Assert.Equal(500, reply.Status);
        Assert.StartsWith("application/json", reply.ContentType, StringComparison.Ordinal);
        Assert.Null(reply.RetryAfter);
        var error = JsonDocument.Parse(reply.Body).RootElement.GetProperty("error");
        Assert.Equal(ErrorCodes.Unavailable, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.DoesNotContain("broken store", System.Text.Encoding.UTF8.GetString(reply.Body.Span), StringComparison.Ordinal);
        Assert.NotNull(Assert.Single(gw.Logs.Entries, e => e.EventId.Id == 541).Exception);
    }

    /// <summary>A device store with a bug in every method.</summary>
    public class BrokenStore : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
            => throw new InvalidOperationException("broken store: " + targetMethod?.Name);
    }
}
