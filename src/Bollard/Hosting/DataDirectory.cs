using System.Net;
using System.Net.Sockets;

namespace Bollard.Hosting;

/// <summary>
/// Prepares what <c>bollard serve</c> writes to, after the settings are valid and before the host is built: the
/// data folder (0700), the blob folders <c>blobs/</c> and <c>uploads/</c> (0700) and the database file (0600: it
/// holds the token signing key; SQLite gives <c>-wal</c> and <c>-shm</c> the database's mode). Anything that cannot
/// be written is a <see cref="ConfigurationException"/> naming the setting. Existing folders and files that other
/// users can read are reported as warnings (they are not changed: an operator may have meant it).
/// </summary>
public static class DataDirectory
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode DatabaseMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OthersMask = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                                            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <returns>Warnings for the log.</returns>
    public static List<string> Prepare(ServeSettings settings, ConfigurationLayers layers)
    {
        var warnings = new List<string>();
        Folder(settings.DataDir, layers.Origin("Storage:DataDir"), warnings);
        if (settings.BlobType.Equals("filesystem", StringComparison.OrdinalIgnoreCase))
        {
            string origin = layers.Origin(settings.BlobPath == settings.DataDir ? "Storage:DataDir" : "Storage:Blobs:Path");
            Folder(settings.BlobPath!, origin, warnings);
            Folder(Path.Combine(settings.BlobPath!, "blobs"), origin, warnings);
            Folder(Path.Combine(settings.BlobPath!, "uploads"), origin, warnings);
        }
        if (settings.MetadataType.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            string path = settings.MetadataPath!;
            string origin = path == Path.Combine(settings.DataDir, "bollard.db") ? layers.Origin("Storage:DataDir") : layers.Origin("Storage:Metadata:Path");
            Folder(Path.GetDirectoryName(path)!, origin, warnings);
            DatabaseFile(path, origin, warnings);
            foreach (string companion in new[] { path + "-wal", path + "-shm" })
                if (File.Exists(companion)) Readable(companion, warnings);
        }
        return warnings;
    }

    private static void Folder(string path, string origin, List<string> warnings)
    {
        if (File.Exists(path))
            throw new ConfigurationException($"{origin}: '{path}' is a file, not a folder (give a folder for the data, e.g. --data ./bollard-data)");
        if (!Directory.Exists(path))
        {
            try
            {
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
                else Directory.CreateDirectory(path, FolderMode);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigurationException($"{origin}: the folder '{path}' cannot be created: {Reason(e)}", e);
            }
        }
        else Readable(path, warnings);
        // A probe file: a folder that exists but is read-only (a read-only mount, wrong owner) fails here, with the
        // setting named, instead of on the first push.
        string probe = Path.Combine(path, $".bollard-write-test-{Environment.ProcessId}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{origin}: the folder '{path}' is not writable: {Reason(e)}", e);
        }
    }

    private static void DatabaseFile(string path, string origin, List<string> warnings)
    {
        if (Directory.Exists(path)) throw new ConfigurationException($"{origin}: the database '{path}' is a folder, not a file");
        if (File.Exists(path))
        {
            Readable(path, warnings);
            return;
        }
        try
        {
            // Created empty with 0600 before SQLite opens it: SQLite keeps an existing file's mode, and gives it to -wal/-shm.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = DatabaseMode;
            using (new FileStream(path, options)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{origin}: the database '{path}' cannot be created: {Reason(e)}", e);
        }
    }

    private static void Readable(string path, List<string> warnings)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = File.GetUnixFileMode(path);
        if ((mode & OthersMask) != 0)
            warnings.Add($"'{path}' can be read by other users of this machine (mode {Octal(mode)}); the database holds the token signing key: chmod {(Directory.Exists(path) ? "700" : "600")} '{path}'");
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');

    private static string Reason(Exception e) => e is UnauthorizedAccessException ? "permission denied" : e.Message;

    /// <summary>
    /// Fails with the setting named when the listen port is taken, before anything is created (the port is bound
    /// again by Kestrel a moment later; a program that takes it in between still fails, with Kestrel's message).
    /// </summary>
    public static void CheckPortFree(IPEndPoint endpoint, ConfigurationLayers layers, string listen)
    {
        if (endpoint.Port == 0) return;
        try
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(endpoint);
            socket.Listen(1);
        }
        catch (SocketException e)
        {
            string origin = layers.Origin("Server:Listen");
            string why = e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => $"port {endpoint.Port} is already in use (another bollard, or another program: 'ss -ltnp | grep :{endpoint.Port}'); stop it or pick another port",
                SocketError.AddressNotAvailable => $"{endpoint.Address} is not an address of this machine",
                SocketError.AccessDenied => $"port {endpoint.Port} needs privileges (ports below 1024); pick a port above 1023",
                _ => e.Message,
            };
            throw new ConfigurationException($"{origin} '{listen}': {why}", e);
        }
    }
}
