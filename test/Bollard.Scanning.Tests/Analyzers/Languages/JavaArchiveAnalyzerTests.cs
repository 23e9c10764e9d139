using Bollard.Core.Scanning;
using Bollard.Scanning.Analyzers.Languages.Java;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Tests.Analyzers.Languages;

public sealed class JavaArchiveAnalyzerTests
{
    private static async Task<FileAnalysis> AnalyzeAsync(string name, string imagePath, ScanLimits? limits = null) =>
        await AnalyzerRunner.AnalyzeAsync(new JavaArchiveAnalyzer(), Path.Combine(await TestInputs.GetAsync("java"), name), imagePath, limits);

    [Fact]
    public async Task Jar_with_pom_properties_is_group_artifact_at_version()
    {
        FileAnalysis a = await AnalyzeAsync("hello-1.0.0.jar", "/opt/hello.jar");

        Assert.Empty(a.Warnings);
        ScanPackage p = Assert.Single(a.Packages);
        Assert.Equal((PackageTypes.Maven, "com.example:hello", "1.0.0", "pkg:maven/com.example/hello@1.0.0", "/opt/hello.jar"), (p.Type, p.Name, p.Version, p.Purl, p.Path));
    }

    [Fact]
    public async Task War_reports_its_nested_jars_with_nested_paths_including_Debians_commons_lang3()
    {
        FileAnalysis a = await AnalyzeAsync("app.war", "/srv/app.war");

        Assert.Empty(a.Warnings);
        Assert.Equal(
            ["com.example:hello@1.0.0 /srv/app.war!/WEB-INF/lib/hello-1.0.0.jar",
             "org.apache.commons:commons-lang3@3.12.0 /srv/app.war!/WEB-INF/lib/commons-lang3-3.12.0.jar"],
            a.Packages.Select(p => $"{p.Name}@{p.Version} {p.Path}").Order(StringComparer.Ordinal));
        Assert.Contains(a.Packages, p => p.Purl == "pkg:maven/org.apache.commons/commons-lang3@3.12.0");
    }

    [Fact]
    public async Task Ear_holding_the_war_reports_two_levels_deep()
    {
        FileAnalysis a = await AnalyzeAsync("app.ear", "/srv/app.ear");

        Assert.Empty(a.Warnings);
        Assert.Contains(a.Packages, p => p.Path == "/srv/app.ear!/app.war!/WEB-INF/lib/hello-1.0.0.jar" && p.Name == "com.example:hello");
        Assert.Equal(2, a.Packages.Count);
    }

    [Fact]
    public async Task Jar_without_pom_properties_is_named_by_its_manifest_then_by_its_file_name()
    {
        ScanPackage widget = Assert.Single((await AnalyzeAsync("widget.jar", "/lib/widget.jar")).Packages);
        Assert.Equal(("org.example:widget", "2.0.1", "pkg:maven/org.example/widget@2.0.1"), (widget.Name, widget.Version, widget.Purl));

        ScanPackage plain = Assert.Single((await AnalyzeAsync("plain-lib-3.4.5.jar", "/lib/plain-lib-3.4.5.jar")).Packages);
        Assert.Equal(("plain-lib", "3.4.5", "pkg:maven/plain-lib@3.4.5"), (plain.Name, plain.Version, plain.Purl));
    }

    [Fact]
    public async Task Jars_nested_deeper_than_the_limit_are_a_warning()
    {
        FileAnalysis a = await AnalyzeAsync("level0.jar", "/lib/level0.jar");

        // level0 .. level4 are read (depth 0..4); level5 and below, with hello's pom.properties at the bottom, are not
        Assert.Empty(a.Packages);
        string w = Assert.Single(a.Warnings);
        Assert.Contains("/lib/level0.jar!/level1.jar!/level2.jar!/level3.jar!/level4.jar: 1 archives nested deeper than 4 levels", w, StringComparison.Ordinal);

        FileAnalysis deeper = await AnalyzeAsync("level0.jar", "/lib/level0.jar", ScanLimits.Default with { MaxNestingDepth = 8 });
        Assert.Empty(deeper.Warnings);
        Assert.Equal("/lib/level0.jar!/level1.jar!/level2.jar!/level3.jar!/level4.jar!/level5.jar!/level6.jar!/level7.jar!/level8.jar", Assert.Single(deeper.Packages).Path);
    }

    [Fact]
    public async Task Decompression_bomb_inside_a_jar_is_a_warning_and_not_inflated()
    {
        FileAnalysis a = await AnalyzeAsync("bomb.jar", "/lib/bomb.jar");

        Assert.Empty(a.Packages);
        Assert.Contains(a.Warnings, w => w.Contains("/lib/bomb.jar!/lib/zeros.jar", StringComparison.Ordinal) && w.Contains("decompression bomb", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Archive_with_more_entries_than_allowed_is_a_warning()
    {
        FileAnalysis a = await AnalyzeAsync("app.war", "/srv/app.war", ScanLimits.Default with { MaxFilesPerLayer = 3 });

        Assert.Empty(a.Packages);
        Assert.Contains(a.Warnings, w => w.Contains("zip entries, more than the 3 allowed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task File_named_jar_that_is_not_a_zip_is_a_warning()
    {
        FileAnalysis a = await NpmAnalyzerTests.AnalyzeTextAsync(new JavaArchiveAnalyzer(), "/lib/fake.jar", "this is not a zip archive at all, just text");

        Assert.Empty(a.Packages);
        Assert.Contains(a.Warnings, w => w.Contains("not a zip archive", StringComparison.Ordinal));
    }
}
