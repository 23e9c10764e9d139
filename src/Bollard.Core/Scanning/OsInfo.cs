namespace Bollard.Core.Scanning;

/// <summary>
/// The distribution of an image, from <c>/etc/os-release</c> (or <c>/usr/lib/os-release</c>): <see cref="Id"/> is
/// <c>ID</c> (<c>debian</c>, <c>ubuntu</c>, <c>alpine</c>, <c>wolfi</c>, <c>rhel</c> ...), <see cref="VersionId"/>
/// <c>VERSION_ID</c> (<c>12</c>, <c>3.18.4</c>), <see cref="Codename"/> <c>VERSION_CODENAME</c> (<c>bookworm</c>).
/// OS advisories are matched by <see cref="Id"/> and the release derived from these (Debian by codename, Alpine by
/// <c>major.minor</c> branch).
/// </summary>
public sealed record OsInfo(string Id, string? VersionId, string? Codename, string? PrettyName);
