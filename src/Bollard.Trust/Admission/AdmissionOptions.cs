using System.ComponentModel.DataAnnotations;

namespace Bollard.Trust.Admission;

/// <summary>What the admission webhook does with an image of another registry (<c>Admission:ExternalImages</c>).</summary>
public enum ExternalImageRule
{
    /// <summary>Refused with the reason (the default: only images this registry holds, and whose policy is met, run).</summary>
    Deny,

    /// <summary>Allowed, not checked, with a warning naming the image.</summary>
    Warn,

    /// <summary>Allowed, not checked, without a warning (noted in the response's message only).</summary>
    Allow,
}

/// <summary>How the webhook knows the caller is the Kubernetes API server (<c>Admission:Authentication</c>).</summary>
public enum AdmissionAuthentication
{
    /// <summary>
    /// The default: a TLS client certificate that chains to <c>Admission:ClientCaFile</c> (and, when
    /// <c>Admission:ClientNames</c> is set, names one of them). Without a CA file every review is refused (403).
    /// </summary>
    ClientCertificate,

    /// <summary>Anyone who reaches the port may ask; only behind a network policy that lets only the API server in.</summary>
    None,
}

/// <summary>
/// The Kubernetes admission webhook (<c>/admission/validate</c>, <c>/admission/mutate</c>; docs/admission.md), bound
/// from the <c>Admission</c> section.
/// </summary>
public sealed class AdmissionOptions
{
    public const string Section = "Admission";

    /// <summary>
    /// Host names (with the port when it is not 443) under which clusters pull from this registry, e.g.
    /// <c>registry.example.com</c>, <c>10.0.0.5:5000</c>. The server's own listen addresses are added. An image whose
    /// host is one of them is resolved here; any other is an external image.
    /// </summary>
    public List<string> RegistryHosts { get; set; } = [];

    public ExternalImageRule ExternalImages { get; set; } = ExternalImageRule.Deny;

    public AdmissionAuthentication Authentication { get; set; } = AdmissionAuthentication.ClientCertificate;

    /// <summary>PEM file of the CA(s) that issue the API server's client certificate (e.g. a dedicated webhook-client CA).</summary>
    public string? ClientCaFile { get; set; }

    /// <summary>When set, the client certificate's subject CN or one of its DNS SANs must be one of these.</summary>
    public List<string> ClientNames { get; set; } = [];

    /// <summary>
    /// Largest AdmissionReview body read (default 2 MiB): an object fits etcd's 1.5 MiB; a larger body is answered 413
    /// before it is read.
    /// </summary>
    [Range(4096, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>Most containers (containers + initContainers + ephemeralContainers) of one object; more is denied with the reason.</summary>
    [Range(1, 100_000)]
    public int MaxContainers { get; set; } = 1000;

    /// <summary>
    /// Time for one review (default 8s, under the API server's 10s default <c>timeoutSeconds</c>); an image not
    /// decided by then makes the review denied with that reason.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>Distinct images of one review resolved and decided at once.</summary>
    [Range(1, 256)]
    public int MaxConcurrency { get; set; } = 8;
}
