using System.Runtime.InteropServices;

namespace Bollard.Core.Jobs;

/// <summary>
/// Lowers the CPU priority of the calling thread only (on Linux a thread has its own nice value; .NET's
/// <see cref="Thread.Priority"/> does nothing there without privileges). Getting it back needs CAP_SYS_NICE, so a
/// thread lowered here stays low: use it for threads that only ever do background work.
/// </summary>
public static partial class ThreadNice
{
    private const int PrioProcess = 0; // PRIO_PROCESS; with a thread id it names that thread alone

    /// <summary>Adds <paramref name="increment"/> to the calling thread's nice value (at most 19, the lowest priority).</summary>
    /// <returns>false when not on Linux, when the increment is not positive, or when the call failed (the thread keeps its priority).</returns>
    public static bool TryLowerCurrent(int increment)
    {
        if (!OperatingSystem.IsLinux() || increment <= 0) return false;
        int tid = GetTid();
        // getpriority answers the nice value itself (-20..19); the thread starts with the process's.
        int current = Math.Clamp(GetPriority(PrioProcess, tid), -20, 19);
        return SetPriority(PrioProcess, tid, Math.Min(current + increment, 19)) == 0;
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "getpriority")]
    private static partial int GetPriority(int which, int who);

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int prio);
}
