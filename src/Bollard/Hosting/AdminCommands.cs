using System.CommandLine;
using Bollard.Core.Auth;
using Bollard.Core.Storage;
using Bollard.Storage;
using Bollard.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.Hosting;

/// <summary>
/// Offline administration of a data folder, with the server stopped or running: <c>bollard admin reset-password
/// --data DIR</c> sets a new password for <c>admin</c> (or <c>--user NAME</c>) directly in the database, for when the
/// generated first password was lost or <c>BOLLARD_ADMIN_PASSWORD</c> was set after the first start.
/// </summary>
public static class AdminCommands
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data folder of the server (default ./bollard-data)", HelpName = "DIR" };
        var user = new Option<string>("--user") { Description = "User whose password to reset (default admin)", DefaultValueFactory = _ => "admin" };
        var generate = new Option<bool>("--generate") { Description = "Generate a password and print it, instead of reading one" };
        var reset = new Command("reset-password", "Set a user's password directly in the data folder (no server needed). " +
                                                  "Reads the new password from standard input, or prompts; empty input or --generate generates one and prints it.");
        reset.Options.Add(data);
        reset.Options.Add(user);
        reset.Options.Add(generate);
        reset.SetAction(async (parse, ct) =>
        {
            try
            {
                return await ResetPasswordAsync(parse.GetValue(data) ?? "./bollard-data", parse.GetValue(user) ?? "admin", parse.GetValue(generate), ct).ConfigureAwait(false);
            }
            catch (ConfigurationException e)
            {
                await Console.Error.WriteLineAsync($"bollard: {e.Message}").ConfigureAwait(false);
                return 2;
            }
        });
        var admin = new Command("admin", "Offline administration of a data folder");
        admin.Subcommands.Add(reset);
        return admin;
    }

    private static async Task<int> ResetPasswordAsync(string dataDir, string userName, bool generate, CancellationToken ct)
    {
        string full = Path.GetFullPath(dataDir);
        string db = Path.Combine(full, "bollard.db");
        if (File.Exists(full)) throw new ConfigurationException($"--data: '{full}' is a file, not a data folder");
        if (!File.Exists(db))
            throw new ConfigurationException($"--data: '{full}' holds no Bollard database (bollard.db); give the folder 'bollard serve --data' uses");
        string? password = generate ? null : ReadPassword();
        bool generated = password is null;
        password ??= Secrets.New("").Replace('-', 'x').Replace('_', 'y')[..24];
        if (password.Length is < IdentityService.MinPasswordLength or > 1024)
            throw new ConfigurationException($"the new password is {password.Length} characters long; a password is {IdentityService.MinPasswordLength} to 1024 characters");

        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddSqliteMetadata(new SqliteOptions { Path = db });
        await using var provider = services.BuildServiceProvider();
        var identities = provider.GetRequiredService<IIdentityStore>();
        var record = await identities.GetUserAsync(userName, ct).ConfigureAwait(false)
                     ?? throw new ConfigurationException($"--user: there is no user '{userName}' in {db}");
        await identities.UpdateUserAsync(record.Id, PasswordHasher.Hash(password, PasswordHasher.DefaultIterations), null, ct).ConfigureAwait(false);
        await provider.GetRequiredService<IAuditLog>().AppendAsync([new AuditEvent
        {
            Time = TimeProvider.System.GetUtcNow(), Principal = "system", ClientAddress = "", Action = "user.update", Outcome = "success",
            Detail = $"{userName}: password reset offline (bollard admin reset-password)",
        }], ct).ConfigureAwait(false);
        if (generated) await Console.Out.WriteLineAsync($"New password of '{userName}' (shown once): {password}").ConfigureAwait(false);
        else await Console.Out.WriteLineAsync($"The password of '{userName}' is changed.").ConfigureAwait(false);
        return 0;
    }

    /// <returns>The password from standard input (first line) or the prompt; null when none was given (generate one).</returns>
    private static string? ReadPassword()
    {
        if (Console.IsInputRedirected)
        {
            string? line = Console.In.ReadLine()?.TrimEnd('\r');
            return string.IsNullOrEmpty(line) ? null : line;
        }
        Console.Error.Write("New password (empty: generate one): ");
        string first = ReadHidden();
        if (first.Length == 0) return null;
        Console.Error.Write("Repeat the new password: ");
        if (ReadHidden() != first) throw new ConfigurationException("the passwords do not match");
        return first;
    }

    private static string ReadHidden()
    {
        var text = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (text.Length > 0) text.Length--; }
            else if (!char.IsControl(key.KeyChar)) text.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return text.ToString();
    }
}
