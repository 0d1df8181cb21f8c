using System.Reflection;
using System.Text.Json;
using FunctionsGateway.Core.Options;
using FunctionsGateway.Hosting;
using FunctionsGateway.LocalHost;
using FunctionsGateway.Storage;
using FunctionsGateway.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsGateway.IntegrationTests.FunctionApp;

/// <summary>
/// The local host pumps every registered <see cref="IQueueHandler"/>; the Function App has a queue-triggered Function
/// for each. These keep the two in step: the same queues, the same connection setting, the same handler, and the same
/// number of attempts before the poison queue.
/// </summary>
public sealed class QueueRegistryTests
{
    private const string FunctionAttribute = "Microsoft.Azure.Functions.Worker.FunctionAttribute";
    private const string QueueTriggerAttribute = "Microsoft.Azure.Functions.Worker.QueueTriggerAttribute";

    [Fact]
    public void Each_registered_queue_has_a_function_with_the_same_name_and_settings()
    {
        var functions = QueueFunctions();
        var handlers = RegisteredHandlers();
        Assert.NotEmpty(handlers);

        var problems = new List<string>();
        foreach (var handler in handlers)
        {
            var triggered = functions.Where(f => f.QueueName == handler.QueueName).ToList();
            if (triggered.Count != 1)
            {
                problems.Add($"{handler.Type.Name} handles queue '{handler.QueueName}': the Function App needs exactly one [Function] with [QueueTrigger(\"{handler.QueueName}\")], found {triggered.Count}: {Describe(triggered)}");
                continue;
            }

            var function = triggered[0];
            if (function.Connection != SettingNames.Storage)
            {
                problems.Add($"{function.Name}'s [QueueTrigger(\"{handler.QueueName}\")] has Connection = {function.Connection ?? "(none)"}; it must be {nameof(SettingNames)}.{nameof(SettingNames.Storage)} (\"{SettingNames.Storage}\")");
            }

            // The Function runs the handler the local host pumps: its class is constructed with that very type.
            var takesHandler = !function.Method.IsStatic && function.Method.DeclaringType!.GetConstructors()
                .Any(c => c.GetParameters().Any(p => p.ParameterType == handler.Type));
            if (!takesHandler)
            {
                problems.Add($"{function.Name} ({function.Method.DeclaringType!.FullName}.{function.Method.Name}) must be an instance method whose class's constructor takes {handler.Type.FullName}, the handler the local host pumps for '{handler.QueueName}'");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Each_queue_triggered_function_has_a_registered_handler()
    {
        var registered = RegisteredHandlers().Select(h => h.QueueName).ToHashSet(StringComparer.Ordinal);
        var functions = QueueFunctions();
        Assert.NotEmpty(functions);

        var problems = functions
            .Where(f => !registered.Contains(f.QueueName))
            .Select(f => $"{f.Name} is triggered by queue '{f.QueueName}', but no {nameof(IQueueHandler)} for it is registered (services.AddQueueHandler<T>()), so the local host would not pump it. Registered: {string.Join(", ", registered.Order(StringComparer.Ordinal))}")
            .ToList();

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Each_registered_queue_is_a_storage_queue_so_bicep_is_checked_for_it()
    {
        // FunctionsMetadataTests.Setting_table_and_queue_names_are_the_same_in_code_sample_settings_and_bicep checks that
        // infra/*.bicep names every one of StorageNames.AllQueues; a handler's queue must be one of them.
        var problems = RegisteredHandlers()
            .Where(h => !StorageNames.AllQueues.Contains(h.QueueName))
            .Select(h => $"{h.Type.Name} handles queue '{h.QueueName}', which is not in {nameof(StorageNames)}.{nameof(StorageNames.AllQueues)} ({string.Join(", ", StorageNames.AllQueues)}), so nothing checks that Bicep creates it")
            .ToList();

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_local_pump_tries_a_message_as_often_as_the_functions_host()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")));
        var maxDequeueCount = host.RootElement.GetProperty("extensions").GetProperty("queues").GetProperty("maxDequeueCount").GetInt32();

        Assert.True(
            maxDequeueCount == QueuePump.MaxDequeueCount,
            $"host.json has extensions.queues.maxDequeueCount = {maxDequeueCount} but {nameof(QueuePump)}.{nameof(QueuePump.MaxDequeueCount)} is {QueuePump.MaxDequeueCount}: the local host would poison a message after a different number of tries than the Functions host");
    }

    private sealed record RegisteredHandler(string QueueName, Type Type);

    /// <summary>The handlers as both hosts register them (<see cref="GatewayServiceCollectionExtensions.AddGateway"/>): each one's queue and concrete type.</summary>
    private static List<RegisteredHandler> RegisteredHandlers()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [SettingNames.Storage] = "UseDevelopmentStorage=true",
            ["Gateway:SharedToken"] = "queue-registry-test-token-0123",
            [SettingNames.SignalR] = "Endpoint=http://localhost;Port=8080;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddGateway(configuration);
        using var provider = services.BuildServiceProvider();
        return [.. provider.GetServices<IQueueHandler>().Select(h => new RegisteredHandler(h.QueueName, h.GetType()))];
    }

    private sealed record QueueFunction(string Name, MethodInfo Method, string QueueName, string? Connection);

    /// <summary>Every [Function] of the built Function App whose parameter carries [QueueTrigger].</summary>
    private static List<QueueFunction> QueueFunctions()
    {
        var functions = new List<QueueFunction>();
        const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var method in FunctionAppAssembly().GetTypes().SelectMany(t => t.GetMethods(Declared)))
        {
            var function = method.GetCustomAttributesData().SingleOrDefault(a => a.AttributeType.FullName == FunctionAttribute);
            if (function is null)
            {
                continue;
            }

            foreach (var trigger in method.GetParameters().SelectMany(p => p.GetCustomAttributesData()).Where(a => a.AttributeType.FullName == QueueTriggerAttribute))
            {
                functions.Add(new QueueFunction(
                    (string)function.ConstructorArguments[0].Value!,
                    method,
                    (string)trigger.ConstructorArguments[0].Value!,
                    trigger.NamedArguments.Where(n => n.MemberName == "Connection").Select(n => (string?)n.TypedValue.Value).SingleOrDefault()));
            }
        }

        return functions;
    }

    /// <summary>
    /// The Function App as built, found as <see cref="FunctionsMetadataTests"/> finds its functions.metadata: in
    /// src/FunctionsGateway/bin/&lt;this test's configuration&gt;/net10.0. Its worker dependencies load from there too.
    /// </summary>
    private static Assembly FunctionAppAssembly()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var path = Path.Combine(RepoPaths.Root, "src", "FunctionsGateway", "bin", configuration, "net10.0", "FunctionsGateway.dll");
        Assert.True(File.Exists(path), $"build the Function App first: {path} is missing");
        return Assembly.LoadFrom(path);
    }

    private static string Describe(IEnumerable<QueueFunction> functions)
    {
        var names = functions.Select(f => $"{f.Name} ({f.Method.DeclaringType?.FullName}.{f.Method.Name})").ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }
}
