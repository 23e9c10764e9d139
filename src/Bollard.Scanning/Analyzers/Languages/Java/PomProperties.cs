namespace Bollard.Scanning.Analyzers.Languages.Java;

/// <summary>Maven's <c>pom.properties</c> (java.util.Properties text: <c>key=value</c> or <c>key: value</c>, <c>#</c>/<c>!</c> comments).</summary>
internal sealed record PomProperties(string GroupId, string ArtifactId, string Version)
{
    /// <returns>null unless groupId, artifactId and version are all there.</returns>
    public static PomProperties? Parse(string text)
    {
        string? group = null, artifact = null, version = null;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or '!')
            {
                continue;
            }

            int sep = line.IndexOfAny(['=', ':']);
            if (sep <= 0)
            {
                continue;
            }

            string value = line[(sep + 1)..].Trim();
            switch (line[..sep].Trim())
            {
                case "groupId": group = value; break;
                case "artifactId": artifact = value; break;
                case "version": version = value; break;
            }
        }

        return string.IsNullOrEmpty(group) || string.IsNullOrEmpty(artifact) || string.IsNullOrEmpty(version) ? null : new PomProperties(group, artifact, version);
    }
}
