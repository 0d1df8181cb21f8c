using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using FunctionsGateway.Protocol;

namespace FunctionsGateway.Client;

/// <summary>Why a device identity file could not be used. Never carries secret material.</summary>
public sealed class DeviceIdentityException : IOException
{
    public DeviceIdentityException()
    {
    }

    public DeviceIdentityException(string message)
        : base(message)
    {
    }

    public DeviceIdentityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A device token this identity holds for one role, as the gateway last issued it.</summary>
public sealed record StoredDeviceToken(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("scopes")] string[] Scopes,
    [property: JsonPropertyName("issuedAt")] DateTimeOffset IssuedAt);

/// <summary>
/// The device identity file: an Ed25519 seed, the derived device id and public key, and one device token per role.
/// On Unix the file is created 0600 in a 0700 directory and refused when group or others can access it.
/// Every write goes to a temporary file in the same directory and is renamed over the old one.
/// </summary>
public sealed class DeviceIdentityStore : IDisposable
{
    public const string EnvironmentVariable = "GATEWAY_IDENTITY";
    public const int FormatVersion = 1;

    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly Lock gate = new();
    private Dictionary<string, StoredDeviceToken> tokens;

    private DeviceIdentityStore(string path, DeviceKey key, DateTimeOffset createdAt, Dictionary<string, StoredDeviceToken> tokens, bool created)
    {
        Path = path;
        Key = key;
        CreatedAt = createdAt;
        this.tokens = tokens;
        Created = created;
    }

