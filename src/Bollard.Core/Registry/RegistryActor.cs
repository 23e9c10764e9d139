namespace Bollard.Core.Registry;

/// <summary>
/// Who asked for a registry change or read: the principal's name and the client address, as the HTTP layer knows
/// them. Carried into push checks, the pull gate and every registry event (and so into the audit log).
/// </summary>
/// <param name="Principal">The principal's name; <c>""</c> for anonymous or when access control is off.</param>
/// <param name="ClientAddress">The client's address (after trusted-proxy resolution); <c>""</c> when unknown.</param>
public sealed record RegistryActor(string Principal, string ClientAddress)
{
    /// <summary>A change made by Bollard itself or by a caller the HTTP layer could not name (tools, tests).</summary>
    public static readonly RegistryActor Unknown = new("", "");
}
