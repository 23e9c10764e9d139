using System.CommandLine;
using System.Globalization;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard login</c>, <c>logout</c>, <c>whoami</c>.</summary>
internal static class LoginCommands
{
    /// <summary>The name of the personal access token <c>bollard login</c> creates.</summary>
    public const string TokenName = "bollard-cli";

    public static IEnumerable<Command> Create()
    {
        yield return Login();
        yield return Logout();
        yield return WhoAmI();
    }

    private static Command Login()
    {
        var url = new Argument<string?>("SERVER_URL") { Description = "The server, e.g. https://registry.example.com or http://127.0.0.1:5000 (default $BOLLARD_SERVER)", Arity = ArgumentArity.ZeroOrOne };
        var username = new Option<string?>("--username", "-u") { Description = "User name (default $BOLLARD_USER, else asked)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input" };
        var expires = new Option<string?>("--expires") { Description = "Let the stored token expire, e.g. 90d (default: never)", HelpName = "DURATION" };
        var caCert = new Option<string?>("--ca-cert") { Description = "PEM file of the server's certificate or CA, for a self-signed HTTPS server (stored with the login)", HelpName = "FILE" };
        var insecure = new Option<bool>("--insecure") { Description = "Do not check the server's HTTPS certificate (test servers only; stored with the login)" };
        var command = new Command("login", "Log in to a server: stores the server, your name and a new personal access token (never the password)")
        {
            url, username, passwordStdin, expires, caCert, insecure,
        };
        command.SetAction((parse, ct) => BollardCli.RunAsync(async () =>
        {
            string serverText = parse.GetValue(url) is { Length: > 0 } u ? u
                : Environment.GetEnvironmentVariable("BOLLARD_SERVER") is { Length: > 0 } env ? env
                : throw CliException.Usage("give the server URL: bollard login SERVER_URL");
            string server = ServerUrl.Normalize(serverText);
            string? ca = parse.GetValue(caCert) is { Length: > 0 } caPath ? Path.GetFullPath(caPath) : null;
            bool skipVerify = parse.GetValue(insecure);
            if (ca is not null && skipVerify) throw CliException.Usage("give --ca-cert or --insecure, not both");
            if (ca is not null && !File.Exists(ca)) throw CliException.Usage($"--ca-cert '{ca}' does not exist");
            var tls = new CliTls(ca, skipVerify);
            string? expiresIn = BollardCli.CheckDuration(parse.GetValue(expires));
            string user = parse.GetValue(username) is { Length: > 0 } given ? given
                : Environment.GetEnvironmentVariable("BOLLARD_USER") is { Length: > 0 } envUser ? envUser
                : Terminal.ReadLine("Username: ");
            if (user.Length == 0) throw CliException.Usage("no username given");
            string password = Terminal.ReadSecrets(parse.GetValue(passwordStdin), false, "Password: ")[0];
            if (!server.StartsWith("https://", StringComparison.Ordinal) && !ServerUrl.IsLoopback(server))
                await Console.Error.WriteLineAsync($"bollard: warning: {server} is plain HTTP: the password crosses the network unencrypted").ConfigureAwait(false);

            string path = CliConfig.DefaultPath();
            CliConfig? previous;
            try
            {
                previous = CliConfig.Load(path);
            }
            catch (CliException)
            {
                previous = null; // a broken file is simply replaced
            }
            TokenCreated token;
            using (var client = new ManagementClient(server, new CliCredentials(user, password, "password"), tls: tls))
                token = await client.SendAsync(HttpMethod.Post, "/api/v1/tokens",
                    ManagementClient.Json(new CreateTokenRequest(TokenName, expiresIn), ManagementJson.Default.CreateTokenRequest),
                    ManagementJson.Default.TokenCreated, ct).ConfigureAwait(false);
            var config = new CliConfig(server, user, token.Token, token.Id, DateTimeOffset.UtcNow, ca, skipVerify);
            try
            {
                config.Save(path);
            }
            catch (CliException)
            {
                await TryRevokeAsync(config, token.Id, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false); // no token left behind unstored
                throw;
            }

            // The token of an earlier login is of no more use: revoke it (best effort, quickly).
            if (previous is { TokenId: { } oldId } && previous.Token != token.Token
                && await TryRevokeAsync(previous, oldId, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false) is { } problem)
                await Console.Error.WriteLineAsync($"bollard: warning: could not revoke the token of the previous login to {previous.Server} ({problem})").ConfigureAwait(false);

            string expiry = token.ExpiresAt is { } at ? $", expires {Output.Time(at)}" : "";
            Console.Out.WriteLine($"Logged in to {server} as {user} (personal access token '{TokenName}' #{token.Id}{expiry}, stored in {path}).");
            return 0;
        }));
        return command;
    }

    private static Command Logout()
    {
        var server = new Option<string?>("--server") { Description = "Only log out if the stored login is for this server", HelpName = "URL" };
        var command = new Command("logout", "Forget the stored login and revoke its personal access token") { server };
        command.SetAction((parse, ct) => BollardCli.RunAsync(async () =>
        {
            string path = CliConfig.DefaultPath();
            var config = CliConfig.Load(path);
            if (config is null)
            {
                Console.Out.WriteLine("Not logged in.");
                return 0;
            }
            if (parse.GetValue(server) is { Length: > 0 } s && !string.Equals(ServerUrl.Normalize(s), ServerUrl.Normalize(config.Server), StringComparison.OrdinalIgnoreCase))
            {
                Console.Out.WriteLine($"Not logged in to {ServerUrl.Normalize(s)} (the stored login is for {config.Server}).");
                return 0;
            }
            string? problem = config.TokenId is { } id ? await TryRevokeAsync(config, id, null, ct).ConfigureAwait(false) : "its id is unknown";
            CliConfig.Delete(path);
            if (problem is not null)
                await Console.Error.WriteLineAsync($"bollard: warning: could not revoke the personal access token on the server ({problem}); revoke it with 'bollard token revoke'").ConfigureAwait(false);
            Console.Out.WriteLine($"Logged out of {config.Server}.");
            return 0;
        }));
        return command;
    }

    private static Command WhoAmI() => BollardCli.Leaf("whoami", "Show who you are logged in as, and your role bindings", async ctx =>
    {
        using var client = ctx.Client();
        string body = await client.SendAsync(HttpMethod.Get, "/api/v1/me", null, ctx.Cancellation).ConfigureAwait(false);
        var me = client.Parse(body, ManagementJson.Default.MeResponse);
        ctx.Print(body, () =>
        {
            Console.Out.WriteLine($"{me.Name} ({me.Kind}{(me.Admin ? ", registry admin" : "")}) on {client.Server}");
            if (me.Bindings.Count == 0 && me.Admin) return;
            Console.Out.WriteLine();
            Output.Table(["ROLE", "NAMESPACE"], me.Bindings.Select(b => new[] { b.Role, b.Namespace }), "No role bindings.");
        });
        return 0;
    });

    /// <summary>Null when revoked (or already gone), else why not.</summary>
    private static async Task<string?> TryRevokeAsync(CliConfig config, long id, TimeSpan? timeout, CancellationToken ct)
    {
        try
        {
            using var client = new ManagementClient(ServerUrl.Normalize(config.Server), new CliCredentials(config.Username, config.Token, "login"), timeout, config.Tls);
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/tokens/{id.ToString(CultureInfo.InvariantCulture)}", null, ct).ConfigureAwait(false);
            return null;
        }
        catch (CliException e) when (e.Status is 401 or 404)
        {
            return null; // already revoked or expired
        }
        catch (CliException e)
        {
            return e.Message;
        }
    }
}
