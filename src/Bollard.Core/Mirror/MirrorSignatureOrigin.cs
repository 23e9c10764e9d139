using System.Collections.Concurrent;
using Bollard.Core.Oci;
using Bollard.Core.Registry.Hooks;

namespace Bollard.Core.Mirror;

/// <summary>
/// The mirror as the <see cref="ISignatureOrigin"/> of its repositories. A signature made upstream names the upstream's
/// repository (<c>library/alpine</c>), so that name counts for <c>mirror/docker.io/library/alpine</c> too (the host in
/// a cosign reference is never checked; the repository path still must match, so a signature of another upstream
/// repository copied next to the image does not count). Before a trust decision on a mirrored image, its signatures are
/// brought in (<see cref="MirrorSignatureSync"/>), so an enforcing policy admits a signed upstream image on its very
/// first pull instead of waiting for the background job; the wait is bounded by the upstream's timeout, and a failure is
/// logged and leaves the decision to what is cached. An image's signatures are looked up upstream at most once per
/// tag TTL (remembered in memory, bounded), as tags are: an unsigned image is not asked about on every decision.
/// </summary>
/// <param name="warn">Where a failure to bring signatures is told (the host logs it as a warning).</param>
public sealed class MirrorSignatureOrigin(MirrorRouter router, Func<MirrorSignatureSync> sync, TimeProvider time, Action<string> warn)
    : ISignatureOrigin
{
    /// <summary>Images whose signatures were brought, with when; cleared when full (a miss only costs an upstream lookup).</summary>
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<(string Repository, Digest Subject), DateTimeOffset> _brought = new();
    private readonly SingleFlight<(string Repository, Digest Subject), bool> _flights = new();

    public IReadOnlyList<string> SignedNames(RepositoryName repository) =>
        router.Resolve(repository) is { } route ? [route.UpstreamRepository] : [];

    public async Task BringSignaturesAsync(RepositoryName repository, Digest subject, CancellationToken ct)
    {
        if (router.Resolve(repository) is not { } route || !route.Upstream.MirrorSignatures) return;
        var key = (repository.Value, subject);
        if (_brought.TryGetValue(key, out var at) && time.GetUtcNow() - at < route.Upstream.TagTtl) return;
        try
        {
            await _flights.RunAsync(key, () => BringAsync(route, subject), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OciException or UpstreamException or IOException or HttpRequestException or TimeoutException
                                   || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            warn($"the signatures of {route.Local}@{subject} could not be brought from upstream {route.Upstream.Name} before a trust decision; it sees what is cached: {e.Message}");
        }
    }

    private async Task<bool> BringAsync(MirrorRoute route, Digest subject)
    {
        using var bounded = new CancellationTokenSource(route.Upstream.Timeout);
        try
        {
            await sync().BringAsync(route, subject, bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested)
        {
            throw new TimeoutException($"the upstream did not answer within {route.Upstream.Timeout}");
        }
        if (_brought.Count >= MaxRemembered) _brought.Clear();
        _brought[(route.Local.Value, subject)] = time.GetUtcNow();
        return true;
    }
}
