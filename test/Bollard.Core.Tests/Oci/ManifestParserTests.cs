using System.Text;
using Bollard.Core.Oci;

namespace Bollard.Core.Tests.Oci;

public sealed class ManifestParserTests
{
    private const string D1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string D2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private const string D3 = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

    private static ParsedManifest Parse(string json, string? contentType = MediaTypes.OciManifest) =>
        ManifestParser.Parse(Encoding.UTF8.GetBytes(json), contentType);

    private static string Invalid(string json, string? contentType = MediaTypes.OciManifest)
    {
        var e = Assert.Throws<OciException>(() => Parse(json, contentType));
        Assert.Equal("MANIFEST_INVALID", e.Error.Code);
        return e.Detail!;
    }

    private const string Image = $$$"""
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
         "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{D1}}}","size":10},
         "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{{D2}}}","size":20}],
         "annotations":{"a":"b"}}
        """;

    [Fact]
    public void Parse_ImageManifest_ReadsReferences()
    {
        var m = Parse(Image);
        Assert.Equal(MediaTypes.OciManifest, m.MediaType);
        Assert.Equal([Digest.Parse(D1), Digest.Parse(D2)], m.RequiredBlobs().ToArray());
        Assert.Empty(m.RequiredManifests());
        Assert.Equal("application/vnd.oci.image.config.v1+json", m.EffectiveArtifactType);
        Assert.Equal("b", m.Annotations!["a"]);
    }

    [Fact]
    public void Parse_ArtifactWithSubject_ReportsArtifactTypeAndSubject()
    {
        var m = Parse($$$"""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example.sbom",
             "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{{{D1}}}","size":2},
             "layers":[],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{D3}}}","size":5}}
            """);
        Assert.Equal("application/vnd.example.sbom", m.EffectiveArtifactType);
        Assert.Equal(Digest.Parse(D3), m.Subject!.Digest);
    }

    [Fact]
    public void Parse_Index_RequiresChildren()
    {
        var m = Parse($$$"""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
             "manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{D1}}}","size":1,"platform":{"os":"linux","architecture":"amd64"}},
                          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{D2}}}","size":1}]}
            """, MediaTypes.OciIndex);
        Assert.True(m.IsIndex);
        Assert.Equal([Digest.Parse(D1), Digest.Parse(D2)], m.RequiredManifests().ToArray());
        Assert.Empty(m.RequiredBlobs());
        Assert.Null(m.EffectiveArtifactType);
    }

    [Fact]
    public void Parse_DockerSchema2_Accepted()
    {
        var m = Parse($$$"""
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
             "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{{{D1}}}","size":10},
             "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"{{{D2}}}","size":20}]}
            """, MediaTypes.DockerManifest);
        Assert.Equal(MediaTypes.DockerManifest, m.MediaType);
    }

    [Fact]
    public void Parse_ForeignLayerWithUrls_IsNotRequired()
    {
        var m = Parse($$$"""
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
             "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{{{D1}}}","size":10},
             "layers":[{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":"{{{D2}}}","size":20,"urls":["https://example.invalid/l"]}]}
            """, MediaTypes.DockerManifest);
        Assert.Equal([Digest.Parse(D1)], m.RequiredBlobs().ToArray());
    }

    [Fact]
    public void Parse_NoMediaTypeInBody_UsesContentType()
    {
        var m = Parse($$$"""{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"{{{D1}}}","size":1},"layers":[]}""");
        Assert.Equal(MediaTypes.OciManifest, m.MediaType);
    }

    [Fact]
    public void Parse_ContentTypeWithParameters_IsAccepted() => Parse(Image, MediaTypes.OciManifest + "; charset=utf-8");

    [Theory]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("\"string\"")]
    [InlineData("{\"schemaVersion\":2,")]
    public void Parse_NotAJsonObject_Invalid(string body) => Invalid(body);

    [Fact]
    public void Parse_WrongSchemaVersion_Invalid() =>
        Assert.Contains("schemaVersion", Invalid(Image.Replace("\"schemaVersion\":2", "\"schemaVersion\":1")));

    [Fact]
    public void Parse_SchemaVersionAsString_Invalid() =>
        Assert.Contains("schemaVersion", Invalid(Image.Replace("\"schemaVersion\":2", "\"schemaVersion\":\"2\"")));

    [Fact]
    public void Parse_ContentTypeDisagreesWithMediaType_Invalid() =>
        Assert.Contains("does not match", Invalid(Image, MediaTypes.DockerManifest));

    [Fact]
    public void Parse_UnknownManifestMediaType_Invalid() =>
        Assert.Contains("unsupported", Invalid(Image.Replace(MediaTypes.OciManifest, "application/vnd.example.thing"), "application/vnd.example.thing"));

    [Fact]
    public void Parse_Schema1_Invalid() =>
        Assert.Contains("schema 1", Invalid("""{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}""", MediaTypes.DockerSchema1Signed));

    [Fact]
    public void Parse_BadLayerDigest_Invalid() =>
        Assert.Contains("layers[0].digest", Invalid(Image.Replace(D2, "sha256:nothex")));

    [Fact]
    public void Parse_NegativeSize_Invalid() =>
        Assert.Contains("size", Invalid(Image.Replace("\"size\":20", "\"size\":-1")));

    [Fact]
    public void Parse_MissingConfig_Invalid() =>
        Assert.Contains("config", Invalid("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"""));

    [Fact]
    public void Parse_IndexWithLayers_Invalid() =>
        Invalid($$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"layers":[]}""", MediaTypes.OciIndex);

    [Fact]
    public void Parse_NonStringAnnotation_Invalid() =>
        Assert.Contains("annotations", Invalid(Image.Replace("\"a\":\"b\"", "\"a\":1")));

    [Fact]
    public void Parse_BadArtifactType_Invalid() =>
        Assert.Contains("artifactType", Invalid(Image.Replace("\"annotations\"", "\"artifactType\":\"nope\",\"annotations\"")));

    [Fact]
    public void Parse_DeeplyNested_InvalidNotCrash()
    {
        string deep = new string('[', 10_000) + new string(']', 10_000);
        Invalid("{\"schemaVersion\":2,\"x\":" + deep + "}");
    }
}
