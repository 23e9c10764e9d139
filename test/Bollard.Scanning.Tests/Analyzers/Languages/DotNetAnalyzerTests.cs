using Bollard.Core.Scanning;
using Bollard.Scanning.Analyzers.Languages.DotNet;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Tests.Analyzers.Languages;

public sealed class DotNetAnalyzerTests
{
    [Fact]
    public async Task DepsJson_of_a_published_app_lists_Newtonsoft_Json_12_0_1_and_not_the_app()
    {
        string publish = Path.Combine(await TestInputs.GetAsync("dotnet"), "publish");
        FileAnalysis a = await AnalyzerRunner.AnalyzeAsync(new DepsJsonAnalyzer(), Path.Combine(publish, "app.deps.json"), "/app/app.deps.json");

        Assert.Empty(a.Warnings);
        ScanPackage p = Assert.Single(a.Packages);
        Assert.Equal((PackageTypes.NuGet, "Newtonsoft.Json", "12.0.1"), (p.Type, p.Name, p.Version));
        Assert.Equal("pkg:nuget/Newtonsoft.Json@12.0.1", p.Purl);
        Assert.Equal("/app/app.deps.json", p.Path);
    }

    [Fact]
    public async Task DepsJson_Trivy_fixture_gives_the_golden_packages_except_the_root_project()
    {
        FileAnalysis a = await AnalyzerRunner.AnalyzeAsync(new DepsJsonAnalyzer(),
            Path.Combine(Fixtures.Trivy, "fixtures", "repo", "dotnet", "datacollector.deps.json"), "/app/datacollector.deps.json");

        Assert.Empty(a.Warnings);
        Assert.Equal(Fixtures.GoldenPackages("dotnet.json.golden", skipRoot: true), a.Packages.Select(p => (p.Name, p.Version)).ToHashSet());
    }

    [Fact]
    public async Task PackagesLock_Trivy_fixture_gives_the_golden_packages()
    {
        FileAnalysis a = await AnalyzerRunner.AnalyzeAsync(new PackagesLockAnalyzer(),
            Path.Combine(Fixtures.Trivy, "fixtures", "repo", "nuget", "packages.lock.json"), "/src/packages.lock.json");

        Assert.Empty(a.Warnings);
        Assert.Equal(Fixtures.GoldenPackages("nuget.json.golden"), a.Packages.Select(p => (p.Name, p.Version)).ToHashSet());
        Assert.Contains(a.Packages, p => p.Purl == "pkg:nuget/NuGet.Frameworks@5.7.0");
    }

    [Theory]
    [InlineData("{\"libraries\": {\"NoVersion\": {\"type\": \"package\"}}}", "not Name/Version")]
    [InlineData("{\"runtimeTarget\": {}}", "no libraries")]
    [InlineData("{\"libraries\": ", "not valid JSON")]
    public async Task Malformed_deps_json_is_a_warning(string json, string warning)
    {
        FileAnalysis a = await NpmAnalyzerTests.AnalyzeTextAsync(new DepsJsonAnalyzer(), "/app/x.deps.json", json);

        Assert.Empty(a.Packages);
        Assert.Contains(a.Warnings, w => w.Contains(warning, StringComparison.Ordinal));
    }
}
