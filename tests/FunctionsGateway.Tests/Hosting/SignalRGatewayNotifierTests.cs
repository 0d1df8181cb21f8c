using System.Text.Json;
using FunctionsGateway.Core.Events;
using FunctionsGateway.Hosting;
using FunctionsGateway.Protocol;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.Extensions.Logging.Abstractions;

namespace FunctionsGateway.Tests.Hosting;

/// <summary>The groups an admitted connection joins decide which events reach it (protocol §6.3, §7).</summary>
public sealed class SignalRGatewayNotifierTests
{
    private const string Device = "0000000000000000000000000000000000000000000000000000000000000001";

    [Fact]
    public async Task An_admin_operator_joins_its_device_group_the_pairing_watchers_and_the_admins()
    {
        var (notifier, service) = Create();

        await notifier.ConnectionAdmittedAsync(new AdmittedConnection("c1", Device, GatewayRole.Operator, ScopeSet.Admin, IsInternal: false), default);

        Assert.Equal([GatewayGroups.Device(Device), GatewayGroups.PairingWatchers, GatewayGroups.Admins], service.Joined.Select(j => j.Group));
    }

    [Theory]
    [InlineData(ScopeSet.Pairing)]
    [InlineData(ScopeSet.Write | ScopeSet.Pairing)]
    public async Task A_pairing_operator_without_admin_watches_pairing_but_is_no_admin(ScopeSet scopes)
    {
        var (notifier, service) = Create();

        await notifier.ConnectionAdmittedAsync(new AdmittedConnection("c1", Device, GatewayRole.Operator, scopes, IsInternal: false), default);

        Assert.Equal([GatewayGroups.Device(Device), GatewayGroups.PairingWatchers], service.Joined.Select(j => j.Group));
    }

    [Fact]
    public async Task A_sub_agent_identity_holding_admin_never_joins_the_admins()
    {
        var (notifier, service) = Create();

        await notifier.ConnectionAdmittedAsync(new AdmittedConnection("c1", Device, GatewayRole.Operator, ScopeSet.Admin, IsInternal: true), default);

        Assert.DoesNotContain(service.Joined, j => j.Group == GatewayGroups.Admins);
    }

    [Fact]
    public async Task Readers_and_nodes_join_neither_pairing_watchers_nor_admins()
    {
        var (notifier, service) = Create();

        await notifier.ConnectionAdmittedAsync(new AdmittedConnection("r", Device, GatewayRole.Operator, ScopeSet.Read | ScopeSet.Write, IsInternal: false), default);
        await notifier.ConnectionAdmittedAsync(new AdmittedConnection("n", Device, GatewayRole.Node, ScopeSet.None, IsInternal: false), default);

        Assert.Equal([("r", GatewayGroups.Device(Device)), ("n", GatewayGroups.Device(Device)), ("n", GatewayGroups.Nodes)], service.Joined);
    }

    [Fact]
    public async Task An_event_for_admins_is_one_send_to_the_admins_group()
    {
        var (notifier, service) = Create();

        await notifier.PublishAsync(EventAudience.Admins, GatewayEvents.AuditAppended, new { entry = new { action = "pairing.approved" } }, default);

        var (group, arguments) = Assert.Single(service.GroupSends);
        Assert.Equal(GatewayGroups.Admins, group);
        var frame = JsonDocument.Parse(arguments).RootElement[0];
        Assert.Equal(GatewayEvents.AuditAppended, frame.GetProperty("event").GetString());
        Assert.Equal("pairing.approved", frame.GetProperty("payload").GetProperty("entry").GetProperty("action").GetString());
    }

    private static (SignalRGatewayNotifier Notifier, RecordingService Service) Create()
    {
        var service = new RecordingService();
        return (new SignalRGatewayNotifier(service, NullLogger<SignalRGatewayNotifier>.Instance), service);
    }

    private sealed class RecordingService : ISignalRServiceClient
    {
        public List<(string ConnectionId, string Group)> Joined { get; } = [];
        public List<(string Group, byte[] Arguments)> GroupSends { get; } = [];

        public Task<SignalROperationResult> AddConnectionToGroupAsync(string hub, string group, string connectionId, CancellationToken cancellationToken = default)
        {
            Joined.Add((connectionId, group));
            return Task.FromResult(default(SignalROperationResult));
        }

        public Task SendToGroupAsync(string hub, string group, string target, ReadOnlyMemory<byte> argumentsJsonArray, IReadOnlyList<string>? excludedConnectionIds = null, CancellationToken cancellationToken = default)
        {
            GroupSends.Add((group, argumentsJsonArray.ToArray()));
            return Task.CompletedTask;
        }

        public Task SendToConnectionAsync(string hub, string connectionId, string target, ReadOnlyMemory<byte> argumentsJsonArray, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public Task SendToUserAsync(string hub, string userId, string target, ReadOnlyMemory<byte> argumentsJsonArray, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public Task<SignalROperationResult> RemoveConnectionFromGroupAsync(string hub, string group, string connectionId, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public Task<SignalROperationResult> CloseConnectionAsync(string hub, string connectionId, string? reason, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public Task<bool> ConnectionExistsAsync(string hub, string connectionId, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();
    }
}
