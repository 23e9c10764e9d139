namespace Bollard.Core.Scanning;

/// <summary>
/// One package found in an image (issue 8): what an analyzer read from one file, attributed to the layer that
/// introduced it. <see cref="Type"/> is the package-URL type and is also the matching key's ecosystem:
/// <c>deb</c>, <c>apk</c>, <c>rpm</c>, <c>npm</c>, <c>nuget</c>, <c>pypi</c>, <c>golang</c>, <c>maven</c>,
/// <c>gem</c>, <c>cargo</c> (see <see cref="PackageTypes"/>).
/// </summary>
public sealed record ScanPackage
{
    /// <summary>Package-URL type (<see cref="PackageTypes"/>).</summary>
    public required string Type { get; init; }

    /// <summary>
    /// The name as its ecosystem writes it and advisories name it: dpkg/apk/rpm binary package name, npm name with
    /// its scope (<c>@types/node</c>), NuGet id, PyPI name as declared, Go module path, Maven <c>group:artifact</c>,
    /// gem name, crate name.
    /// </summary>
    public required string Name { get; init; }

    public required string Version { get; init; }

    /// <summary>
    /// The source package OS advisories are keyed by: dpkg <c>Source:</c> (the binary name when absent), apk
    /// <c>o:</c> origin, rpm source rpm name. Null for language packages.
    /// </summary>
    public string? SourceName { get; init; }

    /// <summary>dpkg source version when the <c>Source:</c> field names one (<c>Source: glibc (2.36-9)</c>); else null (same as <see cref="Version"/>).</summary>
    public string? SourceVersion { get; init; }

    /// <summary>Declared licences (SPDX ids or expressions where the file says so, else the text as written).</summary>
    public IReadOnlyList<string> Licenses { get; init; } = [];

    /// <summary>The package URL (purl spec), with the distro qualifier for OS packages (<c>pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64&amp;distro=debian-12</c>).</summary>
    public required string Purl { get; init; }

    /// <summary>Absolute path in the image of the file it was read from (<c>/var/lib/dpkg/status</c>, <c>/app/package-lock.json</c>, a jar inside a war as <c>/app.war!/WEB-INF/lib/x.jar</c>).</summary>
    public required string Path { get; init; }

    /// <summary>The layer that introduced the package (the lowest layer from which it stayed in the image); set when layers are merged, null from a single-file analysis.</summary>
    public string? LayerDigest { get; init; }
}
