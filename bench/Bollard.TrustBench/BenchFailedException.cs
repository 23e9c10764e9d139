namespace Bollard.TrustBench;

/// <summary>A check of the bench failed (a verdict not trusted, a review denied): the figures would be meaningless.</summary>
internal sealed class BenchFailedException(string message) : Exception(message);
