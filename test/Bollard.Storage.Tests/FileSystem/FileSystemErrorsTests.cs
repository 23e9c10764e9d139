using Bollard.Core.Storage;
using Bollard.Storage.FileSystem;

namespace Bollard.Storage.Tests.FileSystem;

/// <summary>The folder backend turns real operating-system failures into Core's storage exceptions (issue 6, B10).</summary>
public sealed class FileSystemErrorsTests
{
    [Fact]
    public void TryTranslate_DiskFull_IsStorageFull()
    {
        if (!File.Exists("/dev/full")) return; // Linux only: /dev/full answers every write with ENOSPC
        IOException? real = null;
        try
        {
            using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
            full.Write(new byte[4096]);
            full.Flush();
        }
        catch (IOException e) { real = e; }
        Assert.NotNull(real);
        Assert.True(FileSystemErrors.TryTranslate(real, out var translated));
        Assert.IsType<StorageFullException>(translated);
    }

    [Fact]
    public void TryTranslate_FileWhereAFolderMustBe_IsUnavailable()
    {
        string dir = Path.Combine(Path.GetTempPath(), "bollard-fse-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(dir, "a file");
        try
        {
            var real = Assert.ThrowsAny<IOException>(() => new FileStream(Path.Combine(dir, "upload"), FileMode.CreateNew).Dispose());
            Assert.True(FileSystemErrors.TryTranslate(real, out var translated));
            Assert.IsType<StorageUnavailableException>(translated);
        }
        finally { File.Delete(dir); }
    }

    [Fact]
    public void TryTranslate_AnythingElse_IsLeftAlone() =>
        Assert.False(FileSystemErrors.TryTranslate(new InvalidDataException("bad"), out _));
}
