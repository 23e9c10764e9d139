namespace Bollard.Scanning.Tests;

/// <summary>
/// The shared advisory and fixture data (<c>vulndata/</c>), which lives beside the repository as <c>../shared</c>
/// (here and on the CI machine): the repository root is the folder holding <c>Bollard.slnx</c>, found by walking
/// up from the test assembly. In a git worktree (<c>.git</c> is a file) the main checkout's <c>../shared</c> is
/// used when the worktree has none beside it. A missing folder fails the test with the paths looked for; tests never
/// skip silently.
/// </summary>
internal static class SharedData
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The <c>shared</c> folder.</summary>
    public static string Folder => Root.Value;

    /// <summary>A path under <c>shared/vulndata/</c>; throws with a clear message when it does not exist.</summary>
    public static string VulnData(params string[] parts)
    {
        string path = Path.Combine([Folder, "vulndata", .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new InvalidOperationException($"Shared test data not found: {path} (expected <repository root>/../shared/vulndata).");
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Bollard.slnx"))) continue;
            string shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
            if (Directory.Exists(shared)) return shared;
            string? main = MainCheckout(dir.FullName);
            string? mainShared = main is null ? null : Path.GetFullPath(Path.Combine(main, "..", "shared"));
            if (mainShared is not null && Directory.Exists(mainShared)) return mainShared;
            throw new InvalidOperationException($"Shared test data folder not found: {shared}{(mainShared is null ? "" : $" nor {mainShared}")} (expected beside the repository root {dir.FullName}).");
        }
        throw new InvalidOperationException($"No Bollard.slnx above {AppContext.BaseDirectory}: cannot locate <repository root>/../shared.");
    }

    /// <summary>For a git worktree (<c>.git</c> file "gitdir: MAIN/.git/worktrees/NAME"), the main checkout's folder.</summary>
    private static string? MainCheckout(string root)
    {
        string gitFile = Path.Combine(root, ".git");
        if (!File.Exists(gitFile)) return null;
        string line = File.ReadAllText(gitFile).Trim();
        if (!line.StartsWith("gitdir:", StringComparison.Ordinal)) return null;
        var gitDir = new DirectoryInfo(Path.GetFullPath(line["gitdir:".Length..].Trim(), root));
        // MAIN/.git/worktrees/NAME -> MAIN
        return gitDir.Parent?.Name == "worktrees" ? gitDir.Parent.Parent?.Parent?.FullName : null;
    }
}
