namespace Bollard.Core.Registry.Hooks;

/// <summary>The pull gate's answer, with the reasons a person can read (also for an allow, e.g. warn-mode policies).</summary>
public sealed record PullDecision(bool Allowed, IReadOnlyList<string> Reasons)
{
    public static PullDecision Allow { get; } = new(true, []);

    public static PullDecision Deny(params string[] reasons) => new(false, reasons);
}
