using Bollard.Core.Auth;

namespace Bollard.Core.Usage.Quotas;

/// <summary>A storage quota on every repository a pattern matches, with what they hold now (<see cref="StorageUsage.TotalBytes"/> counts against it).</summary>
public sealed record Quota(NamespacePattern Pattern, long LimitBytes, StorageUsage Usage);
