namespace Bollard.Core.Jobs;

/// <summary>
/// Marks an exception a job handler throws when retrying cannot help (the job asks for something that does not
/// exist, a bad argument): the <see cref="JobRunner"/> fails the job at once instead of retrying it with backoff, and
/// records the exception's message alone as the reason, since it is written for the person who asked.
/// </summary>
public interface IPermanentJobFailure;
