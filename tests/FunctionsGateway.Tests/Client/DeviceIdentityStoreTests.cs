using System.Text.Json;
using System.Text.Json.Nodes;
using FunctionsGateway.Client;

namespace FunctionsGateway.Tests.Client;

public sealed class DeviceIdentityStoreTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void A_new_identity_is_created_0600_in_a_0700_directory_and_reloads_with_the_same_device_id()
    {
        var path = temp.File(Path.Combine("nested", "identity.json"));

        string deviceId;
        string publicKey;
        using (var created = DeviceIdentityStore.LoadOrCreate(path))
        {
            Assert.True(created.Created);
            Assert.Equal(path, created.Path);
            Assert.Matches("^[0-9a-f]{64}$", created.DeviceId);
            deviceId = created.DeviceId;
            publicKey = created.PublicKey;
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        }

        using var reloaded = DeviceIdentityStore.LoadOrCreate(path);
        Assert.False(reloaded.Created);
        Assert.Equal(deviceId, reloaded.DeviceId);
        Assert.Equal(publicKey, reloaded.PublicKey);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void The_file_holds_the_seed_device_id_public_key_tokens_and_creation_time()
    {
        var path = temp.File("identity.json");
        var createdAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        using var store = DeviceIdentityStore.LoadOrCreate(path, new FixedTime(createdAt));

        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.Equal(1, (int)json["version"]!);
        Assert.Equal(store.DeviceId, (string?)json["deviceId"]);
        Assert.Equal(store.PublicKey, (string?)json["publicKey"]);
        Assert.Equal(43, ((string?)json["seed"])!.Length);
        Assert.Equal(createdAt, json["createdAt"]!.GetValue<DateTimeOffset>());
        Assert.Empty(json["deviceTokens"]!.AsObject());
    }

    [Fact]
    public void A_group_readable_identity_file_is_refused_with_a_chmod_hint()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = temp.File("identity.json");
        DeviceIdentityStore.LoadOrCreate(path).Dispose();
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var error = Assert.Throws<DeviceIdentityException>(() => DeviceIdentityStore.LoadOrCreate(path));
        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("640", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_world_readable_identity_file_is_refused_too()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = temp.File("identity.json");
        DeviceIdentityStore.LoadOrCreate(path).Dispose();
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        Assert.Throws<DeviceIdentityException>(() => DeviceIdentityStore.Load(path));
    }

    [Fact]
    public void Device_tokens_are_persisted_per_role_and_survive_a_reload()
    {
        var path = temp.File("identity.json");
        using (var store = DeviceIdentityStore.LoadOrCreate(path))
        {
            store.SaveDeviceToken("operator", "op-token", ["operator.read"]);
            store.SaveDeviceToken("node", "node-token");
            Assert.Equal("op-token", store.GetDeviceToken("operator"));
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        using var reloaded = DeviceIdentityStore.Load(path);
        Assert.Equal("op-token", reloaded.GetDeviceToken("operator"));
        Assert.Equal(["operator.read"], reloaded.GetStoredToken("operator")!.Scopes);
        Assert.Equal("node-token", reloaded.GetDeviceToken("node"));
        Assert.Null(reloaded.GetDeviceToken("other"));
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void Saving_a_token_keeps_a_token_another_process_saved_for_another_role()
    {
        var path = temp.File("identity.json");
        using var first = DeviceIdentityStore.LoadOrCreate(path);
        using var second = DeviceIdentityStore.Load(path);

        second.SaveDeviceToken("node", "node-token");
        first.SaveDeviceToken("operator", "op-token");

        using var reloaded = DeviceIdentityStore.Load(path);
        Assert.Equal("node-token", reloaded.GetDeviceToken("node"));
        Assert.Equal("op-token", reloaded.GetDeviceToken("operator"));
    }

    [Fact]
    public void Removing_a_token_only_if_unchanged_keeps_a_newer_token_saved_meanwhile()
    {
        var path = temp.File("identity.json");
        using var first = DeviceIdentityStore.LoadOrCreate(path);
        first.SaveDeviceToken("operator", "old");
        using var second = DeviceIdentityStore.Load(path);
        second.SaveDeviceToken("operator", "new");

        Assert.False(first.RemoveDeviceToken("operator", onlyIfToken: "old"));
        Assert.Equal("new", first.GetDeviceToken("operator"));

        Assert.True(first.RemoveDeviceToken("operator", onlyIfToken: "new"));
        Assert.Null(DeviceIdentityStore.Load(path).GetDeviceToken("operator"));
    }

    [Fact]
    public void A_file_whose_device_id_does_not_match_its_seed_is_refused()
    {
        var path = temp.File("identity.json");
        DeviceIdentityStore.LoadOrCreate(path).Dispose();
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json["deviceId"] = new string('0', 64);
        File.WriteAllText(path, json.ToJsonString());

        var error = Assert.Throws<DeviceIdentityException>(() => DeviceIdentityStore.Load(path));
        Assert.Contains("inconsistent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_file_is_refused_without_quoting_its_content()
    {
        var path = temp.File("identity.json");
        DeviceIdentityStore.LoadOrCreate(path).Dispose();
        var seed = (string)JsonNode.Parse(File.ReadAllText(path))!["seed"]!;
        File.WriteAllText(path, "{\"version\": 1, \"seed\": \"" + seed + "\", oops}");

        var error = Assert.Throws<DeviceIdentityException>(() => DeviceIdentityStore.Load(path));
        Assert.DoesNotContain(seed, error.Message, StringComparison.Ordinal);
        Assert.Null(error.InnerException);
    }

    [Fact]
    public void The_path_comes_from_the_argument_then_the_default_under_the_home_directory()
    {
        var explicitPath = temp.File("x.json");
        Assert.Equal(explicitPath, DeviceIdentityStore.ResolvePath(explicitPath));
        Assert.EndsWith(Path.Combine(".functionsgateway", "identity.json"), DeviceIdentityStore.DefaultPath, StringComparison.Ordinal);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

internal static class JsonAssert
{
    /// <summary>Structural equality: same kinds, same property sets, numbers compared by their decimal value.</summary>
    public static void Equal(JsonElement expected, JsonElement actual)
        => Assert.True(JsonElement.DeepEquals(expected, actual), $"expected {expected.GetRawText()} but got {actual.GetRawText()}");

    public static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }
}
