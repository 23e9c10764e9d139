using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bollard.Trust.Admission;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Admission;

/// <summary>Startup checks of the <c>Admission</c> section that attributes cannot express (files, TLS, durations).</summary>
public sealed class AdmissionOptionsValidator(IConfiguration configuration) : IValidateOptions<AdmissionOptions>
{
    public ValidateOptionsResult Validate(string? name, AdmissionOptions options)
    {
        var errors = new List<string>();
        if (options.Timeout < TimeSpan.FromMilliseconds(100) || options.Timeout > TimeSpan.FromMinutes(1))
            errors.Add($"Admission:Timeout '{options.Timeout}' must be between 100ms and 1m (the API server waits at most 30s)");
        if (options.Authentication == AdmissionAuthentication.ClientCertificate && options.ClientCaFile is { Length: > 0 } file)
        {
            try
            {
                var roots = new X509Certificate2Collection();
                roots.ImportFromPemFile(file);
                if (roots.Count == 0) errors.Add($"Admission:ClientCaFile '{file}' holds no PEM certificate");
                foreach (var c in roots) c.Dispose();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                errors.Add($"Admission:ClientCaFile '{file}' cannot be read: {e.Message}");
            }
            if (string.IsNullOrEmpty(configuration["Server:TlsCertificate"]))
                errors.Add("Admission:ClientCaFile is set but the server has no TLS (Server:TlsCertificate, Server:TlsKey): client certificates need it");
        }
        foreach (string host in options.RegistryHosts)
            if (!ImageReference.TryParse(host + "/x", out var parsed, out _) || parsed.Host != host)
                errors.Add($"Admission:RegistryHosts entry '{host}' is not a host name with an optional port (registry.example.com, 10.0.0.5:5000)");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
