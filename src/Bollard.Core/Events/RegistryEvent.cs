using Bollard.Core.Oci;

namespace Bollard.Core.Events;

/// <summary>
/// One committed change of the registry, as stored in the outbox and delivered to subscribers. Immutable once
/// stored. <see cref="Sequence"/> is 0 until the store assigns it on append.
/// </summary>
public sealed record RegistryEvent
{
    /// <summary>The <see cref="Detail"/> of a <see cref="RegistryEventKind.TagDeleted"/> caused by deleting its manifest.</summary>
    public const string CascadeDetail = "manifest deleted";

    public long Sequence { get; init; }
    public required RegistryEventKind Kind { get; init; }
    public required DateTimeOffset Time { get; init; }
    /// <summary>The repository concerned; null for a registry-wide event (<see cref="RegistryEventKind.GcFinished"/>).</summary>
    public RepositoryName? Repository { get; init; }

    /// <summary>The blob or manifest concerned; for tag events, the manifest the tag points (or pointed) at.</summary>
    public Digest? Digest { get; init; }

    public string? Tag { get; init; }

    /// <summary>For <see cref="RegistryEventKind.TagMoved"/>: the manifest the tag pointed at before.</summary>
    public Digest? PreviousDigest { get; init; }

    public string? MediaType { get; init; }
    public long? Size { get; init; }

    /// <summary>Who made the change (<c>""</c> when unknown or anonymous).</summary>
    public string Principal { get; init; } = "";

    public string ClientAddress { get; init; } = "";

    /// <summary>A short qualifier (e.g. <c>upload</c> or <c>mount</c> for a blob link), never user-controlled free text.</summary>
    public string? Detail { get; init; }
}
