using System.CommandLine;
using System.Globalization;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard token create|list|revoke</c>: your own personal access tokens.</summary>
internal static class TokenCommands
{
    public static Command Create() => BollardCli.Group("token", "Manage your personal access tokens (usable as your password)",
        CreateToken(), ListTokens(), RevokeToken());

    private static Command CreateToken()
    {
        var name = new Argument<string>("NAME") { Description = "What the token is for" };
        var expires = new Option<string?>("--expires") { Description = "Expiry, e.g. 30d, 12h, 2w (default: never)", HelpName = "DURATION" };
        return BollardCli.Leaf("create", "Create a personal access token; it is printed once", async ctx =>
        {
            string? expiresIn = BollardCli.CheckDuration(ctx.Parse.GetValue(expires));
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Post, "/api/v1/tokens",
                ManagementClient.Json(new CreateTokenRequest(ctx.Parse.GetValue(name)!, expiresIn), ManagementJson.Default.CreateTokenRequest), ctx.Cancellation).ConfigureAwait(false);
            var token = client.Parse(body, ManagementJson.Default.TokenCreated);
            string user = ctx.CredentialsFor(client.Server)!.Username;
            ctx.Print(body, () =>
            {
                var o = Console.Out;
                o.WriteLine($"Created personal access token '{token.Name}' (id {token.Id}, expires {Output.Time(token.ExpiresAt, "never")}).");
                o.WriteLine();
                o.WriteLine($"Token: {token.Token}");
                o.WriteLine();
                o.WriteLine($"The token is shown only this once: store it now. Use it as the password of {user}:");
                o.WriteLine($"  docker login {ServerUrl.DockerHost(client.Server)} --username '{user}' --password-stdin");
            });
            return 0;
        }, name, expires);
    }

    private static Command ListTokens() => BollardCli.Leaf("list", "List your personal access tokens", async ctx =>
    {
        using var client = ctx.Client();
        string body = await client.SendAsync(HttpMethod.Get, "/api/v1/tokens", null, ctx.Cancellation).ConfigureAwait(false);
        var tokens = client.Parse(body, ManagementJson.Default.ListTokenView);
        var now = DateTimeOffset.UtcNow;
        ctx.Print(body, () => Output.Table(["ID", "NAME", "EXPIRES", "CREATED"],
            tokens.Select(t => new[]
            {
                t.Id.ToString(CultureInfo.InvariantCulture), t.Name,
                t.ExpiresAt <= now ? $"EXPIRED {Output.Time(t.ExpiresAt)}" : Output.Time(t.ExpiresAt, "never"), Output.Time(t.CreatedAt),
            }),
            "No personal access tokens."));
        return 0;
    });

    private static Command RevokeToken()
    {
        var id = new Argument<string>("ID") { Description = "The token's id (see 'bollard token list')" };
        return BollardCli.Leaf("revoke", "Revoke one of your personal access tokens", async ctx =>
        {
            long tokenId = BollardCli.CheckId(ctx.Parse.GetValue(id), "token id");
            using var client = ctx.Client();
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/tokens/{tokenId.ToString(CultureInfo.InvariantCulture)}", null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Revoked personal access token {tokenId}.");
            if (ctx.Config is { TokenId: { } stored } c && stored == tokenId && string.Equals(c.Server, client.Server, StringComparison.OrdinalIgnoreCase))
                await Console.Error.WriteLineAsync("bollard: note: that was the token of your stored login; run 'bollard login' again").ConfigureAwait(false);
            return 0;
        }, id);
    }
}