    /// <summary><c>~/.functionsgateway/identity.json</c>.</summary>
    public static string DefaultPath => System.IO.Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify),
        ".functionsgateway",
        "identity.json");

    /// <summary>The full path of the identity file.</summary>
    public string Path { get; }

    public DeviceKey Key { get; }

    public string DeviceId => Key.DeviceId;

    /// <summary>Raw Ed25519 public key, base64url.</summary>
    public string PublicKey => Key.PublicKey;

    public DateTimeOffset CreatedAt { get; }

    /// <summary>True when this call created the identity (a brand-new device).</summary>
    public bool Created { get; }

    /// <summary><paramref name="path"/>, else <c>GATEWAY_IDENTITY</c>, else <see cref="DefaultPath"/>.</summary>
    public static string ResolvePath(string? path = null)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            path = Environment.GetEnvironmentVariable(EnvironmentVariable);
        }

        return System.IO.Path.GetFullPath(string.IsNullOrWhiteSpace(path) ? DefaultPath : path);
    }

    /// <summary>Loads the identity at <paramref name="path"/> (see <see cref="ResolvePath"/>), creating a new one if there is none.</summary>
    public static DeviceIdentityStore LoadOrCreate(string? path = null, TimeProvider? time = null)
    {
        var fullPath = ResolvePath(path);
        if (File.Exists(fullPath))
        {
            return Load(fullPath);
        }

        EnsureDirectory(fullPath);
        var key = DeviceKey.Generate();
        try
        {
            var createdAt = (time ?? TimeProvider.System).GetUtcNow();
            var file = ToFile(key, createdAt, []);
            // Publish without overwriting: if another process created the identity meanwhile, theirs wins and we load it.
            if (!TryWriteAtomic(fullPath, file, overwrite: false))
            {
                key.Dispose();
                return Load(fullPath);
            }

            return new DeviceIdentityStore(fullPath, key, createdAt, new Dictionary<string, StoredDeviceToken>(StringComparer.Ordinal), created: true);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Loads an existing identity file; refuses a file that group or others can access (Unix).</summary>
    public static DeviceIdentityStore Load(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        var file = ReadFile(fullPath);
        if (file.Version != FormatVersion)
        {
            throw new DeviceIdentityException($"identity file {fullPath} has unsupported version {file.Version} (expected {FormatVersion})");
        }

        if (!Base64Url.TryDecode(file.Seed, out var seed) || seed.Length != 32)
        {
            throw new DeviceIdentityException($"identity file {fullPath} is corrupt: the seed is not 32 bytes of base64url");
        }

        DeviceKey key;
        try
        {
            key = DeviceKey.FromSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }

        if (!string.Equals(key.DeviceId, file.DeviceId, StringComparison.Ordinal) || !string.Equals(key.PublicKey, file.PublicKey, StringComparison.Ordinal))
        {
            key.Dispose();
            throw new DeviceIdentityException($"identity file {fullPath} is inconsistent: its deviceId or publicKey does not match its seed");
        }

        var tokens = new Dictionary<string, StoredDeviceToken>(file.DeviceTokens ?? [], StringComparer.Ordinal);
        return new DeviceIdentityStore(fullPath, key, file.CreatedAt, tokens, created: false);
    }

    /// <summary>The stored device token for <paramref name="role"/>, if the gateway has issued one.</summary>
    public string? GetDeviceToken(string role) => GetStoredToken(role)?.Token;

    public StoredDeviceToken? GetStoredToken(string role)
    {
        lock (gate)
        {
            return tokens.TryGetValue(role, out var token) ? token : null;
        }
    }

    public IReadOnlyDictionary<string, StoredDeviceToken> DeviceTokens
    {
        get
        {
            lock (gate)
            {
                return new Dictionary<string, StoredDeviceToken>(tokens, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Persists a newly issued device token for <paramref name="role"/> (merging with tokens other processes stored).</summary>
    public void SaveDeviceToken(string role, string token, IReadOnlyList<string>? scopes = null, DateTimeOffset? issuedAt = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(role);
        ArgumentException.ThrowIfNullOrEmpty(token);
        var stored = new StoredDeviceToken(token, [.. scopes ?? []], issuedAt ?? DateTimeOffset.UtcNow);
        Update(map => map[role] = stored);
    }

    /// <summary>
    /// Forgets the token for <paramref name="role"/>; with <paramref name="onlyIfToken"/>, only while the stored token is still
    /// that one (so a token another process just saved is kept). Returns whether a token was removed.
    /// </summary>
    public bool RemoveDeviceToken(string role, string? onlyIfToken = null)
    {
        var removed = false;
        Update(map =>
        {
            if (map.TryGetValue(role, out var current) && (onlyIfToken is null || string.Equals(current.Token, onlyIfToken, StringComparison.Ordinal)))
            {
                removed = map.Remove(role);
            }
        });
        return removed;
    }

    public void Dispose() => Key.Dispose();

    private void Update(Action<Dictionary<string, StoredDeviceToken>> change)
    {
        lock (gate)
        {
            // Re-read so a token another process saved for another role is not lost.
            var latest = File.Exists(Path) ? ReadFile(Path).DeviceTokens : null;
            var map = new Dictionary<string, StoredDeviceToken>(latest ?? tokens, StringComparer.Ordinal);
            change(map);
            TryWriteAtomic(Path, ToFile(Key, CreatedAt, map), overwrite: true);
            tokens = map;
        }
    }

    private static IdentityFile ToFile(DeviceKey key, DateTimeOffset createdAt, Dictionary<string, StoredDeviceToken> tokens)
    {
        var seed = key.ExportSeed();
        try
        {
            return new IdentityFile
            {
                Version = FormatVersion,
                DeviceId = key.DeviceId,
                PublicKey = key.PublicKey,
                Seed = Base64Url.Encode(seed),
                CreatedAt = createdAt,
                DeviceTokens = tokens,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    private static IdentityFile ReadFile(string fullPath)
    {
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"identity file {fullPath} does not exist", fullPath);
        }

        CheckPermissions(fullPath);
        try
        {
            using var stream = new FileStream(fullPath, System.IO.FileMode.Open, FileAccess.Read, FileShare.Read);
            return JsonSerializer.Deserialize<IdentityFile>(stream, FileJson)
                ?? throw new DeviceIdentityException($"identity file {fullPath} is empty");
        }
        catch (JsonException ex)
        {
            // The JSON exception's message can quote file content (the seed): keep only the position.
            throw new DeviceIdentityException($"identity file {fullPath} is not valid JSON (line {ex.LineNumber + 1})");
        }
    }

    private static void CheckPermissions(string fullPath)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(fullPath);
        if ((mode & GroupOrOther) != 0)
        {
            throw new DeviceIdentityException(
                $"identity file {fullPath} is accessible by group or others (mode {FormatMode(mode)}); it holds the device's private key. " +
                $"Fix it with: chmod 600 {fullPath}");
        }
    }

    internal static string FormatMode(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0');

    private static void EnsureDirectory(string fullPath)
    {
        var directory = System.IO.Path.GetDirectoryName(fullPath);
        if (string.IsNullOrEmpty(directory) || Directory.Exists(directory))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            // Every directory this creates (the leaf and any missing parent) gets 0700; existing ones are left alone.
            Directory.CreateDirectory(directory, DirectoryMode);
        }
    }

    /// <summary>Writes to a temporary file beside <paramref name="fullPath"/>, then renames it into place. False if it exists and not <paramref name="overwrite"/>.</summary>
    private static bool TryWriteAtomic(string fullPath, IdentityFile file, bool overwrite)
    {
        var directory = System.IO.Path.GetDirectoryName(fullPath)!;
        var temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions
        {
            Mode = System.IO.FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            Options = FileOptions.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                JsonSerializer.Serialize(stream, file, FileJson);
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                // The umask can only remove bits; set them exactly anyway.
                File.SetUnixFileMode(temp, FileMode);
            }

            if (!overwrite && File.Exists(fullPath))
            {
                return false;
            }

            try
            {
                File.Move(temp, fullPath, overwrite);
            }
            catch (IOException) when (!overwrite && File.Exists(fullPath))
            {
                return false;
            }

            return true;
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private sealed class IdentityFile
    {
        [JsonPropertyName("version")] public int Version { get; set; }
        [JsonPropertyName("deviceId")] public string? DeviceId { get; set; }
        [JsonPropertyName("publicKey")] public string? PublicKey { get; set; }
        [JsonPropertyName("seed")] public string? Seed { get; set; }
        [JsonPropertyName("createdAt")] public DateTimeOffset CreatedAt { get; set; }
        [JsonPropertyName("deviceTokens")] public Dictionary<string, StoredDeviceToken>? DeviceTokens { get; set; }
    }
}
