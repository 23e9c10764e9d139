namespace Bollard.Scanning.Layers;

/// <summary>
/// Normalizes tar entry names to absolute image paths: <c>./a/../b</c> is <c>/b</c>, repeated and trailing slashes
/// go, and a <c>..</c> that would climb above the root is clamped there (as container runtimes do when they unpack,
/// e.g. containerd's <c>fs.RootPath</c>), reported through <c>escaped</c>.
/// </summary>
internal static class LayerPath
{
    public static string Normalize(string name, out bool escaped)
    {
        escaped = false;
        var parts = new List<string>();
        foreach (var part in name.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    escaped = true;
                }
                else
                {
                    parts.RemoveAt(parts.Count - 1);
                }

                continue;
            }

            parts.Add(part);
        }

        return "/" + string.Join('/', parts);
    }

    /// <summary>The parent of a normalized path (<c>/</c> for a top-level entry and for the root).</summary>
    public static string Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    public static string Combine(string dir, string name) => dir == "/" ? "/" + name : dir + "/" + name;
}
