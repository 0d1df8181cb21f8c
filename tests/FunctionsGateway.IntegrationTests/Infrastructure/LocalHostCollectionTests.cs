using System.Reflection;

namespace FunctionsGateway.IntegrationTests.Infrastructure;

/// <summary>The local host is shared, so its Error/Critical lines are checked per test by each class of the collection.</summary>
public sealed class LocalHostCollectionTests
{
    [Fact]
    public void Every_test_class_of_the_local_host_collection_checks_the_error_log_of_each_test()
    {
        var classes = typeof(LocalHostFixture).Assembly.GetTypes()
            .Where(t => t.GetCustomAttributesData().Any(a => a.AttributeType == typeof(CollectionAttribute)
                && a.ConstructorArguments is [{ Value: LocalHostCollection.Name }]))
            .ToList();

        Assert.NotEmpty(classes);
        // An ErrorLogCheck opened when the test class is created (LocalHostFixture.CheckErrorLogs) and asserted when
        // xunit disposes it: IDisposable.Dispose or IAsyncLifetime.DisposeAsync.
        var withoutCheck = classes
            .Where(t => !(typeof(IDisposable).IsAssignableFrom(t) || typeof(IAsyncLifetime).IsAssignableFrom(t))
                || !t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Any(f => f.FieldType == typeof(ErrorLogCheck)))
            .Select(t => t.FullName)
            .ToList();
        Assert.True(withoutCheck.Count == 0,
            "these local-host test classes do not check the host's error log per test (see LocalHostFixture.CheckErrorLogs): " + string.Join(", ", withoutCheck));
    }
}
