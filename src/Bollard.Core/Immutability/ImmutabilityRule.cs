using Bollard.Core.Auth;

namespace Bollard.Core.Immutability;

/// <summary>
/// Tags matching <see cref="Tag"/> in repositories matching <see cref="Namespace"/> cannot be moved or deleted, by
/// anyone (admins included), until the rule is removed. Creating such a tag works.
/// </summary>
public sealed record ImmutabilityRule(long Id, NamespacePattern Namespace, TagPattern Tag, string CreatedBy, DateTimeOffset CreatedAt)
{
    public bool Matches(string repository, string tag) => Tag.Matches(tag) && Namespace.Matches(repository);

    /// <summary>How refusals name the rule: <c>rule 3: prod/** v*</c>.</summary>
    public override string ToString() => $"rule {Id}: {Namespace} {Tag}";
}
