using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Bollard.IntegrationTests.Hosting;

/// <summary>
/// Issue 6, C1: <c>BOLLARD_ADMIN_PASSWORD</c> given after the first start is ignored, and now says so; the admin
/// password can be reset offline with <c>bollard admin reset-password --data DIR</c>.
/// </summary>
public sealed class AdminPasswordTests : IDisposable
{
    private readonly string _data = TempDir.Create("bollard-adminpw-");

    public void Dispose() => TempDir.Delete(_data);

    private static async Task<HttpStatusCode> MeAsync(BollardProcess server, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{password}")));
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task PasswordVariableAfterFirstStart_IsReportedAsIgnored_ResetPasswordWorksOffline()
    {
        // First start without a password: one is generated (and, in the README's old tour, lost).
        await using (var first = await BollardProcess.StartAsync(_data))
        {
            Assert.True(await AttackSupport.EventuallyAsync(() => first.Lines.Any(l => l.Line.Contains("shown once", StringComparison.Ordinal)), 10_000));
        }

        const string wanted = "correct-horse-battery";
        await using (var second = await BollardProcess.StartAsync(_data, new Dictionary<string, string> { ["BOLLARD_ADMIN_PASSWORD"] = wanted }))
        {
            Assert.True(await AttackSupport.EventuallyAsync(() => second.Lines.Any(l => l.Line.Contains("BOLLARD_ADMIN_PASSWORD (Auth:AdminPassword) is ignored", StringComparison.Ordinal)), 10_000),
                second.RecentOutput());
            Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(second, wanted));
        }

        // With the server stopped: the new password from standard input.
        var reset = await BollardProcess.RunAsync(["admin", "reset-password", "--data", _data], stdin: wanted + "\n");
        Assert.True(reset.ExitCode == 0, reset.Stderr);
        Assert.Contains("The password of 'admin' is changed.", reset.Stdout);
        Assert.DoesNotContain(wanted, reset.Stdout + reset.Stderr);

        await using (var third = await BollardProcess.StartAsync(_data))
            Assert.Equal(HttpStatusCode.OK, await MeAsync(third, wanted));

        // Empty input: a generated password, printed once.
        var generated = await BollardProcess.RunAsync(["admin", "reset-password", "--data", _data], stdin: "");
        Assert.True(generated.ExitCode == 0, generated.Stderr);
        string password = generated.Stdout.Split("(shown once): ")[1].Trim();
        await using (var fourth = await BollardProcess.StartAsync(_data))
        {
            Assert.Equal(HttpStatusCode.OK, await MeAsync(fourth, password));
            Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(fourth, wanted));
        }
    }

    [Fact]
    public async Task ResetPassword_WithoutDatabase_RefusesClearly_AndCreatesNothing()
    {
        string empty = Path.Combine(_data, "empty");
        Directory.CreateDirectory(empty);
        var run = await BollardProcess.RunAsync(["admin", "reset-password", "--data", empty], stdin: "correct-horse-battery\n");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--data: '{empty}' holds no Bollard database (bollard.db)", run.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(empty));
    }

    [Fact]
    public async Task ResetPassword_TooShort_IsRefused()
    {
        await using (await BollardProcess.StartAsync(_data, new Dictionary<string, string> { ["BOLLARD__AUTH__ENABLED"] = "false" })) { }
        var run = await BollardProcess.RunAsync(["admin", "reset-password", "--data", _data], stdin: "short\n");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("a password is 12 to 1024 characters", run.Stderr);
    }
}
