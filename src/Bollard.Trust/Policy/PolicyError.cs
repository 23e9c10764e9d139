namespace Bollard.Trust.Policy;

/// <summary>One problem of a policy document: where (a JSON path, <c>$.signers.dev.key</c>) and what.</summary>
public sealed record PolicyError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>A policy document was refused; <see cref="Errors"/> lists every problem found (bounded).</summary>
public sealed class PolicyFormatException : FormatException
{
    public PolicyFormatException(IReadOnlyList<PolicyError> errors)
        : base("invalid trust policy: " + string.Join("; ", errors)) => Errors = errors;

    public PolicyFormatException() : this([]) { }

    public PolicyFormatException(string message) : this([new PolicyError("$", message)]) { }

    public PolicyFormatException(string message, Exception inner) : base(message, inner) => Errors = [new PolicyError("$", message)];

    public IReadOnlyList<PolicyError> Errors { get; }
}
