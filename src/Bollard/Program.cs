using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Bollard.Hosting;
using Bollard.Cli;
using Bollard.Server.Hosting;

var listen = new Option<string?>("--listen") { Description = "Address and port to listen on (default 127.0.0.1:5000)" };
var data = new Option<string?>("--data") { Description = "Folder for metadata and blobs (default ./bollard-data)" };
var config = new Option<string?>("--config") { Description = "YAML configuration file" };
var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate (chain) for HTTPS; needs --tls-key" };
var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key for --tls-cert" };

var serve = new Command("serve", "Run the registry server");
serve.Options.Add(listen);
serve.Options.Add(data);
serve.Options.Add(config);
serve.Options.Add(tlsCert);
serve.Options.Add(tlsKey);
serve.SetAction(async (parse, ct) =>
{
    var overrides = new Dictionary<string, string?>();
    if (parse.GetValue(listen) is { } l) overrides["Server:Listen"] = l;
    if (parse.GetValue(data) is { } d) overrides["Storage:DataDir"] = d;
    if (parse.GetValue(tlsCert) is { } tc) overrides["Server:TlsCertificate"] = tc;
    if (parse.GetValue(tlsKey) is { } tk) overrides["Server:TlsKey"] = tk;
    // Exit codes: 0 after a normal shutdown, 2 for a setting that cannot work (one line naming it, before anything is
    // created), 1 for any other fatal error (the host could not start or stopped on a failure).
    try
    {
        await using var app = BollardApplication.Build(parse.GetValue(config), overrides, logging: null, fromCommandLine: true, configureServices: null);
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e) when (e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            // The port was taken between the check and Kestrel's bind.
            await Console.Error.WriteLineAsync($"bollard: Server:Listen: {e.Message}");
            return 2;
        }
        await app.WaitForShutdownAsync(ct);
        // A background service that failed to start stopped the host: exit as a failed start did before.
        await BackgroundStartup.ThrowIfStartFailedAsync(app.Services);
        return 0;
    }
    catch (ConfigurationException e)
    {
        await Console.Error.WriteLineAsync($"bollard: {e.Message}");
        return 2;
    }
    catch (Microsoft.Extensions.Options.OptionsValidationException e)
    {
        foreach (string failure in e.Failures) await Console.Error.WriteLineAsync($"bollard: {failure}");
        return 2;
    }
    catch (Exception e) when (e is not OperationCanceledException)
    {
        await Console.Error.WriteLineAsync($"bollard: fatal: {e.GetType().Name}: {e.Message}");
        await Console.Error.WriteLineAsync(e.ToString());
        return 1;
    }
});

var root = new RootCommand("Bollard: a container registry that is also your supply-chain security gate");
root.Subcommands.Add(serve);
root.Subcommands.Add(AdminCommands.Create());
BollardCli.AddTo(root);
var parsed = root.Parse(args);
// Usage errors, of serve as of every other command: one line on standard error, exit code 2.
if (parsed.Errors.Count > 0) return BollardCli.ReportUsageErrors(parsed);
return await parsed.InvokeAsync();
