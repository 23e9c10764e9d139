namespace Bollard.Trust.Admission;

/// <summary>
/// Where each kind that runs containers keeps its pod spec, as a JSON pointer from the object's root. Kinds are
/// matched by API group and kind (any version: <c>batch/v1beta1</c> CronJobs, removed in Kubernetes 1.25, still
/// come from old clusters and from fixtures). Anything else has no containers for admission to check.
/// </summary>
public static class WorkloadKinds
{
    private static readonly Dictionary<(string Group, string Kind), string[]> PodSpecs = new()
    {
        [("", "Pod")] = ["spec"],
        [("apps", "Deployment")] = ["spec", "template", "spec"],
        [("apps", "StatefulSet")] = ["spec", "template", "spec"],
        [("apps", "DaemonSet")] = ["spec", "template", "spec"],
        [("apps", "ReplicaSet")] = ["spec", "template", "spec"],
        [("", "ReplicationController")] = ["spec", "template", "spec"],
        [("batch", "Job")] = ["spec", "template", "spec"],
        [("batch", "CronJob")] = ["spec", "jobTemplate", "spec", "template", "spec"],
    };

    /// <summary>The path of the pod spec inside an object of this kind, or null when the kind has none.</summary>
    public static IReadOnlyList<string>? PodSpecPath(string? group, string? kind) =>
        kind is not null && PodSpecs.TryGetValue((group ?? "", kind), out var path) ? path : null;

    /// <summary>Whether a Pod's template is a pod template (owners) or the running Pod itself.</summary>
    public static bool IsTemplate(string? group, string? kind) => PodSpecPath(group, kind) is { Count: > 1 };

    public static string Describe(string? group, string? kind) =>
        kind is null ? "(no kind)" : string.IsNullOrEmpty(group) ? kind : $"{group}/{kind}";
}
