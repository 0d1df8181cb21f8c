namespace FunctionsGateway.Tests.Architecture;

/// <summary>Every table and queue access lives in Storage: no other assembly touches a table or queue client.</summary>
public sealed class StorageAccessTests
{
    internal static readonly string[] Clients =
    [
        "Azure.Data.Tables.TableClient",
        "Azure.Data.Tables.TableServiceClient",
        "Azure.Storage.Queues.QueueClient",
        "Azure.Storage.Queues.QueueServiceClient",
    ];

    [Theory]
    [MemberData(nameof(SrcAssemblies.AllButStorage), MemberType = typeof(SrcAssemblies))]
    public void No_type_outside_storage_uses_a_table_or_queue_client(string assembly)
    {
        var violations = ArchitectureRules.ForbiddenTypeDependencies(assembly, Clients, [], []);

        ArchitectureRules.AssertNone($"Only {SrcAssemblies.Storage} may use TableClient, TableServiceClient, QueueClient or QueueServiceClient", violations);
    }

    [Fact]
    public void The_client_check_catches_the_table_and_queue_clients_storage_uses()
    {
        var found = ArchitectureRules.ForbiddenTypeDependencies(SrcAssemblies.Storage, Clients, [], []);

        Assert.Contains(found, v => v.Contains(" uses Azure.Data.Tables.TableClient ", StringComparison.Ordinal));
        Assert.Contains(found, v => v.Contains(" uses Azure.Storage.Queues.QueueClient ", StringComparison.Ordinal));
    }
}
