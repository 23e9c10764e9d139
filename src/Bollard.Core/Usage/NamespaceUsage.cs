namespace Bollard.Core.Usage;

/// <summary>The usage of one namespace: the repositories whose first path component is <paramref name="Namespace"/> (see <see cref="UsageNamespaces"/>).</summary>
public sealed record NamespaceUsage(string Namespace, StorageUsage Usage);
