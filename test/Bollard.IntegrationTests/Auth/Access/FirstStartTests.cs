using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;

namespace Bollard.IntegrationTests.Auth.Access;

/// <summary>
/// No default password (Harbor CVE-2026-4404 class): the real executable, started with access control on and
/// no admin password configured, generates one, prints it once on standard output outside the log, and only it
/// opens the admin account; the usual default passwords do not.
/// </summary>
public sealed partial class FirstStartTests : IDisposable
{
    private readonly string _data = TempDir.Create("bollard-access-first-");

    public void Dispose() => TempDir.Delete(_data);

    [GeneratedRegex(@"^\s+([A-Za-z0-9]{16,})\s*$")]
    private static partial Regex PasswordLine();

    [Fact]
    public async Task FirstStart_PrintsAGeneratedPasswordOnce_OutsideTheLog_AndNoDefaultPasswordWorks()
    {
        await using var process = await BollardProcess.StartAsync(_data);
        // The banner comes before or around the "listening" line; wait for it briefly.
        bool bannerSeen = await AttackSupport.EventuallyAsync(() => process.Lines.Any(l => l.Line.Contains("shown once", StringComparison.Ordinal)), 10_000);
        var lines = process.Lines;
        Assert.True(bannerSeen, "no password banner:\n" + string.Join('\n', lines.Select(l => $"[{l.Stream}] {l.Line}")));

        int start = lines.ToList().FindIndex(l => l.Line.Contains("shown once", StringComparison.Ordinal));
        var candidates = lines.Skip(start).Take(6).Select(l => PasswordLine().Match(l.Line)).Where(m => m.Success).ToList();
        Assert.True(candidates.Count == 1, "expected one password line in the banner:\n" + string.Join('\n', lines.Select(l => l.Line)));
        string password = candidates[0].Groups[1].Value;
        Assert.True(password.Length >= 12, $"generated password is only {password.Length} characters");

        // Once, on standard output; never in any other line (log lines, standard error).
        var withPassword = lines.Where(l => l.Line.Contains(password, StringComparison.Ordinal)).ToList();
        Assert.Single(withPassword);
        Assert.Equal("out", withPassword[0].Stream);
        Assert.Contains(lines, l => l.Line.Contains("generated password", StringComparison.Ordinal)); // the log says where it went, not what it is

        using var client = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        async Task<HttpStatusCode> MeAsync(string user, string secret)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{secret}")));
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        foreach (string guess in new[] { "admin", "password", "Harbor12345", "", "bollard", "changeme" })
            Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync("admin", guess));
        Assert.Equal(HttpStatusCode.OK, await MeAsync("admin", password));
        // The token endpoint agrees.
        using (var token = new HttpRequestMessage(HttpMethod.Get, "/auth/token?service=bollard&scope=repository:x/y:push"))
        {
            token.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:admin")));
            using var response = await client.SendAsync(token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        // The audit log has the first start and every guess.
        using (var audit = new HttpRequestMessage(HttpMethod.Get, "/api/v1/audit?principal=admin&action=login&outcome=failure"))
        {
            audit.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{password}")));
            using var response = await client.SendAsync(audit);
            var events = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["events"]!.AsArray();
            // Identical failures within Auth:AuditCoalesceWindow are one event with a count (issue 6, B2).
            Assert.Equal(7, events.Sum(e => e!["count"]!.GetValue<int>()));
        }
        using (var audit = new HttpRequestMessage(HttpMethod.Get, "/api/v1/audit?action=user.create"))
        {
            audit.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{password}")));
            using var response = await client.SendAsync(audit);
            var created = Assert.Single(System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["events"]!.AsArray());
            Assert.Equal("system", created!["principal"]!.GetValue<string>());
            Assert.DoesNotContain(password, created.ToJsonString(), StringComparison.Ordinal);
        }

        // Still nowhere but that one line, after the failed and successful logins were logged.
        await Task.Delay(200);
        Assert.Single(process.Lines, l => l.Line.Contains(password, StringComparison.Ordinal));
    }
}
