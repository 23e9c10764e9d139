namespace Bollard.IntegrationTests.Hosting;

/// <summary>
/// Issue 6, B5 and D1: the data folder is private to the server's user (the database holds the token signing key),
/// an existing folder that others can read is reported, and the host does not watch its working directory.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DataFolderTests : IDisposable
{
    private readonly string _dir = TempDir.Create("bollard-datafolder-");

    public void Dispose() => TempDir.Delete(_dir);

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    public async Task FreshDataFolder_IsPrivate_DatabaseAndCompanions0600()
    {
        string data = Path.Combine(_dir, "data");
        await using var server = await BollardServer.StartAsync(dataDir: data);
        await server.Client.PushImageAsync("perm/app", "v1", layers: 1);

        Assert.Equal(Private, File.GetUnixFileMode(data));
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(data, "blobs")));
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(data, "uploads")));
        foreach (string file in new[] { "bollard.db", "bollard.db-wal", "bollard.db-shm" })
        {
            string path = Path.Combine(data, file);
            Assert.True(File.Exists(path), $"{file} is missing");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public async Task ExistingFolderReadableByOthers_IsReportedAtStartup()
    {
        string data = Path.Combine(_dir, "open");
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, Private | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await using var process = await BollardProcess.StartAsync(data, new Dictionary<string, string> { ["BOLLARD__AUTH__ENABLED"] = "false" });
        Assert.Contains(process.Lines, l => l.Line.Contains($"'{data}' can be read by other users of this machine (mode 0755)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartedFromABigTree_WatchesNothingInIt()
    {
        string tree = Path.Combine(_dir, "tree");
        for (int i = 0; i < 40; i++)
            for (int j = 0; j < 10; j++)
                Directory.CreateDirectory(Path.Combine(tree, $"d{i}", $"e{j}"));
        string data = Path.Combine(_dir, "data");
        await using var process = await BollardProcess.StartAsync(data, new Dictionary<string, string> { ["BOLLARD__AUTH__ENABLED"] = "false" }, workingDirectory: tree);
        using (var response = await process.Client.GetAsync("/v2/")) Assert.True(response.IsSuccessStatusCode);

        // Every inotify watch of the process is one "inotify wd:" line in the fdinfo of an inotify descriptor.
        int watches = 0;
        foreach (string fdinfo in Directory.GetFiles($"/proc/{process.Pid}/fdinfo"))
        {
            try
            {
                watches += (await File.ReadAllLinesAsync(fdinfo)).Count(l => l.StartsWith("inotify wd:", StringComparison.Ordinal));
            }
            catch (IOException) { } // a descriptor closed meanwhile
        }
        Assert.True(watches < 10, $"{watches} inotify watches (the working directory has 441 folders)");
    }
}
