using System.Globalization;
using System.Text.Json;

namespace Bollard.Trust.Admission;

/// <summary>
/// Reads the containers of a pod spec: <c>containers</c>, <c>initContainers</c> and <c>ephemeralContainers</c>, each
/// with the JSON pointer of its image (for the pinning patch). Bounded: more than the allowed number of containers
/// stops the read with a reason instead of walking a huge list.
/// </summary>
public static class PodImages
{
    public static readonly string[] Lists = ["initContainers", "containers", "ephemeralContainers"];

    /// <summary>The result: the containers, or why none could be read.</summary>
    public sealed record Result(IReadOnlyList<ContainerImage> Containers, string? Problem);

    public static Result Read(JsonElement obj, IReadOnlyList<string> podSpecPath, int maxContainers)
    {
        var spec = obj;
        foreach (string step in podSpecPath)
        {
            if (spec.ValueKind != JsonValueKind.Object || !spec.TryGetProperty(step, out var next) || next.ValueKind != JsonValueKind.Object)
                return new Result([], $"the object has no pod spec at /{string.Join('/', podSpecPath)}");
            spec = next;
        }
        string prefix = "/" + string.Join('/', podSpecPath);
        var containers = new List<ContainerImage>();
        foreach (string list in Lists)
        {
            if (!spec.TryGetProperty(list, out var items) || items.ValueKind == JsonValueKind.Null) continue;
            if (items.ValueKind != JsonValueKind.Array)
                return new Result([], $"{prefix}/{list} is a JSON {AdmissionReview.Describe(items)}, not a list");
            int count = items.GetArrayLength();
            if (containers.Count + count > maxContainers)
                return new Result([], $"the pod spec has more than {maxContainers} containers (Admission:MaxContainers); nothing was checked");
            int i = 0;
            foreach (var item in items.EnumerateArray())
            {
                string pointer = $"{prefix}/{list}/{i.ToString(CultureInfo.InvariantCulture)}/image";
                if (item.ValueKind != JsonValueKind.Object)
                    return new Result([], $"{prefix}/{list}/{i.ToString(CultureInfo.InvariantCulture)} is a JSON {AdmissionReview.Describe(item)}, not a container");
                string name = AdmissionReview.String(item, "name") ?? $"#{i.ToString(CultureInfo.InvariantCulture)}";
                containers.Add(new ContainerImage(list, AdmissionReview.Clip(name), AdmissionReview.String(item, "image"), pointer));
                i++;
            }
        }
        if (containers.Count == 0) return new Result([], $"the pod spec at {prefix} has no containers");
        return new Result(containers, null);
    }

    /// <summary>The images of a pod spec as a multiset key, to tell whether an UPDATE changes any image.</summary>
    public static string Signature(IReadOnlyList<ContainerImage> containers) =>
        string.Join('\n', containers.Select(c => $"{c.List}/{c.Name}={c.Image}").Order(StringComparer.Ordinal));
}
