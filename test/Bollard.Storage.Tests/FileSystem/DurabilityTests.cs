using Bollard.Storage.FileSystem;

namespace Bollard.Storage.Tests.FileSystem;

public sealed class DurabilityTests
{
    private const long Window = Durability.WritebackWindow;

    [Fact]
    public void WritebackRange_WriteInsideOneWindow_StartsNothing() =>
        Assert.Null(Durability.WritebackRange(Window / 2, 256 * 1024));

    [Fact]
    public void WritebackRange_WriteThatCompletesAWindow_StartsThatWindow() =>
        Assert.Equal((0L, Window), Durability.WritebackRange(Window - 256 * 1024, 256 * 1024));

    [Fact]
    public void WritebackRange_WriteThatCrossesABoundary_StartsUpToTheBoundaryOnly() =>
        Assert.Equal((Window, Window), Durability.WritebackRange(2 * Window - 100, 200));

    [Fact]
    public void WritebackRange_LargeWrite_StartsEveryWindowItCompleted() =>
        Assert.Equal((0L, 2 * Window), Durability.WritebackRange(Window / 2, 2 * Window));

    [Fact]
    public void WritebackRange_EmptyWrite_StartsNothing() =>
        Assert.Null(Durability.WritebackRange(Window - 1, 0));
}
