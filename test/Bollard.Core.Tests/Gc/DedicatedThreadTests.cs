using Bollard.Core.Jobs;

namespace Bollard.Core.Tests.Gc;

/// <summary>A GC run's steps run on its own thread, not on the thread pool that serves requests.</summary>
public sealed class DedicatedThreadTests
{
    [Fact]
    public async Task SwitchTo_moves_the_method_onto_the_thread_and_back_after_a_real_wait()
    {
        using var thread = new DedicatedThread("test-gc");
        Assert.False(thread.IsCurrent);
        await thread.SwitchTo();
        Assert.True(thread.IsCurrent);
        Assert.False(Thread.CurrentThread.IsThreadPoolThread);
        await Task.Delay(20); // resumes elsewhere (the thread pool, or the test framework's context)
        Assert.False(thread.IsCurrent);
        await thread.SwitchTo();
        Assert.True(thread.IsCurrent);
    }

    [Fact]
    public async Task Work_posted_after_dispose_still_runs()
    {
        var thread = new DedicatedThread("test-gc");
        thread.Dispose();
        await thread.SwitchTo(); // on the thread pool instead
        Assert.False(thread.IsCurrent);
    }
}
