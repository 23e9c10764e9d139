using System.Text.Json;
using Bollard.Core.Scanning;

namespace Bollard.Scanning.Tests.Versions;

/// <summary>Reads the range events of a real OSV record from <c>vulndata/osv/</c>, for range evaluation tests.</summary>
internal static class OsvRanges
{
    /// <returns>The events of each range of the affected entry for <paramref name="package"/>.</returns>
    public static List<IReadOnlyList<RangeEvent>> Read(string file, string package)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedData.VulnData(["osv", .. file.Split('/')])));
        var ranges = new List<IReadOnlyList<RangeEvent>>();
        foreach (JsonElement affected in doc.RootElement.GetProperty("affected").EnumerateArray())
        {
            if (affected.GetProperty("package").GetProperty("name").GetString() != package) continue;
            foreach (JsonElement range in affected.GetProperty("ranges").EnumerateArray())
            {
                var events = new List<RangeEvent>();
                foreach (JsonElement e in range.GetProperty("events").EnumerateArray())
                {
                    JsonProperty p = e.EnumerateObject().Single();
                    RangeEventKind kind = p.Name switch
                    {
                        "introduced" => RangeEventKind.Introduced,
                        "fixed" => RangeEventKind.Fixed,
                        "last_affected" => RangeEventKind.LastAffected,
                        "limit" => RangeEventKind.Limit,
                        _ => throw new InvalidDataException($"{file}: unknown event {p.Name}"),
                    };
                    events.Add(new RangeEvent(kind, p.Value.GetString()!));
                }
                ranges.Add(events);
            }
        }
        Assert.NotEmpty(ranges);
        return ranges;
    }
}
