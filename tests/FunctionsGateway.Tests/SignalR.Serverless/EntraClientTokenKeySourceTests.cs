using Azure.Identity;
using FunctionsGateway.SignalR.Serverless;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace FunctionsGateway.Tests.SignalR.Serverless;

/// <summary>
/// Negotiate under Entra ID: client tokens are signed with the service's temporary key, fetched with an Entra token,
/// named in <c>kid</c>, refreshed before it expires, and kept through a failed refresh until it expires.
/// </summary>
public sealed class EntraClientTokenKeySourceTests : IAsyncLifetime
{
    private const string Hub = "gateway";
    private const string FirstSecret = "first-temporary-secret";
    private const string SecondSecret = "second-temporary-secret";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeTokenCredential _credential = new();
    private readonly RecordingLogger<EntraClientTokenKeySource> _logger = new();
    private FakeSignalRService _service = null!;
    private HttpClient _http = null!;
    private EntraClientTokenKeySource _keys = null!;
    private NegotiateResponseFactory _factory = null!;

    public async Task InitializeAsync()
    {
        _service = await FakeSignalRService.StartAsync();
        _http = _service.CreateClient();
        _keys = new EntraClientTokenKeySource(SignalREntra.CreatePipeline(_http, _credential), _service.ConnectionString, new EntraKeyOptions(), _time, _logger);
        _factory = new NegotiateResponseFactory(_service.ConnectionString, _keys, null, _time);
    }

    public async Task DisposeAsync()
    {
        _keys.Dispose();
        _http.Dispose();
        await _service.DisposeAsync();
    }

    [Fact]
    public async Task The_key_is_fetched_with_a_GET_carrying_an_entra_bearer_token_for_the_signalr_scope()
    {
        _service.ServeKey("kid-1", FirstSecret);

        await _factory.CreateAsync(Hub, "user");

        var fetch = Assert.Single(_service.KeyFetches);
        Assert.Equal("GET", fetch.Method);
        Assert.Equal("/api/v1/auth/accessKey", fetch.PathAndQuery);
        Assert.Equal("Bearer " + FakeTokenCredential.DefaultToken, fetch.Authorization);
        Assert.Equal(["https://signalr.azure.com/.default"], Assert.Single(_credential.Scopes));
    }

    [Fact]
    public async Task A_negotiate_token_names_the_served_key_id_in_kid_and_verifies_with_the_served_key_only()
    {
        _service.ServeKey("kid-1", FirstSecret);

        var token = (await _factory.CreateAsync(Hub, "user")).AccessToken;

        Assert.Equal("kid-1", Jwt.Header(token).GetProperty("kid").GetString());
        Assert.Equal("HS256", Jwt.Header(token).GetProperty("alg").GetString());
        Assert.True(Verifies(token, FirstSecret));
        Assert.False(Verifies(token, SecondSecret));
    }

    [Fact]
    public async Task The_key_is_fetched_again_55_minutes_on_and_tokens_minted_after_that_carry_the_new_kid()
    {
        _service.ServeKey("kid-1", FirstSecret);
        await _factory.CreateAsync(Hub, "user");
        _service.ServeKey("kid-2", SecondSecret);

        _time.Advance(TimeSpan.FromMinutes(54));
        Assert.Equal("kid-1", await KidAsync());
        Assert.Single(_service.KeyFetches);

        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal("kid-1", await KidAsync()); // served while the refresh runs
        await Until.TrueAsync(() => _keys.TryGetKey(out var key) && key.KeyId == "kid-2", "the refreshed key is held");

        var token = (await _factory.CreateAsync(Hub, "user")).AccessToken;
        Assert.Equal(2, _service.KeyFetches.Count);
        Assert.Equal("kid-2", Jwt.Header(token).GetProperty("kid").GetString());
        Assert.True(Verifies(token, SecondSecret));
    }

