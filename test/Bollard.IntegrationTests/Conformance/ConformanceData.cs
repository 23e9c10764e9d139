using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Conformance;

/// <summary>A blob or manifest of the suite: bytes, their length as a string, and their digest.</summary>
internal sealed record TestBlob(byte[] Content, string ContentLength, string Digest);

/// <summary>
/// The test content of the OCI distribution-spec conformance suite, built as <c>conformance/setup.go</c>
/// (<c>init</c>) and <c>conformance/image.go</c> build it: one unique config and image manifest per workflow,
/// a gzip layer, two seeded random blobs (one split in two chunks), and the referrers artifacts whose
/// subject is <c>manifests[4]</c> (and <c>manifests[3]</c> for the dangling one). JSON is written in the field
/// order and with the omitempty rules of the Go structs, including the always-present
/// <c>newUnspecifiedField</c> that checks a registry keeps fields it does not know.
/// </summary>
internal sealed class ConformanceData
{
    public const string TestTagName = "tagtest0";
    public const string EmptyLayerTestTag = "emptylayer";
    public const string NonexistentManifest = ".INVALID_MANIFEST_NAME";
    public const string ArtifactTypeFilter = "artifactType";
    public const string TestAnnotationKey = "org.opencontainers.conformance.test";
    public const string TestRefArtifactTypeA = "application/vnd.nhl.peanut.butter.bagel";
    public const string TestRefArtifactTypeB = "application/vnd.nba.strawberry.jam.croissant";
    public const string TestRefArtifactTypeIndex = "application/vnd.food.stand";
    public const string ImageManifestType = "application/vnd.oci.image.manifest.v1+json";
    public const string ImageIndexType = "application/vnd.oci.image.index.v1+json";

    /// <summary>setup.go: a gzip tarball of one text file.</summary>
    private const string LayerBase64String = "H4sIAAAAAAAAA+3OQQrCMBCF4a49xXgBSUnaHMCTRBptQRNpp6i3t0UEV7oqIv7fYgbmzeJpHHSjVy0" +
        "WZCa1c/MufWVe94N3RWlrZ72x3k/30nhbFWKWLPU0Dhp6keJ8im//PuU/6pZH2WVtYx8b0Sz7LjWSR5VLG6YRBumSzOlGtjkd+qD" +
        "jMWiX07Befbs7AAAAAAAAAAAAAAAAAPyzO34MnqoAKAAA";

    /// <summary>The error codes of distribution-spec ("Error Codes"), which setup.go lists as <c>errorCodes</c>.</summary>
    public static readonly IReadOnlyList<string> ErrorCodes =
    [
        "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN",
        "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "MANIFEST_UNVERIFIED", "NAME_INVALID", "NAME_UNKNOWN",
        "SIZE_INVALID", "TAG_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED",
    ];

    private static readonly JsonSerializerOptions GoIndent = new()
    {
        WriteIndented = true,
        IndentCharacter = '\t',
        IndentSize = 1,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // setup.go creates numWorkflows configs and manifests; numWorkflows continues the pull/push/... iota and
    // only indexes 0..4 are ever used, so five are enough.
    private const int WorkflowCount = 5;

    private readonly long _seed;

    public ConformanceData(long? seed = null)
    {
        _seed = seed ?? Random.Shared.NextInt64();

        var configs = new List<TestBlob>();
        for (int i = 0; i < WorkflowCount; i++)
        {
            // A random author makes each config (and so each manifest) unique on every run.
            var config = new JsonObject
            {
                ["author"] = RandomString(16),
                ["architecture"] = "amd64",
                ["os"] = "linux",
                ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() },
            };
            configs.Add(Blob(Serialize(config)));
        }
        Configs = configs;

        LayerBlobData = Convert.FromBase64String(LayerBase64String);
        LayerBlobDigest = Sha256(LayerBlobData);
        LayerBlobContentLength = LayerBlobData.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var manifests = new List<TestBlob>();
        for (int i = 0; i < WorkflowCount; i++)
        {
            var manifest = new JsonObject
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = ImageManifestType,
                ["config"] = ConfigDescriptor(Configs[i]),
                ["layers"] = new JsonArray(Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", LayerBlobDigest, LayerBlobData.Length)),
            };
            manifests.Add(Blob(Serialize(manifest)));
        }
        Manifests = manifests;

        // Used in the push test: no mediaType field (omitempty), no layers.
        var emptyLayerManifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["config"] = ConfigDescriptor(Configs[1]),
            ["layers"] = new JsonArray(),
        };
        EmptyLayerManifestContent = Serialize(emptyLayerManifest);
        EmptyLayerManifestDigest = Sha256(EmptyLayerManifestContent);

