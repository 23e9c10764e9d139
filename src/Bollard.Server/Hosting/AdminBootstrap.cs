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
        if (!created)
        {
            // The variable only seeds the first start; saying nothing made the README tour fail at 'skopeo login'.
            if (options.AdminPassword is { Length: > 0 }) Log.AdminPasswordIgnored(logger);
            return;
        }
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

             Log in:    bollard login SERVER -u admin   (or skopeo login)
             Change it: bollard user passwd admin
             Lost it?   stop the server, run: bollard admin reset-password --data DIR
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

        [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "BOLLARD_ADMIN_PASSWORD (Auth:AdminPassword) is ignored: users exist already, it only sets the password at the first start. Change a password with 'bollard user passwd admin', or offline with 'bollard admin reset-password --data DIR'")]
        public static partial void AdminPasswordIgnored(ILogger logger);
    }
}
