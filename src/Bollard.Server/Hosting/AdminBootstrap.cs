using Bollard.Core.Auth;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Hosting;

/// <summary>
/// On the first start with access control on, creates the <c>admin</c> user. Its password comes from
/// <c>Auth:AdminPassword</c> (<c>BOLLARD_ADMIN_PASSWORD</c>) or is generated and written once to standard output,
/// never to the log. There is no default password anywhere (Harbor CVE-2026-4404 class).
/// </summary>
public sealed partial class AdminBootstrap(IdentityService identities, AuthOptions options, ILogger<AdminBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            Log.AuthDisabled(logger);
            return;
        }
        var (created, generated) = await identities.EnsureAdminAsync(cancellationToken).ConfigureAwait(false);
        if (!created) return;
        if (generated is null)
        {
            Log.AdminCreated(logger);
            return;
        }
        Log.AdminCreatedGenerated(logger);
        // Deliberately not through the logger: log sinks are kept and shipped; this is shown once on the console.
        await Console.Out.WriteLineAsync($"""

            ================================================================
             Bollard created the user 'admin' with this password (shown once):

                 {generated}

             Change it with: bollard user passwd admin
            ================================================================

            """).ConfigureAwait(false);
        await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Access control is OFF (Auth:Enabled=false): anyone who reaches this port can push, overwrite and delete")]
        public static partial void AuthDisabled(ILogger logger);

        [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Created the 'admin' user with the password from BOLLARD_ADMIN_PASSWORD")]
        public static partial void AdminCreated(ILogger logger);

        [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Created the 'admin' user with a generated password, printed once on standard output")]
        public static partial void AdminCreatedGenerated(ILogger logger);
    }
}
