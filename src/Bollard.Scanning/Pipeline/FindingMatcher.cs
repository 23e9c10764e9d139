using Bollard.Core.Scanning;
using Bollard.Scanning.Advisories;
using Bollard.Scanning.Matching;

namespace Bollard.Scanning.Pipeline;

/// <summary>Matches a stored inventory against the current advisory index; the generation names the import the index was built after (<c>import 12</c>, or <c>none</c>).</summary>
public sealed class FindingMatcher(AdvisoryDatabase advisories)
{
    public async Task<(AdvisoryIndex Index, string Generation)> CurrentAsync(CancellationToken ct)
    {
        var imports = await advisories.Store.ListImportsAsync(1, ct).ConfigureAwait(false);
        var index = await advisories.GetIndexAsync(ct).ConfigureAwait(false);
        return (index, imports.Count == 0 ? "none" : $"import {imports[0].Id}");
    }

    public static IReadOnlyList<Finding> Match(ImageInventory inventory, AdvisoryIndex index) => AdvisoryMatcher.Match(inventory, index);
}
