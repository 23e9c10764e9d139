using Bollard.Core.Scanning;
using Bollard.Scanning.Analyzers.Languages.Python;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Tests.Analyzers.Languages;

public sealed class PythonAnalyzerTests
{
    [Theory]
    [InlineData("urllib3", ".egg-info")]      // python3-urllib3: setuptools egg-info/PKG-INFO
    [InlineData("packaging", ".dist-info")]   // python3-packaging: a wheel's dist-info/METADATA
    public async Task Debian_python3_site_packages_give_each_distribution_with_its_version_and_licence(string name, string kind)
    {
        string root = Path.Combine(await TestInputs.GetAsync("python"), "root");
        List<FileAnalysis> all = await AnalyzerRunner.AnalyzeTreeAsync(new PythonMetadataAnalyzer(), root);

        Assert.All(all, a => Assert.Empty(a.Warnings));
        Assert.Equal(["packaging", "urllib3"], all.SelectMany(a => a.Packages).Select(p => p.Name).Order());
        ScanPackage p = all.SelectMany(a => a.Packages).Single(p => p.Name == name);
        Assert.Equal(PackageTypes.PyPI, p.Type);
        // the version the metadata folder is named after (NAME-VERSION.dist-info, NAME-VERSION.egg-info)
        Assert.Contains($"/usr/lib/python3/dist-packages/{name}-{p.Version}{kind}/", p.Path, StringComparison.Ordinal);
        Assert.Equal($"pkg:pypi/{name}@{p.Version}", p.Purl);
        Assert.NotEmpty(p.Licenses);
    }

    [Fact]
    public async Task PkgInfo_with_classifier_licence_and_odd_name_is_normalized_in_the_purl()
    {
        string text = "Metadata-Version: 2.1\nName: Zope_Interface.Extra\nVersion: 5.4.0\nLicense: UNKNOWN\n" +
                      "Classifier: License :: OSI Approved :: Zope Public License\n\nLong description\nName: ignored\n";
        FileAnalysis a = await NpmAnalyzerTests.AnalyzeTextAsync(new PythonMetadataAnalyzer(), "/usr/lib/python3/site-packages/x.egg-info/PKG-INFO", text);

        ScanPackage p = Assert.Single(a.Packages);
        Assert.Equal("Zope_Interface.Extra", p.Name);
        Assert.Equal("pkg:pypi/zope-interface-extra@5.4.0", p.Purl);
        Assert.Equal(["Zope Public License"], p.Licenses);
    }

    [Fact]
    public async Task Metadata_without_a_version_is_a_warning()
    {
        FileAnalysis a = await NpmAnalyzerTests.AnalyzeTextAsync(new PythonMetadataAnalyzer(), "/x/y-1.dist-info/METADATA", "Name: y\n");

        Assert.Empty(a.Packages);
        Assert.Single(a.Warnings);
    }
}
