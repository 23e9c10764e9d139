using System.Text;
using Bollard.Core.Events;

namespace Bollard.Core.Webhooks;

/// <summary>
/// The names webhooks use for event kinds: <see cref="RegistryEventKind.ManifestPushed"/> is <c>manifest.pushed</c>, its
/// CloudEvents type <c>dev.bollard.manifest.pushed</c>.
/// </summary>
public static class WebhookEventNames
{
    public const string TypePrefix = "dev.bollard.";

    /// <summary>The CloudEvents type of a test request (<c>POST /api/v1/webhooks/{id}/ping</c>).</summary>
    public const string PingType = TypePrefix + "webhook.ping";

    /// <summary>What a webhook gets when it names no events.</summary>
    public static readonly IReadOnlyList<RegistryEventKind> Defaults =
    [
        RegistryEventKind.ManifestPushed, RegistryEventKind.TagDeleted, RegistryEventKind.RepositoryDeleted,
        RegistryEventKind.QuotaExceeded, RegistryEventKind.GcFinished,
    ];

    public static string Of(RegistryEventKind kind)
    {
        string name = kind.ToString();
        var sb = new StringBuilder(name.Length + 2);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('.');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }

    public static string TypeOf(RegistryEventKind kind) => TypePrefix + Of(kind);

    public static bool TryParse(string? name, out RegistryEventKind kind)
    {
        foreach (var k in Enum.GetValues<RegistryEventKind>())
            if (string.Equals(Of(k), name, StringComparison.OrdinalIgnoreCase)) { kind = k; return true; }
        kind = default;
        return false;
    }

    public static string All => string.Join(", ", Enum.GetValues<RegistryEventKind>().Select(Of));
}
