using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Cli;

/// <summary>
/// Docker credential helpers as docker runs them: <c>credHelpers[host]</c> before <c>credsStore</c> before
/// <c>auths</c>, each helper a real executable on PATH (<c>docker-credential-NAME</c>, written here: a shell script
/// speaking the docker-credential-helpers protocol and logging each call), run by the real <c>bollard</c> executable for
/// <c>bollard sbom docker://</c> against a Bollard server that requires authentication. Identity tokens
/// (<c>&lt;token&gt;</c>: a Bollard refresh token), a missing, failing, silent and hanging helper; the secret is never
/// printed.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CliCredentialHelperTests : IAsyncLifetime
{
    private readonly string _work = TempDir.Create("bollard-cli-credhelper-");
    private AccessServer _access = null!;
    private string _bin = "";
    private string _log = "";
    private string _image = "";

    public async Task InitializeAsync()
    {
        _access = await AccessServer.StartAsync();
        await ScanFixtures.PushAsync("alpine", _access.Server.HostPort, "team/app", "1.0", $"{_access.Admin.User}:{_access.Admin.Secret}");
        _image = $"docker://{_access.Server.HostPort}/team/app:1.0";
        _bin = Path.Combine(_work, "bin");
        Directory.CreateDirectory(_bin);
        _log = Path.Combine(_work, "helper.log");
        string host = _access.Server.HostPort;
        // A helper that has the admin's password for the server and nothing for any other host.
        Helper("bollardtest", $$"""
            if [ "$input" = "{{host}}" ]; then
              printf '{"ServerURL":"%s","Username":"admin","Secret":"{{AccessServer.AdminPassword}}"}' "$input"
            else
              echo "credentials not found in native keychain"; exit 1
            fi
            """);
        Helper("bollardnone", """echo "credentials not found in native keychain"; exit 1""");
        Helper("bollardfail", """echo "boom: the keychain is locked"; exit 3""");
        Helper("bollardslow", "sleep 30");
        Helper("bollardgarbage", """echo "not json {{{ admin-password-123" """);
    }

    public async Task DisposeAsync()
    {
        await _access.DisposeAsync();
        TempDir.Delete(_work);
    }

    /// <summary>Writes <c>docker-credential-NAME</c>: logs "NAME ACTION INPUT", then runs <paramref name="body"/> with <c>$input</c> (the server URL read from stdin).</summary>
    private void Helper(string name, string body)
    {
        string path = Path.Combine(_bin, "docker-credential-" + name);
        File.WriteAllText(path, $"#!/bin/sh\ninput=$(cat)\necho \"{name} $1 $input\" >> '{_log}'\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private string[] Calls() => File.Exists(_log) ? File.ReadAllLines(_log) : [];

    /// <summary>Runs bollard with a docker config of <paramref name="config"/>, the helpers on PATH and nothing else of the runner's credentials.</summary>
    private async Task<BollardProcess.Exited> WithConfigAsync(object config, Dictionary<string, string>? extra = null, params string[] args)
    {
        string dir = Path.Combine(_work, "docker-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config));
        File.Delete(_log);
        var env = new Dictionary<string, string>
        {
            ["DOCKER_CONFIG"] = dir,
            ["PATH"] = _bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
        };
        foreach (var (k, v) in extra ?? []) env[k] = v;
        var result = await BollardProcess.RunAsync(args.Length > 0 ? args : ["sbom", _image, "--generate"], env);
        Assert.DoesNotContain(AccessServer.AdminPassword, result.Stdout + result.Stderr, StringComparison.Ordinal);
        return result;
    }

    private static string WrongAuths() =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("admin:not-the-password"));

    [Fact]
    public async Task CredsStore_helper_is_run_with_the_host_on_stdin_and_its_credentials_pull()
    {
        var ok = await WithConfigAsync(new { credsStore = "bollardtest" });
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Contains("pkg:apk/alpine/", ok.Stdout, StringComparison.Ordinal);
        Assert.Equal([$"bollardtest get {_access.Server.HostPort}"], Calls());

        // credsStore comes before auths (a wrong password there is not used), as with docker.
        var overAuths = await WithConfigAsync(new Dictionary<string, object>
        {
            ["credsStore"] = "bollardtest",
            ["auths"] = new Dictionary<string, object> { [_access.Server.HostPort] = new { auth = WrongAuths() } },
        });
        Assert.True(overAuths.ExitCode == 0, overAuths.Stderr);
        Assert.Single(Calls());
    }

    [Fact]
    public async Task CredHelpers_for_the_host_come_before_credsStore_and_an_identity_token_is_redeemed()
    {
        // A Bollard refresh token (what 'docker login' stores as an identity token), answered as <token>.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=bollard&scope=repository:team/app:pull&offline_token=true");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", _access.Admin.BasicHeader);
        using var answer = await _access.Raw().SendAsync(request);
        string refresh = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["refresh_token"]!.GetValue<string>();
        Helper("bollardtoken", $$"""printf '{"ServerURL":"%s","Username":"<token>","Secret":"{{refresh}}"}' "$input" """);

        var result = await WithConfigAsync(new Dictionary<string, object>
        {
            ["credsStore"] = "bollardfail",
            ["credHelpers"] = new Dictionary<string, string> { ["other.example"] = "bollardfail", [_access.Server.HostPort] = "bollardtoken" },
            ["auths"] = new Dictionary<string, object> { [_access.Server.HostPort] = new { auth = WrongAuths() } },
        });
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal([$"bollardtoken get {_access.Server.HostPort}"], Calls());
        Assert.DoesNotContain(refresh, result.Stdout + result.Stderr, StringComparison.Ordinal);

        // A refused identity token says so, without the token.
        Helper("bollardtoken", """printf '{"ServerURL":"%s","Username":"<token>","Secret":"not-a-refresh-token"}' "$input" """);
        var refused = await WithConfigAsync(new { credHelpers = new Dictionary<string, string> { [_access.Server.HostPort] = "bollardtoken" } });
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("the identity token of credHelpers", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-refresh-token", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_helper_with_nothing_for_the_host_means_anonymous_and_broken_helpers_are_one_line_errors()
    {
        // "credentials not found": anonymous, as docker does (the server then refuses).
        var none = await WithConfigAsync(new { credsStore = "bollardnone" });
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("give --username/--password", none.Stderr, StringComparison.Ordinal);
        Assert.Equal([$"bollardnone get {_access.Server.HostPort}"], Calls());

        var missing = await WithConfigAsync(new { credsStore = "nosuchhelper" });
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("the docker credential helper docker-credential-nosuchhelper (credsStore of ", missing.Stderr, StringComparison.Ordinal);
        Assert.Contains("cannot be run", missing.Stderr, StringComparison.Ordinal);

        var failing = await WithConfigAsync(new { credHelpers = new Dictionary<string, string> { [_access.Server.HostPort] = "bollardfail" } });
        Assert.Equal(1, failing.ExitCode);
        Assert.Contains($"docker-credential-bollardfail (credHelpers[\"{_access.Server.HostPort}\"] of ", failing.Stderr, StringComparison.Ordinal);
        Assert.Contains("(exit code 3): boom: the keychain is locked", failing.Stderr, StringComparison.Ordinal);

        // An answer that is not the protocol's JSON is not quoted (it might hold the secret).
        var garbage = await WithConfigAsync(new { credsStore = "bollardgarbage" });
        Assert.Equal(1, garbage.ExitCode);
        Assert.Contains("something that is not its JSON", garbage.Stderr, StringComparison.Ordinal);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var slow = await WithConfigAsync(new { credsStore = "bollardslow" }, new Dictionary<string, string> { ["BOLLARD_CREDENTIAL_HELPER_TIMEOUT"] = "1" });
        Assert.Equal(1, slow.ExitCode);
        Assert.Contains("docker-credential-bollardslow (credsStore of ", slow.Stderr, StringComparison.Ordinal);
        Assert.Contains("did not answer within 1 s", slow.Stderr, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(25), $"the hanging helper held bollard {started.Elapsed}");

        foreach (var r in new[] { none, missing, failing, garbage, slow })
        {
            Assert.Single(r.Stderr.Trim().Split('\n'));
            Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        }
    }
}
