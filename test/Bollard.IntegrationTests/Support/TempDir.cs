namespace Bollard.IntegrationTests.Support;

public static class TempDir
{
    public static string Create(string prefix) => Directory.CreateTempSubdirectory(prefix).FullName;

    public static void Delete(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
