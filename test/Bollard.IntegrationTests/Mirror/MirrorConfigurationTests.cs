using Bollard.Core.Mirror;
using Bollard.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bollard.IntegrationTests.Mirror;

/// <summary>
/// <c>Mirror:Upstreams</c> is a list of objects, checked like every other setting before <c>bollard serve</c> creates
/// anything: unknown keys in an item (with a suggestion), durations, numbers, booleans, lists as YAML sequences, and the
/// mirror's own rules (unique names that are one path component, absolute http(s) URLs, Transparent naming an upstream,
/// vetting patterns, readable password files). Each error names the setting and where it came from.
/// </summary>
public sealed class MirrorConfigurationTests : IDisposable
{
    private readonly string _dir = TempDir.Create("bollard-mirror-config-");

    public void Dispose() => TempDir.Delete(_dir);

    private string DataDir => Path.Combine(_dir, "data");

    private string Write(string yaml)
    {
        string path = Path.Combine(_dir, "bollard.yml");
        File.WriteAllText(path, $"storage:\n  dataDir: {DataDir}\n" + yaml);
        return path;
    }

    private ConfigurationException Refused(string yaml, Dictionary<string, string?>? overrides = null)
    {
        var e = Assert.Throws<ConfigurationException>(() => BollardApplication.Build(Write(yaml), overrides ?? new Dictionary<string, string?>(), b => b.SetMinimumLevel(LogLevel.None)));
        Assert.False(Directory.Exists(DataDir), "nothing may be created before every setting is checked");
        return e;
    }

