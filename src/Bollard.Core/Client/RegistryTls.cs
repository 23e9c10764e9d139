using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Bollard.Core.Client;

/// <summary>
/// How a registry client trusts a registry's HTTPS certificate beyond the system's roots: extra CA certificates (a
/// <c>--ca-cert</c> file, a <c>certs.d/HOST/*.crt</c> folder, a <c>bollard login --ca-cert</c>), or no check at all
/// (a login made with <c>--insecure</c>). Either way the client speaks HTTPS, also to a loopback host, which otherwise
/// gets plain HTTP: a self-signed Bollard on 127.0.0.1 is reachable only this way.
/// </summary>
/// <param name="ExtraRoots">CA certificates trusted in addition to the system's; null or empty for the system's only.</param>
/// <param name="SkipVerify">The certificate is not checked at all (the user asked for it, for a test server).</param>
/// <param name="Source">Where this came from, for error messages ("--ca-cert /x/ca.pem", "bollard login").</param>
public sealed record RegistryTls(X509Certificate2Collection? ExtraRoots, bool SkipVerify, string Source)
{
    /// <summary>The validation callback: the system's verdict, else a chain to one of <see cref="ExtraRoots"/> for the right host name.</summary>
    public RemoteCertificateValidationCallback Callback()
    {
        var roots = ExtraRoots;
        bool skip = SkipVerify;
        return (_, certificate, _, errors) =>
        {
            if (skip) return true;
            if (errors == SslPolicyErrors.None) return true;
            if (certificate is null || roots is not { Count: > 0 } || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
    }
}