        TestBlobA = RandomBlob(42, _seed + 1);
        SetupChunkedBlob(42);

        EmptyJsonBlob = "{}"u8.ToArray();
        EmptyJsonDigest = Sha256(EmptyJsonBlob);

        TestRefBlobA = Blob("NHL Peanut Butter on my NHL bagel"u8.ToArray());
        TestRefBlobB = Blob("NBA Strawberry Jam on my NBA croissant"u8.ToArray());

        var subject4 = Descriptor(ImageManifestType, Manifests[4].Digest, Manifests[4].Content.Length);
        var subject3 = Descriptor(ImageManifestType, Manifests[3].Digest, Manifests[3].Content.Length);

        // Artifact with subject, config.mediaType = artifactType.
        RefsManifestAConfigArtifact = Blob(Serialize(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ImageManifestType,
            ["config"] = Descriptor(TestRefArtifactTypeA, TestRefBlobA.Digest, TestRefBlobA.Content.Length),
            ["layers"] = new JsonArray(EmptyJsonDescriptor()),
            ["subject"] = subject4.DeepClone(),
            ["annotations"] = new JsonObject { [TestAnnotationKey] = "test config a" },
        }));
        TestAnnotationValues[RefsManifestAConfigArtifact.Digest] = "test config a";

        RefsManifestBConfigArtifact = Blob(Serialize(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ImageManifestType,
            ["config"] = Descriptor(TestRefArtifactTypeB, TestRefBlobB.Digest, TestRefBlobB.Content.Length),
            ["layers"] = new JsonArray(EmptyJsonDescriptor()),
            ["subject"] = subject4.DeepClone(),
            ["annotations"] = new JsonObject { [TestAnnotationKey] = "test config b" },
        }));
        TestAnnotationValues[RefsManifestBConfigArtifact.Digest] = "test config b";

        // Artifact with subject, artifactType set and config = the empty JSON descriptor.
        RefsManifestALayerArtifact = Blob(Serialize(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ImageManifestType,
            ["artifactType"] = TestRefArtifactTypeA,
            ["config"] = EmptyJsonDescriptor(),
            ["layers"] = new JsonArray(Descriptor(TestRefArtifactTypeA, TestRefBlobA.Digest, TestRefBlobA.Content.Length)),
            ["subject"] = subject4.DeepClone(),
            ["annotations"] = new JsonObject { [TestAnnotationKey] = "test layer a" },
        }));
        TestAnnotationValues[RefsManifestALayerArtifact.Digest] = "test layer a";

        RefsManifestBLayerArtifact = Blob(Serialize(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ImageManifestType,
            ["artifactType"] = TestRefArtifactTypeB,
            ["config"] = EmptyJsonDescriptor(),
            ["layers"] = new JsonArray(Descriptor(TestRefArtifactTypeB, TestRefBlobB.Digest, TestRefBlobB.Content.Length)),
            ["subject"] = subject4.DeepClone(),
            ["annotations"] = new JsonObject { [TestAnnotationKey] = "test layer b" },
        }));
        TestAnnotationValues[RefsManifestBLayerArtifact.Digest] = "test layer b";

        // Same as B but its subject (manifests[3]) is never pushed in the discovery workflow; no annotations.
        RefsManifestCLayerArtifact = Blob(Serialize(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ImageManifestType,
            ["artifactType"] = TestRefArtifactTypeB,
            ["config"] = EmptyJsonDescriptor(),
            ["layers"] = new JsonArray(Descriptor(TestRefArtifactTypeB, TestRefBlobB.Digest, TestRefBlobB.Content.Length)),
            ["subject"] = subject3,
        }));

        RefsIndexArtifact = Blob(Serialize(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ImageIndexType,
            ["artifactType"] = TestRefArtifactTypeIndex,
            ["manifests"] = new JsonArray(
                Descriptor(ImageManifestType, RefsManifestAConfigArtifact.Digest, RefsManifestAConfigArtifact.Content.Length),
                Descriptor(ImageManifestType, RefsManifestALayerArtifact.Digest, RefsManifestALayerArtifact.Content.Length)),
            ["subject"] = subject4.DeepClone(),
            ["annotations"] = new JsonObject { [TestAnnotationKey] = "test index" },
        }));
        TestAnnotationValues[RefsIndexArtifact.Digest] = "test index";

        DummyDigest = Sha256("hello world"u8.ToArray());
    }

    public IReadOnlyList<TestBlob> Configs { get; }
    public IReadOnlyList<TestBlob> Manifests { get; }
    public byte[] LayerBlobData { get; }
    public string LayerBlobDigest { get; }
    public string LayerBlobContentLength { get; }
    public byte[] EmptyLayerManifestContent { get; }
    public string EmptyLayerManifestDigest { get; }
    public TestBlob TestBlobA { get; }

    // Mutable: the push workflow rebuilds it when the registry asks for a larger OCI-Chunk-Min-Length.
    public TestBlob TestBlobB { get; private set; } = null!;
    public byte[] TestBlobBChunk1 { get; private set; } = null!;
    public byte[] TestBlobBChunk2 { get; private set; } = null!;
    public string TestBlobBChunk1Range { get; private set; } = null!;
    public string TestBlobBChunk2Range { get; private set; } = null!;

    public byte[] EmptyJsonBlob { get; }
    public string EmptyJsonDigest { get; }
    public TestBlob TestRefBlobA { get; }
    public TestBlob TestRefBlobB { get; }
    public TestBlob RefsManifestAConfigArtifact { get; }
    public TestBlob RefsManifestBConfigArtifact { get; }
    public TestBlob RefsManifestALayerArtifact { get; }
    public TestBlob RefsManifestBLayerArtifact { get; }
    public TestBlob RefsManifestCLayerArtifact { get; }
    public TestBlob RefsIndexArtifact { get; }

    /// <summary>Referrer digest to the value of its <see cref="TestAnnotationKey"/> annotation.</summary>
    public Dictionary<string, string> TestAnnotationValues { get; } = new(StringComparer.Ordinal);

    public string DummyDigest { get; }

    /// <summary>setup.go <c>setupChunkedBlob</c>: a seeded random blob cut after <c>size/2+1</c> bytes.</summary>
    public void SetupChunkedBlob(int size)
    {
        TestBlobB = RandomBlob(size, _seed + 2);
        int cut = size / 2 + 1;
        TestBlobBChunk1 = TestBlobB.Content[..cut];
        TestBlobBChunk2 = TestBlobB.Content[cut..];
        TestBlobBChunk1Range = $"0-{TestBlobBChunk1.Length - 1}";
        TestBlobBChunk2Range = $"{TestBlobBChunk1.Length}-{TestBlobB.Content.Length - 1}";
    }

    public static string Sha256(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    private static TestBlob Blob(byte[] content) =>
        new(content, content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Sha256(content));

    private static TestBlob RandomBlob(int size, long seed)
    {
        var b = new byte[size];
        new Random(unchecked((int)seed ^ (int)(seed >> 32))).NextBytes(b);
        return Blob(b);
    }

    private static byte[] Serialize(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString(GoIndent));

    /// <summary>image.go <c>descriptor</c>: omitempty fields left out, <c>newUnspecifiedField</c> always present.</summary>
    private static JsonObject Descriptor(string mediaType, string digest, long size) => new()
    {
        ["mediaType"] = mediaType,
        ["digest"] = digest,
        ["size"] = size,
        ["newUnspecifiedField"] = null,
    };

    /// <summary>The config descriptor of the image manifests: with <c>data</c> (the config itself) and an unknown field.</summary>
    private static JsonObject ConfigDescriptor(TestBlob config) => new()
    {
        ["mediaType"] = "application/vnd.oci.image.config.v1+json",
        ["digest"] = config.Digest,
        ["size"] = config.Content.Length,
        ["data"] = Convert.ToBase64String(config.Content),
        ["newUnspecifiedField"] = Convert.ToBase64String("hello world"u8), // content doesn't matter
    };

    private JsonObject EmptyJsonDescriptor() => Descriptor("application/vnd.oci.empty.v1+json", EmptyJsonDigest, EmptyJsonBlob.Length);

    /// <summary>setup.go <c>randomString</c>.</summary>
    private static string RandomString(int n)
    {
        const string letters = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-";
        return RandomNumberGenerator.GetString(letters, n);
    }
}
