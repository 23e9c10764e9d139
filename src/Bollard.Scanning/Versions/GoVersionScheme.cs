using Bollard.Core.Scanning;

namespace Bollard.Scanning.Versions;

/// <summary>
/// Go module version order (golang.org/x/mod/semver): semantic versions with a <c>v</c> prefix (optional here, as
/// OSV writes Go versions without it). <c>+incompatible</c> is build metadata and so ignored
/// (<c>v2.0.0+incompatible</c> = <c>v2.0.0</c>). Pseudo-versions need no special case: they are pre-releases
/// (<c>v0.0.0-20210101000000-abcdef123456</c>, <c>v1.2.4-0.20210101000000-abcdef123456</c>) whose fixed-width UTC
/// timestamp orders them by commit time, below the next release. Toolchain versions of the standard library
/// (<c>go1.21.3</c>, <c>go1.21rc2</c>) are read as <c>1.21.3</c> and <c>1.21.0-rc.2</c>, the form the Go vulnerability
/// database uses for the standard library.
/// </summary>
public sealed class GoVersionScheme : IVersionScheme
{
    public static GoVersionScheme Instance { get; } = new();

    public string PackageType => PackageTypes.Golang;

    public bool IsValid(string version) => SemanticVersion.TryParse(Normalize(version), out _, out _);

    public int Compare(string left, string right) =>
        SemVerVersionScheme.Parse(Normalize(left)).CompareTo(SemVerVersionScheme.Parse(Normalize(right)));

    /// <summary>Toolchain spelling (<c>go1.21rc2</c>) to semantic versions; other strings unchanged.</summary>
    internal static string Normalize(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (!version.StartsWith("go", StringComparison.Ordinal)) return version;
        string v = version[2..];
        // go1.21rc2 / go1.21beta1: a pre-release of 1.21.0 (go/version: "1.21rc1" < "1.21.0"), "1.21.0-rc.2" in vulndb.
        int i = 0;
        while (i < v.Length && (VersionText.IsDigit(v[i]) || v[i] == '.')) i++;
        if (i == v.Length || i == 0) return v;
        string core = v[..i], rest = v[i..];
        string label = rest.StartsWith("rc", StringComparison.Ordinal) ? "rc" : rest.StartsWith("beta", StringComparison.Ordinal) ? "beta" : "";
        if (label.Length == 0 || !VersionText.AllDigits(rest.AsSpan(label.Length))) return v;
        if (core.Count(c => c == '.') == 1) core += ".0";
        return $"{core}-{label}.{rest[label.Length..]}";
    }
}