    [Fact]
    public async Task Upstreams_from_yaml_sequences_are_bound_with_durations_numbers_booleans_and_lists()
    {
        string secret = Path.Combine(_dir, "hub-token");
        File.WriteAllText(secret, "s3cret\n");
        string config = Write($"""
            server:
              listen: 127.0.0.1:0
            auth:
              enabled: false
            mirror:
              transparent: docker.io
              fetchesPerMinutePerPrincipal: 30
              upstreams:
                - name: docker.io
                  url: https://registry-1.docker.io
                  username: bollard
                  passwordFile: {secret}
                  tagTtl: 30s
                  timeout: 2m
                  maxManifestBytes: 1048576
                  mirrorSignatures: false
                  allowRepositories: [library/*, bitnami/**]
                  allowTags:
                    - "3.*"
                    - "*-slim"
                  evictAfter: 30d
                - name: local
                  url: http://127.0.0.1:5001
            """);
        await using var app = BollardApplication.Build(config, new Dictionary<string, string?>
        {
            // An environment variable or flag gives a list as one comma-separated string.
            ["Mirror:Upstreams:1:DenyTags"] = "latest, edge",
        }, b => b.SetMinimumLevel(LogLevel.None));
        var options = app.Services.GetRequiredService<MirrorOptions>();
        Assert.Equal(("docker.io", 30), (options.Transparent, options.FetchesPerMinutePerPrincipal));
        Assert.Equal(2, options.Upstreams.Count);
        var hub = options.Upstreams[0];
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), 1048576, false), (hub.TagTtl, hub.Timeout, hub.MaxManifestBytes, hub.MirrorSignatures));
        Assert.Equal(["library/*", "bitnami/**"], hub.AllowRepositories);
        Assert.Equal(["3.*", "*-slim"], hub.AllowTags);
        Assert.Equal(TimeSpan.FromDays(30), hub.EvictAfter);
        Assert.Equal(secret, hub.PasswordFile);
        var local = options.Upstreams[1];
        Assert.Equal(("local", "http://127.0.0.1:5001"), (local.Name, local.Url));
        Assert.Equal(TimeSpan.FromMinutes(5), local.TagTtl);
        Assert.Equal(["latest", "edge"], local.DenyTags);
    }

    // An unknown key is quoted as the file spells it; the suggestion as the documentation does.
    [Fact]
    public void Unknown_key_in_an_item_is_refused_with_a_suggestion_and_its_line()
    {
        var e = Refused("""
            mirror:
              upstreams:
                - name: docker.io
                  url: https://registry-1.docker.io
                  tagTTl2: 5m
            """);
        Assert.Contains("mirror:upstreams:0:tagTTl2 (bollard.yml line 7) is not a setting; did you mean Mirror:Upstreams:0:TagTtl?", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_key_far_from_any_is_refused_listing_the_known_ones()
    {
        var e = Refused("""
            mirror:
              upstreams:
                - name: docker.io
                  url: https://registry-1.docker.io
                  colour: blue
            """);
        Assert.Contains("mirror:upstreams:0:colour (bollard.yml line 7) is not a setting (known settings in Mirror:Upstreams:0: Mirror:Upstreams:0:AllowRepositories,", e.Message, StringComparison.Ordinal);
        Assert.Contains("Mirror:Upstreams:0:TagTtl,", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Upstreams_given_as_a_mapping_instead_of_a_sequence_is_refused()
    {
        var e = Refused("""
            mirror:
              upstreams:
                name: docker.io
                url: https://registry-1.docker.io
            """);
        Assert.Contains("is not a setting: Mirror:Upstreams is a list (a YAML sequence;", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tagTtl: soon", "Mirror:Upstreams:0:TagTtl (bollard.yml line 7) 'soon' is not a duration like 90s")]
    [InlineData("timeout: 20 seconds", "Mirror:Upstreams:0:Timeout (bollard.yml line 7) '20 seconds' is not a duration like 90s")]
    [InlineData("maxManifestBytes: 4MB", "Mirror:Upstreams:0:MaxManifestBytes (bollard.yml line 7) '4MB' is not a whole number")]
    [InlineData("mirrorSignatures: maybe", "Mirror:Upstreams:0:MirrorSignatures (bollard.yml line 7) 'maybe' is not true or false")]
    [InlineData("passwordFile: /nonexistent/token", "Mirror:Upstreams:0:PasswordFile (bollard.yml line 7) '/nonexistent/token' cannot be read: ")]
    [InlineData("denyDigests: [sha256:abc]", "Mirror:Upstreams:0:DenyDigests:0 (bollard.yml line 7) 'sha256:abc' is not a digest")]
    [InlineData("allowTags: [\"a/b\"]", "Mirror:Upstreams:0:AllowTags:0 (bollard.yml line 7) tag pattern 'a/b': ")]
    [InlineData("allowTags: { one: 3.* }", "mirror:upstreams:0:allowTags:one (bollard.yml line 7) is not a setting: Mirror:Upstreams:0:AllowTags is a list")]
    [InlineData("allowTags:\n      - x: 1", "mirror:upstreams:0:allowTags:0:x (bollard.yml line 8) Mirror:Upstreams:0:AllowTags:0 takes one value, not settings below it")]
    public void Bad_value_in_an_item_names_the_setting_its_line_and_what_is_allowed(string line, string expected)
    {
        var e = Refused($"""
            mirror:
              upstreams:
                - name: docker.io
                  url: https://registry-1.docker.io
                  {line}
            """);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://registry.example", "'ftp://registry.example' is not an absolute http:// or https:// URL")]
    [InlineData("registry-1.docker.io", "'registry-1.docker.io' is not an absolute http:// or https:// URL")]
    [InlineData("/v2/", "'/v2/' is not an absolute http:// or https:// URL")]
    [InlineData("https://user:pw@registry.example", "must not hold credentials")]
    public void Bad_url_is_refused(string url, string expected)
    {
        var e = Refused($"""
            mirror:
              upstreams:
                - name: hub
                  url: "{url}"
            """);
        Assert.Contains($"Mirror:Upstreams:0:Url (bollard.yml line 6) {expected}", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pw@", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_names_are_refused_naming_both_items()
    {
        var e = Refused("""
            mirror:
              upstreams:
                - name: docker.io
                  url: https://registry-1.docker.io
                - name: docker.io
                  url: https://mirror.gcr.io
            """);
        Assert.Contains("Mirror:Upstreams:1:Name (bollard.yml line 7) 'docker.io' is the name of Upstreams:0 too; upstream names must be unique", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Docker.IO")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("-hub")]
    public void Name_that_is_not_one_path_component_is_refused(string name)
    {
        var e = Refused($"""
            mirror:
              upstreams:
                - name: "{name}"
                  url: https://registry.example
            """);
        Assert.Contains($"Mirror:Upstreams:0:Name (bollard.yml line 5) '{name}' is not one repository path component", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Transparent_must_name_an_upstream_and_namespace_must_be_a_repository_name()
    {
        var e = Refused("""
            mirror:
              namespace: Mirror!
              transparent: dockerhub
              upstreams:
                - name: docker.io
                  url: https://registry-1.docker.io
            """);
        Assert.Contains("Mirror:Transparent (bollard.yml line 5) 'dockerhub' names no upstream (known: docker.io)", e.Message, StringComparison.Ordinal);
        Assert.Contains("Mirror:Namespace (bollard.yml line 4) 'Mirror!' is not a repository name", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_style_keys_are_checked_the_same_way()
    {
        var e = Assert.Throws<ConfigurationException>(() => BollardApplication.Build(null, new Dictionary<string, string?>
        {
            ["Storage:DataDir"] = DataDir,
            ["Mirror:Upstreams:0:Name"] = "docker.io",
            ["Mirror:Upstreams:0:Url"] = "https://registry-1.docker.io",
            ["Mirror:Upstreams:0:TagTl"] = "5m",
            ["Mirror:Upstreams:x:Name"] = "ghcr.io",
        }, b => b.SetMinimumLevel(LogLevel.None)));
        Assert.Contains("Mirror:Upstreams:0:TagTl is not a setting; did you mean Mirror:Upstreams:0:TagTtl?", e.Message, StringComparison.Ordinal);
        Assert.Contains("Mirror:Upstreams:x:Name is not a setting: Mirror:Upstreams is a list", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(DataDir));
    }
}
