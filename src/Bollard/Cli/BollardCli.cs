using System.CommandLine;
using System.CommandLine.Parsing;
using Bollard.Core.Auth;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary>
/// The management commands of <c>bollard</c> (login, user, robot, token, binding, namespace, audit): clients of the
/// management API of a running server. Exit codes: 0 success, 1 the server refused or could not be reached,
/// 2 usage or configuration errors. Errors are one line on standard error.
/// </summary>
internal static class BollardCli
{
    private static readonly HashSet<Command> Commands = [];

    public static void AddTo(RootCommand root)
    {
        foreach (var command in LoginCommands.Create().Concat([
                     UserCommands.Create(), RobotCommands.Create(), TokenCommands.Create(), BindingCommands.Create(),
                     NamespaceCommands.Create(), AuditCommand.Create(),
                     RepositoryCommands.Create(), ImmutabilityCommands.Create(), RetentionCommands.Create(), GcCommands.Create(),
                     WebhookCommands.Create(), UsageCommands.Create(), QuotaCommands.Create(), DbCommands.Create(), ScanCommands.Scan(), ScanCommands.Sbom(),
                     PolicyCommands.Create(), KeyCommands.Create(), Signing.SignCommand.Create(), Signing.VerifyCommand.Create(), MirrorCommands.Create()]))
        {
            root.Subcommands.Add(command);
            Register(command);
        }
    }

    /// <summary>Whether a parse result belongs to one of these commands (so its errors are reported here).</summary>
    public static bool Owns(ParseResult parse) => Commands.Contains(parse.CommandResult.Command);

    /// <summary>Parse errors of a CLI command: one line on standard error, exit code 2.</summary>
    public static int ReportUsageErrors(ParseResult parse)
    {
        string path = CommandPath(parse.CommandResult);
        string errors = string.Join("; ", parse.Errors.Select(e => e.Message.TrimEnd('.')));
        Console.Error.WriteLine($"bollard: {errors} (see '{path} --help')");
        return CliException.UsageExitCode;
    }

    /// <summary>
    /// A command that talks to the server: adds <c>--server</c> and <c>--json</c> and runs <paramref name="run"/>
    /// with a <see cref="CliContext"/>, turning every failure into one line on standard error and an exit code.
    /// </summary>
    public static Command Leaf(string name, string description, Func<CliContext, Task<int>> run, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            if (symbol is Argument argument) command.Arguments.Add(argument);
            else if (symbol is Option option) command.Options.Add(option);
        }
        var server = new Option<string?>("--server") { Description = "Server URL (default: the one of 'bollard login', else $BOLLARD_SERVER)", HelpName = "URL" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        command.Options.Add(server);
        command.Options.Add(json);
        command.SetAction((parse, ct) => RunAsync(() => run(new CliContext(parse, parse.GetValue(server), parse.GetValue(json), ct))));
        return command;
    }

    /// <summary>A command group (<c>bollard user ...</c>).</summary>
    public static Command Group(string name, string description, params Command[] subcommands)
    {
        var group = new Command(name, description);
        foreach (var sub in subcommands) group.Subcommands.Add(sub);
        return group;
    }

    public static async Task<int> RunAsync(Func<Task<int>> run)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync($"bollard: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("bollard: cancelled").ConfigureAwait(false);
            return 130;
        }
        catch (Exception e)
        {
            // Never a stack trace: one line, like every other failure.
            await Console.Error.WriteLineAsync($"bollard: {e.Message}").ConfigureAwait(false);
            return CliException.FailureExitCode;
        }
    }

    /// <summary>Checks a duration like <c>90d</c> before anything is sent (exit code 2 if it is not one).</summary>
    public static string? CheckDuration(string? text, string option = "--expires") =>
        text is null ? null
        : Durations.TryParse(text, out _) ? text
        : throw CliException.Usage($"{option} '{text}' is not a duration like 90d, 12h, 30m or 2w");

    /// <summary>Checks a role name before anything is sent (exit code 2 if it is not one).</summary>
    public static string CheckRole(string? role) =>
        Roles.TryParse(role, out var r) ? r.Name() : throw CliException.Usage($"--role '{role}' is not one of reader, developer, maintainer, admin");

    /// <summary>A numeric id argument (exit code 2 if it is not one).</summary>
    public static long CheckId(string? text, string what) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long id)
            ? id
            : throw CliException.Usage($"{what} '{text}' is not a number (see the ID column of the list command)");

    private static void Register(Command command)
    {
        Commands.Add(command);
        foreach (var sub in command.Subcommands) Register(sub);
    }

    private static string CommandPath(SymbolResult? result)
    {
        var names = new List<string>();
        for (var r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Insert(0, c.Parent is null ? "bollard" : c.Command.Name);
        return string.Join(' ', names);
    }
}

