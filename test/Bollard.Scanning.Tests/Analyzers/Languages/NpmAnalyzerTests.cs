using System.Text;
using Bollard.Core.Scanning;
using Bollard.Scanning.Analyzers.Languages.Npm;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Tests.Analyzers.Languages;

public sealed class NpmAnalyzerTests
{
    private static async Task<string> ProjectAsync() => Path.Combine(await TestInputs.GetAsync("npm"), "project");

    [Fact]
    public async Task Lock_of_a_real_npm_install_lists_lodash_and_minimist()
    {
        string project = await ProjectAsync();
        FileAnalysis a = await AnalyzerRunner.AnalyzeAsync(new NpmLockAnalyzer(), Path.Combine(project, "package-lock.json"), "/app/package-lock.json");

        Assert.Empty(a.Warnings);
        Assert.Equal(["lodash@4.17.15", "minimist@1.2.0"], a.Packages.Select(p => $"{p.Name}@{p.Version}").Order());
        ScanPackage lodash = a.Packages.Single(p => p.Name == "lodash");
        Assert.Equal(PackageTypes.Npm, lodash.Type);
        Assert.Equal("pkg:npm/lodash@4.17.15", lodash.Purl);
        Assert.Equal("/app/package-lock.json", lodash.Path);
        Assert.Equal(["MIT"], lodash.Licenses);
        Assert.Null(lodash.LayerDigest);
    }

    [Fact]
    public async Task Installed_package_json_files_of_a_real_npm_install_are_the_same_packages()
    {
        string project = await ProjectAsync();
        var analyzer = new NpmPackageJsonAnalyzer();
        List<FileAnalysis> all = await AnalyzerRunner.AnalyzeTreeAsync(analyzer, project, "/app");

        ScanPackage[] packages = all.SelectMany(a => a.Packages).ToArray();
        Assert.All(all, a => Assert.Empty(a.Warnings));
        Assert.Equal(["lodash@4.17.15", "minimist@1.2.0"], packages.Select(p => $"{p.Name}@{p.Version}").Order());
        Assert.Equal("/app/node_modules/minimist/package.json", packages.Single(p => p.Name == "minimist").Path);
        Assert.Equal(["MIT"], packages.Single(p => p.Name == "minimist").Licenses);
        // npm's hidden lock file and the project's own package.json are not installed packages
        Assert.False(new NpmLockAnalyzer().Wants("/app/node_modules/.package-lock.json", 100, 0x1A4));
        Assert.False(analyzer.Wants("/app/package.json", 100, 0x1A4));
    }

    [Fact]
    public async Task Trivy_lock_v1_fixture_gives_the_golden_packages_dev_dependencies_included()
    {
        string repo = Path.Combine(Fixtures.Trivy, "fixtures", "repo", "npm");
        FileAnalysis a = await AnalyzerRunner.AnalyzeAsync(new NpmLockAnalyzer(), Path.Combine(repo, "package-lock.json"), "/src/package-lock.json");

        Assert.Empty(a.Warnings);
        Assert.Equal(Fixtures.GoldenPackages("npm-with-dev.json.golden"), a.Packages.Select(p => (p.Name, p.Version)).ToHashSet());
    }

    [Fact]
    public async Task Trivy_node_modules_fixture_packages_are_in_the_golden_list()
    {
        string repo = Path.Combine(Fixtures.Trivy, "fixtures", "repo", "npm");
        List<FileAnalysis> all = await AnalyzerRunner.AnalyzeTreeAsync(new NpmPackageJsonAnalyzer(), repo, "/src");

        var found = all.SelectMany(a => a.Packages).Select(p => (p.Name, p.Version)).ToHashSet();
        Assert.Equal(6, found.Count);
        Assert.Subset(Fixtures.GoldenPackages("npm-with-dev.json.golden"), found);
    }

    [Theory]
    [InlineData("/a/node_modules/lodash/package.json", true)]
    [InlineData("/a/node_modules/@types/node/package.json", true)]
    [InlineData("/a/node_modules/x/node_modules/@s/y/package.json", true)]
    [InlineData("/a/node_modules/lodash/fp/package.json", false)]
    [InlineData("/a/node_modules/@types/package.json", false)]
    [InlineData("/a/node_modules/package.json", false)]
    [InlineData("/a/package.json", false)]
    public void PackageJson_wants_only_a_package_folder_directly_under_node_modules(string path, bool wanted) =>
        Assert.Equal(wanted, new NpmPackageJsonAnalyzer().Wants(path, 10, 0x1A4));

    [Fact]
    public async Task Lock_v3_skips_root_workspace_and_links_and_reads_scoped_nested_and_aliased_packages()
    {
        string json = """
            {
              "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
              "packages": {
                "": { "name": "app", "version": "1.0.0" },
                "packages/ws": { "name": "ws-local", "version": "0.0.1" },
                "node_modules/ws-local": { "resolved": "packages/ws", "link": true },
                "node_modules/@babel/core": { "version": "7.24.0", "license": "MIT" },
                "node_modules/a/node_modules/minimist": { "version": "1.2.0", "dev": true },
                "node_modules/old-lodash": { "name": "lodash", "version": "4.17.15" },
                "node_modules/local": { "version": "file:../local" }
              }
            }
            """;
        FileAnalysis a = await AnalyzeTextAsync(new NpmLockAnalyzer(), "/app/package-lock.json", json);

        Assert.Empty(a.Warnings);
        Assert.Equal(["@babel/core@7.24.0", "lodash@4.17.15", "minimist@1.2.0"], a.Packages.Select(p => $"{p.Name}@{p.Version}").Order());
        Assert.Equal("pkg:npm/%40babel/core@7.24.0", a.Packages.Single(p => p.Name == "@babel/core").Purl);
    }

    [Theory]
    [InlineData("{ \"lockfileVersion\": 2, \"packages\": { \"node_modules/x\": { \"version\": ")]
    [InlineData("[1, 2, 3]")]
    [InlineData("\u0000\u0001binary")]
    [InlineData("{\"name\": \"x\"}")]
    public async Task Malformed_lock_file_is_a_warning_not_a_crash(string json)
    {
        FileAnalysis a = await AnalyzeTextAsync(new NpmLockAnalyzer(), "/app/package-lock.json", json);

        Assert.Empty(a.Packages);
        Assert.Contains(a.Warnings, w => w.StartsWith("npm-lock: /app/package-lock.json: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Lock_file_over_the_package_limit_is_cut_with_a_warning()
    {
        var sb = new StringBuilder("{\"lockfileVersion\":3,\"packages\":{\"\":{}");
        for (int i = 0; i < 5000; i++)
        {
            sb.Append(",\"node_modules/p").Append(i).Append("\":{\"version\":\"1.0.").Append(i).Append("\"}");
        }

        FileAnalysis a = await AnalyzeTextAsync(new NpmLockAnalyzer(), "/app/package-lock.json", sb.Append("}}").ToString(),
            ScanLimits.Default with { MaxPackagesPerFile = 1000 });

        Assert.Equal(1000, a.Packages.Count);
        Assert.Single(a.Warnings, w => w.Contains("more than 1000 packages", StringComparison.Ordinal));
    }

    internal static async Task<FileAnalysis> AnalyzeTextAsync(IFileAnalyzer analyzer, string imagePath, string text, ScanLimits? limits = null)
    {
        string tmp = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(tmp, text);
            return await AnalyzerRunner.AnalyzeAsync(analyzer, tmp, imagePath, limits, mode: 0x1A4);
        }
        finally
        {
            File.Delete(tmp);
        }
    }
}
