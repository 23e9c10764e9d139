using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bollard.Trust.Admission;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Admission;

/// <summary>
/// Who may ask for an admission review (docs/admission.md, "Who may call the webhook"). By default
/// (<see cref="AdmissionAuthentication.ClientCertificate"/>) only a caller presenting, over TLS, a client certificate
/// that chains to <see cref="AdmissionOptions.ClientCaFile"/> (valid now, client-auth EKU when it names EKUs, and a
/// subject CN or DNS SAN in <see cref="AdmissionOptions.ClientNames"/> when that is set); with no CA file configured
/// every review is refused, so a server that was never set up for admission does not answer decisions to anyone.
/// </summary>
public sealed class AdmissionClientCheck : IDisposable
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly AdmissionOptions _options;
    private readonly X509Certificate2Collection _roots = [];
    private readonly TimeProvider _time;

    public AdmissionClientCheck(AdmissionOptions options, TimeProvider time)
    {
        (_options, _time) = (options, time);
        if (options.Authentication == AdmissionAuthentication.ClientCertificate && options.ClientCaFile is { Length: > 0 } file)
            _roots.ImportFromPemFile(file);
    }

    /// <summary>A problem to answer with (status and reason), or null when the caller may ask.</summary>
    public async Task<(int Status, string Reason)?> CheckAsync(HttpContext context)
    {
        if (_options.Authentication == AdmissionAuthentication.None) return null;
        if (_roots.Count == 0)
            return (StatusCodes.Status403Forbidden, "the admission webhook is not set up: it answers only the Kubernetes API server's client certificate; set Admission:ClientCaFile (or Admission:Authentication: None behind a network policy), see docs/admission.md");
        if (!context.Request.IsHttps)
            return (StatusCodes.Status403Forbidden, "the admission webhook answers only over TLS with a client certificate (Server:TlsCertificate, Admission:ClientCaFile)");
        using var presented = await context.Connection.GetClientCertificateAsync(context.RequestAborted).ConfigureAwait(false);
        if (presented is null)
            return (StatusCodes.Status401Unauthorized, "no client certificate was presented (the API server sends one when its AdmissionConfiguration kubeconfig names it, see docs/admission.md)");
        return Verify(presented) is { } problem ? (StatusCodes.Status403Forbidden, "client certificate refused: " + problem) : null;
    }

    private string? Verify(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        if (!chain.Build(certificate))
            return string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).DefaultIfEmpty("it does not chain to Admission:ClientCaFile"));
        if (_options.ClientNames.Count == 0) return null;
        var names = new List<string> { certificate.GetNameInfo(X509NameType.SimpleName, false) };
        if (certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault() is { } san) names.AddRange(san.EnumerateDnsNames());
        return names.Any(n => _options.ClientNames.Contains(n, StringComparer.OrdinalIgnoreCase))
            ? null
            : $"its names ({string.Join(", ", names)}) are not in Admission:ClientNames";
    }

    public void Dispose()
    {
        foreach (var c in _roots) c.Dispose();
    }
}
