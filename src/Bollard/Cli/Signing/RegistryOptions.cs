using System.CommandLine;
using Bollard.Core.Client;

namespace Bollard.Cli.Signing;

/// <summary>The registry options <c>bollard sign</c> and <c>bollard verify</c> share: the image and how to reach its registry.</summary>
internal sealed class RegistryOptions
{
    public Argument<string> Image { get; } = new("IMAGE") { Description = "docker://HOST/NAME:TAG or docker://HOST/NAME@sha256:..." };
    public Option<string?> Username { get; } = new("--username", "-u") { Description = "Registry user (else $BOLLARD_USERNAME, else bollard login, docker or skopeo login)" };
    public Option<string?> Password { get; } = new("--password", "-p") { Description = "Registry password or token (else $BOLLARD_PASSWORD)" };
    public Option<bool> Insecure { get; } = new("--insecure") { Description = "Plain HTTP to the registry (always allowed for loopback)" };
    public Option<string?> CaCert { get; } = new("--ca-cert") { Description = "PEM file of the registry's certificate or CA, for a self-signed HTTPS registry (else bollard login's, else certs.d/HOST/*.crt)", HelpName = "FILE" };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Image);
        command.Options.Add(Username);
        command.Options.Add(Password);
        command.Options.Add(Insecure);
        command.Options.Add(CaCert);
    }

    /// <exception cref="CliException">Not an image reference (exit code 2).</exception>
    public ImageReference ParseImage(ParseResult parse) =>
        ImageReference.TryParse(parse.GetValue(Image), out var image, out string? problem) ? image : throw CliException.Usage(problem);

    /// <summary>A client for the image's registry with the credentials of the flags, the environment or the docker config.</summary>
    public RegistryClient Client(ParseResult parse, ImageReference image)
    {
        RegistryCredentials? credentials;
        try
        {
            credentials = CliRegistryCredentials.Find(image.Host, parse.GetValue(Username), parse.GetValue(Password));
        }
        catch (RegistryClientException e)
        {
            throw CliException.Usage(e.Message);
        }
        bool insecure = parse.GetValue(Insecure);
        string? caCert = parse.GetValue(CaCert);
        if (caCert is not null && insecure) throw CliException.Usage("give --ca-cert or --insecure, not both");
        return new RegistryClient(image.Host, credentials, insecure, tls: insecure ? null : CliRegistryTls.Find(image.Host, caCert));
    }
}