    [Fact]
    public async Task A_negotiate_never_waits_on_a_refresh_while_a_valid_key_is_held_and_one_refresh_runs_at_a_time()
    {
        _service.ServeKey("kid-1", FirstSecret);
        await _factory.CreateAsync(Hub, "user");
        var release = _service.HoldKey("kid-2", SecondSecret);
        _time.Advance(TimeSpan.FromMinutes(56));

        _ = await _factory.CreateAsync(Hub, "user");
        await Until.TrueAsync(() => _service.KeyFetches.Count == 2, "the refresh reached the service");
        for (var i = 0; i < 20; i++)
        {
            var pending = _factory.CreateAsync(Hub, "user-" + i);
            Assert.True(pending.IsCompletedSuccessfully, "a negotiate waited on the refresh");
            Assert.Equal("kid-1", Jwt.Header((await pending).AccessToken).GetProperty("kid").GetString());
        }

        Assert.True(_keys.IsFetching);
        release.SetResult();
        await Until.TrueAsync(() => !_keys.IsFetching, "the refresh ended");
        Assert.Equal(2, _service.KeyFetches.Count);
        Assert.Equal("kid-2", await KidAsync());
    }

    [Fact]
    public async Task A_refresh_the_service_refuses_keeps_the_old_key_warns_with_the_status_and_after_expiry_negotiate_is_refused()
    {
        _service.ServeKey("kid-1", FirstSecret);
        await _factory.CreateAsync(Hub, "user");
        _service.FailKeyWith(500);

        _time.Advance(TimeSpan.FromMinutes(56));
        Assert.Equal("kid-1", await KidAsync());
        await Until.TrueAsync(() => _logger.At(LogLevel.Warning).Count == 1 && !_keys.IsFetching, "the failed refresh was logged");

        var warning = Assert.Single(_logger.At(LogLevel.Warning));
        Assert.Contains("HTTP 500", warning, StringComparison.Ordinal);
        Assert.Contains("kid-1", warning, StringComparison.Ordinal);
        var token = (await _factory.CreateAsync(Hub, "user")).AccessToken;
        Assert.Equal("kid-1", Jwt.Header(token).GetProperty("kid").GetString());
        Assert.True(Verifies(token, FirstSecret));

        _time.Advance(TimeSpan.FromMinutes(110 - 56));
        var refused = await Assert.ThrowsAsync<SignalRKeyUnavailableException>(() => _factory.CreateAsync(Hub, "user").AsTask());
        Assert.Contains("HTTP 500", refused.Reason, StringComparison.Ordinal);
        AssertNoSecretLogged();
    }

    [Fact]
    public async Task A_refresh_whose_credential_throws_keeps_the_old_key_and_warns_with_the_exception()
    {
        _credential.Lifetime = TimeSpan.Zero; // Azure.Core's token cache asks the credential again for every request
        _service.ServeKey("kid-1", FirstSecret);
        await _factory.CreateAsync(Hub, "user");
        _service.ServeKey("kid-2", SecondSecret);
        _credential.Failure = new AuthenticationFailedException("managed identity endpoint unreachable");

        _time.Advance(TimeSpan.FromMinutes(56));
        Assert.Equal("kid-1", await KidAsync());
        await Until.TrueAsync(() => _logger.At(LogLevel.Warning).Count == 1 && !_keys.IsFetching, "the failed refresh was logged");

        var warning = Assert.Single(_logger.At(LogLevel.Warning));
        Assert.Contains("AuthenticationFailedException: managed identity endpoint unreachable", warning, StringComparison.Ordinal);
        Assert.Single(_service.KeyFetches); // no request went out without a token
        Assert.Equal("kid-1", await KidAsync());
        AssertNoSecretLogged();
    }

    [Fact]
    public async Task A_failed_refresh_is_tried_again_after_the_back_off_not_on_every_negotiate()
    {
        _service.ServeKey("kid-1", FirstSecret);
        await _factory.CreateAsync(Hub, "user");
        _service.FailKeyWith(503);
        _time.Advance(TimeSpan.FromMinutes(56));
        await _factory.CreateAsync(Hub, "user");
        await Until.TrueAsync(() => _logger.At(LogLevel.Warning).Count == 1 && !_keys.IsFetching, "the failed refresh was logged");

        _time.Advance(EntraKeyOptions.DefaultRetryBackoff - TimeSpan.FromSeconds(1));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("kid-1", await KidAsync());
            Assert.False(_keys.IsFetching, "a negotiate during the back-off started a fetch");
        }

