using Bollard.Core.Scanning;
using Bollard.Scanning.Analyzers.Languages.Ruby;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Tests.Analyzers.Languages;

public sealed class GemspecAnalyzerTests
{
    [Fact]
    public async Task Debian_ruby_rack_specification_gives_rack_with_its_version_and_licence()
    {
        string root = Path.Combine(await TestInputs.GetAsync("gem"), "root");
        List<FileAnalysis> all = await AnalyzerRunner.AnalyzeTreeAsync(new GemspecAnalyzer(), root);

        Assert.All(all, a => Assert.Empty(a.Warnings));
        ScanPackage p = Assert.Single(all.SelectMany(a => a.Packages));
        Assert.Equal((PackageTypes.Gem, "rack"), (p.Type, p.Name));
        // RubyGems names the file NAME-VERSION.gemspec
        Assert.Equal($"/usr/share/rubygems-integration/all/specifications/rack-{p.Version}.gemspec", p.Path);
        Assert.Equal($"pkg:gem/rack@{p.Version}", p.Purl);
        Assert.Equal(["MIT"], p.Licenses);
    }

    [Fact]
    public async Task Gem_Version_new_and_percent_q_strings_are_read()
    {
        string spec = "Gem::Specification.new do |spec|\n  spec.name = %q{nokogiri}\n  spec.version = Gem::Version.new(\"1.13.10\")\n  spec.license = 'MIT'\nend\n";
        FileAnalysis a = await NpmAnalyzerTests.AnalyzeTextAsync(new GemspecAnalyzer(), "/usr/local/bundle/specifications/nokogiri-1.13.10.gemspec", spec);

        ScanPackage p = Assert.Single(a.Packages);
        Assert.Equal(("nokogiri", "1.13.10", "pkg:gem/nokogiri@1.13.10"), (p.Name, p.Version, p.Purl));
        Assert.Equal(["MIT"], p.Licenses);
    }

    [Fact]
    public async Task Gemspec_without_a_version_is_a_warning()
    {
        FileAnalysis a = await NpmAnalyzerTests.AnalyzeTextAsync(new GemspecAnalyzer(), "/gems/specifications/x.gemspec", "Gem::Specification.new do |s|\n  s.name = \"x\"\nend\n");

        Assert.Empty(a.Packages);
        Assert.Single(a.Warnings);
    }
}
