namespace Bollard.Scanning.Analyzers.Languages.Java;

/// <summary>The main section of a jar's <c>META-INF/MANIFEST.MF</c> (JAR File Specification: <c>Name: value</c> lines, a continuation line starts with one space).</summary>
internal sealed class JarManifest
{
    private readonly Dictionary<string, string> attributes = new(StringComparer.OrdinalIgnoreCase);

    public static JarManifest Parse(string text)
    {
        var manifest = new JarManifest();
        string? last = null;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                break; // the end of the main section
            }

            if (line[0] == ' ' && last is not null)
            {
                manifest.attributes[last] += line[1..];
                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                last = line[..colon].Trim();
                manifest.attributes[last] = line[(colon + 1)..].Trim();
            }
        }

        return manifest;
    }

    /// <summary>
    /// Artifact and version from Implementation-Title/-Version (else Specification-, else Bundle-SymbolicName and
    /// Bundle-Version); the group from Implementation-Vendor-Id, else the Bundle-SymbolicName without its last part
    /// (<c>com.fasterxml.jackson.core.jackson-databind</c> -> <c>com.fasterxml.jackson.core</c>), as Trivy does.
    /// </summary>
    /// <returns>null without an artifact and a version.</returns>
    public PomProperties? Identify()
    {
        string? symbolic = Get("Bundle-SymbolicName")?.Split(';')[0].Trim();
        string? artifact = Get("Implementation-Title") ?? Get("Specification-Title") ?? symbolic;
        string? version = Get("Implementation-Version") ?? Get("Specification-Version") ?? Get("Bundle-Version");
        if (string.IsNullOrEmpty(artifact) || string.IsNullOrEmpty(version))
        {
            return null;
        }

        string? group = Get("Implementation-Vendor-Id");
        if (group is null && symbolic is not null && symbolic.LastIndexOf('.') is > 0 and int dot)
        {
            group = symbolic[..dot];
        }

        return new PomProperties(group ?? "", artifact, version);
    }

    private string? Get(string name) => attributes.TryGetValue(name, out string? v) && v.Length > 0 ? v : null;
}
