namespace Bollard.MirrorBench;

/// <summary>A check of the bench failed (a wrong status, wrong bytes): the figures would be meaningless.</summary>
internal sealed class BenchFailedException(string message) : Exception(message);
