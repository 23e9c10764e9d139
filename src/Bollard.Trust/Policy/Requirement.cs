namespace Bollard.Trust.Policy;

/// <summary>
/// A node of a policy's signature requirement: a signer, <c>allOf</c>, <c>anyOf</c>, or a threshold <c>n of m</c> with
/// required members (Connaisseur's <c>threshold</c> + <c>required</c>; Kyverno's <c>count</c> is the same threshold).
/// <see cref="Describe"/> is how reasons name it: <c>allOf(dev, ci, anyOf(release, corp))</c>.
/// </summary>
public abstract record Requirement
{
    public abstract string Describe();

    /// <summary>Every signer name the node refers to, depth first.</summary>
    public abstract IEnumerable<string> SignerNames();
}

public sealed record SignerRequirement(string Signer) : Requirement
{
    public override string Describe() => Signer;

    public override IEnumerable<string> SignerNames() => [Signer];
}

public sealed record AllOfRequirement(IReadOnlyList<Requirement> Members) : Requirement
{
    public override string Describe() => $"allOf({string.Join(", ", Members.Select(m => m.Describe()))})";

    public override IEnumerable<string> SignerNames() => Members.SelectMany(m => m.SignerNames());
}

public sealed record AnyOfRequirement(IReadOnlyList<Requirement> Members) : Requirement
{
    public override string Describe() => $"anyOf({string.Join(", ", Members.Select(m => m.Describe()))})";

    public override IEnumerable<string> SignerNames() => Members.SelectMany(m => m.SignerNames());
}

/// <summary>At least <see cref="Threshold"/> of <see cref="Of"/> are satisfied, and every signer in <see cref="Required"/> (each also a member of <see cref="Of"/>) is.</summary>
public sealed record ThresholdRequirement(int Threshold, IReadOnlyList<Requirement> Of, IReadOnlyList<string> Required) : Requirement
{
    public override string Describe() =>
        $"threshold({Threshold} of {string.Join(", ", Of.Select(m => m.Describe()))}" + (Required.Count > 0 ? $"; required {string.Join(", ", Required)})" : ")");

    public override IEnumerable<string> SignerNames() => Of.SelectMany(m => m.SignerNames());
}