        _service.ServeKey("kid-2", SecondSecret);
        _time.Advance(TimeSpan.FromSeconds(1));
        await _factory.CreateAsync(Hub, "user");
        await Until.TrueAsync(() => _keys.TryGetKey(out var key) && key.KeyId == "kid-2", "the retried refresh succeeded");
        Assert.Equal(3, _service.KeyFetches.Count);
    }

    [Theory]
    [InlineData("{\"KeyId\":\"kid-1\"}", "lacks KeyId or AccessKey")]
    [InlineData("{\"AccessKey\":\"first-temporary-secret\"}", "lacks KeyId or AccessKey")]
    [InlineData("{\"KeyId\":\"\",\"AccessKey\":\"first-temporary-secret\"}", "lacks KeyId or AccessKey")]
    [InlineData("{\"KeyId\":\"kid-1\",\"AccessKey\":\"first-temporary-secret\"", "not JSON")]
    public async Task An_answer_without_both_KeyId_and_AccessKey_is_a_failed_fetch(string body, string reason)
    {
        _service.AnswerKeyWith(body);

        var refused = await Assert.ThrowsAsync<SignalRKeyUnavailableException>(() => _factory.CreateAsync(Hub, "user").AsTask());

        Assert.Contains(reason, refused.Reason, StringComparison.Ordinal);
        Assert.Contains(reason, Assert.Single(_logger.At(LogLevel.Warning)), StringComparison.Ordinal);
        Assert.False(_keys.TryGetKey(out _));
        AssertNoSecretLogged();
    }

    [Fact]
    public async Task The_first_negotiate_waits_for_the_first_key()
    {
        var release = _service.HoldKey("kid-1", FirstSecret);

        var pending = _factory.CreateAsync(Hub, "user").AsTask();
        await Until.TrueAsync(() => _service.KeyFetches.Count == 1, "the first fetch reached the service");
        Assert.False(pending.IsCompleted);
        release.SetResult();

        Assert.Equal("kid-1", Jwt.Header((await pending).AccessToken).GetProperty("kid").GetString());
    }

    [Fact]
    public async Task A_first_key_that_does_not_come_within_the_deadline_refuses_the_negotiate()
    {
        var release = _service.HoldKey("kid-1", FirstSecret);

        var pending = _factory.CreateAsync(Hub, "user").AsTask();
        await Until.TrueAsync(() => _service.KeyFetches.Count == 1, "the first fetch reached the service");
        _time.Advance(EntraKeyOptions.DefaultFirstKeyWait);

        await Assert.ThrowsAsync<SignalRKeyUnavailableException>(() => pending);
        release.SetResult();
        await Until.TrueAsync(() => _keys.TryGetKey(out _), "the late key is held for the next negotiate");
        Assert.Equal("kid-1", await KidAsync());
    }

    [Fact]
    public async Task Warm_up_fetches_the_key_before_any_negotiate()
    {
        _service.ServeKey("kid-1", FirstSecret);

        await _keys.WarmUpAsync();

        Assert.Single(_service.KeyFetches);
        var pending = _factory.CreateAsync(Hub, "user");
        Assert.True(pending.IsCompletedSuccessfully);
        Assert.Equal("kid-1", Jwt.Header((await pending).AccessToken).GetProperty("kid").GetString());
        Assert.Single(_service.KeyFetches);
    }

    private async Task<string?> KidAsync() => Jwt.Header((await _factory.CreateAsync(Hub, "user")).AccessToken).GetProperty("kid").GetString();

    private bool Verifies(string token, string key)
        => ServiceJwt.TryValidate(token, [key], _factory.GetClientAudience(Hub), _time.GetUtcNow(), out _, out _);

    private void AssertNoSecretLogged()
    {
        foreach (var (_, _, message) in _logger.Entries)
        {
            Assert.DoesNotContain(FirstSecret, message, StringComparison.Ordinal);
            Assert.DoesNotContain(SecondSecret, message, StringComparison.Ordinal);
            Assert.DoesNotContain(FakeTokenCredential.DefaultToken, message, StringComparison.Ordinal);
        }
    }
}
