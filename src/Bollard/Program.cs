using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Bollard.Hosting;
using Bollard.Cli;

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
    try
    {
        await using var app = BollardApplication.Build(parse.GetValue(config), overrides);
        await app.StartAsync(ct);
        await app.WaitForShutdownAsync(ct);
        return 0;
    }
    catch (Exception e) when (e is FormatException or InvalidOperationException or InvalidDataException or FileNotFoundException
                              or Microsoft.Extensions.Options.OptionsValidationException or IOException)
    {
        await Console.Error.WriteLineAsync($"bollard: {e.Message}");
        return 2;
    }
});

var root = new RootCommand("Bollard: a container registry that is also your supply-chain security gate");
root.Subcommands.Add(serve);
BollardCli.AddTo(root);
var parsed = root.Parse(args);
// The management commands report usage errors as one line with exit code 2; serve keeps the default behaviour.
if (parsed.Errors.Count > 0 && BollardCli.Owns(parsed)) return BollardCli.ReportUsageErrors(parsed);
return await parsed.InvokeAsync();
