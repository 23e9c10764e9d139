namespace Bollard.Trust.Admission;

/// <summary>
/// The body is not an AdmissionReview request that can be answered (not JSON, no <c>request</c>, no <c>uid</c>, an
/// unknown version): the webhook answers 400 with <see cref="Exception.Message"/>, since a review response needs the
/// request's uid and version.
/// </summary>
public sealed class AdmissionReviewException : Exception
{
    public AdmissionReviewException(string message) : base(message) { }

    public AdmissionReviewException(string message, Exception inner) : base(message, inner) { }

    public AdmissionReviewException() { }
}
