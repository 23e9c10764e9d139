using Bollard.Core.Oci;

namespace Bollard.Trust.Policy;

/// <summary>
/// The scanner's facts about one image for the policy engine (<see cref="ScanFacts"/>): the server reads its scan store,
/// SBOM referrers, first-push time, advisory publication times and exceptions. Asked only for policies with scanner
/// rules. Thread-safe.
/// </summary>
public interface IScanFactsSource
{
    /// <returns><see cref="ScanFacts.NotScanned"/> when nothing is known about the digest.</returns>
    Task<ScanFacts> GetAsync(RepositoryName repository, Digest digest, CancellationToken ct);
}
