namespace Bollard.Server.Metrics;

/// <summary>
/// The route template of a request, set by whoever routed it (the <c>/v2/</c> dispatcher, which parses the path
/// anyway), so the metrics middleware does not parse the path a second time. One shared instance per template: no
/// allocation per request.
/// </summary>
public sealed class RouteTemplateFeature
{
    private RouteTemplateFeature(string template) => Template = template;

    public string Template { get; }

    public static RouteTemplateFeature For(Distribution.DistributionEndpoint endpoint) => ByEndpoint[(int)endpoint];

    private static readonly RouteTemplateFeature[] ByEndpoint =
        [.. Enum.GetValues<Distribution.DistributionEndpoint>().OrderBy(e => (int)e).Select(e => new RouteTemplateFeature(RouteLabel.Template(e)))];
}
