namespace Bollard.Core.Trust;

/// <summary>One recent policy decision, as the decision log keeps it (<see cref="IDecisionLog"/>). <see cref="Id"/> is 0 until stored.</summary>
public sealed record TrustDecisionRecord
{
    public long Id { get; init; }

    public required DateTimeOffset Time { get; init; }

    public required string Repository { get; init; }

    public required string Digest { get; init; }

    /// <summary>The enforcement point: <c>pull</c>, <c>admission</c>, <c>policy-test</c>.</summary>
    public required string Point { get; init; }

    public required bool Allowed { get; init; }

    /// <summary><c>off</c>, <c>warn</c> or <c>enforce</c>.</summary>
    public required string Mode { get; init; }

    /// <summary>The policy that applied; null when none did.</summary>
    public string? Policy { get; init; }

    public long? PolicyVersion { get; init; }

    /// <summary>The violations (empty when the policy is met), each readable, at most 20 kept.</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];

    /// <summary>Who asked (the principal's name; <c>""</c> for anonymous).</summary>
    public string Principal { get; init; } = "";
}