/// <summary>Where a command sends its requests and with which credentials, and how it prints.</summary>
internal sealed class CliContext(ParseResult parse, string? serverOption, bool json, CancellationToken ct)
{
    private CliConfig? _config;
    private bool _configLoaded;

    public ParseResult Parse { get; } = parse;
    public bool Json { get; } = json;
    public CancellationToken Cancellation { get; } = ct;
    public string ConfigPath { get; } = CliConfig.DefaultPath();

    public CliConfig? Config
    {
        get
        {
            if (!_configLoaded) (_config, _configLoaded) = (CliConfig.Load(ConfigPath), true);
            return _config;
        }
    }

    public string? ServerOption { get; } = serverOption;

    /// <summary>
    /// <c>--server</c>, else the server of the stored login, else <c>$BOLLARD_SERVER</c>. When credentials come from
    /// the environment (<c>$BOLLARD_USER</c> is set), <c>$BOLLARD_SERVER</c> comes before the stored login.
    /// </summary>
    public string Server
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("BOLLARD_SERVER") is { Length: > 0 } e ? e : null;
            string? stored = EnvironmentCredentials() is null ? Config?.Server : null;
            string? chosen = ServerOption is { Length: > 0 } s ? s : stored ?? env ?? Config?.Server;
            return chosen is not null ? ServerUrl.Normalize(chosen)
                : throw CliException.Usage("no server: give --server URL, run 'bollard login URL' or set BOLLARD_SERVER");
        }
    }

    /// <summary>
    /// <c>$BOLLARD_USER</c> with <c>$BOLLARD_PASSWORD</c> or <c>$BOLLARD_TOKEN</c> when set (set for this command, they
    /// win), else the stored login when it is for <paramref name="server"/> (its token is never sent to another
    /// server), else none.
    /// </summary>
    public CliCredentials? CredentialsFor(string server)
    {
        if (EnvironmentCredentials() is { } env) return env;
        if (Config is { } c && string.Equals(ServerUrl.Normalize(c.Server), server, StringComparison.OrdinalIgnoreCase))
            return new CliCredentials(c.Username, c.Token, "login");
        return null;
    }

    private static CliCredentials? EnvironmentCredentials()
    {
        // BOLLARD_USERNAME is what the registry commands (sign, verify, scan) read; the management commands accept it
        // too, so one export serves every command.
        string? user = Environment.GetEnvironmentVariable("BOLLARD_USER") is { Length: > 0 } u ? u : Environment.GetEnvironmentVariable("BOLLARD_USERNAME");
        string? secret = Environment.GetEnvironmentVariable("BOLLARD_PASSWORD") is { Length: > 0 } p ? p : Environment.GetEnvironmentVariable("BOLLARD_TOKEN");
        if (string.IsNullOrEmpty(user) && string.IsNullOrEmpty(secret)) return null;
        if (string.IsNullOrEmpty(user)) throw CliException.Usage("BOLLARD_PASSWORD or BOLLARD_TOKEN is set but BOLLARD_USER (or BOLLARD_USERNAME) is not");
        if (string.IsNullOrEmpty(secret)) throw CliException.Usage("BOLLARD_USER is set but neither BOLLARD_PASSWORD nor BOLLARD_TOKEN");
        return new CliCredentials(user, secret, "BOLLARD_USER");
    }

    /// <summary>A client for the resolved server; with <paramref name="anonymous"/> false, credentials are required.</summary>
    public ManagementClient Client(bool anonymous = false)
    {
        string server = Server;
        var credentials = CredentialsFor(server);
        if (credentials is null && !anonymous)
            throw CliException.Usage($"not logged in to {server}: run 'bollard login {server}' or set BOLLARD_USER and BOLLARD_PASSWORD (or BOLLARD_TOKEN)");
        // The stored login's TLS trust (--ca-cert, --insecure) applies to its server only.
        var tls = Config is { } c && string.Equals(ServerUrl.Normalize(c.Server), server, StringComparison.OrdinalIgnoreCase) ? c.Tls : null;
        return new ManagementClient(server, credentials, tls: tls);
    }

    /// <summary>Prints the server's JSON with <c>--json</c>, else the human form.</summary>
    public void Print(string json, Action human)
    {
        if (Json) Output.WriteJson(json);
        else human();
    }

    /// <summary>A confirmation for people (nothing with <c>--json</c>, whose answer is the exit code).</summary>
    public void Done(string message)
    {
        if (!Json) Console.Out.WriteLine(message);
    }
}
