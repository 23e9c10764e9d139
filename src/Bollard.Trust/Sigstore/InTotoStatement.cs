using System.Text.Json;

namespace Bollard.Trust.Sigstore;

/// <summary>
/// The parts of an in-toto statement (v0.1 or v1) a verifier binds to: its subjects (name and digests) and predicate
/// type. The payload is parsed, never re-serialized.
/// </summary>
public sealed record InTotoStatement
{
    public const string PayloadType = "application/vnd.in-toto+json";
    public const string StatementV1 = "https://in-toto.io/Statement/v1";
    public const string StatementV01 = "https://in-toto.io/Statement/v0.1";

    /// <summary>The predicate type cosign v3 writes for an image signature (an empty predicate).</summary>
    public const string CosignSignPredicate = "https://sigstore.dev/cosign/sign/v1";

    public const int MaxSubjects = 1024;

    public required string Type { get; init; }

    public string? PredicateType { get; init; }

    public required IReadOnlyList<InTotoSubject> Subjects { get; init; }

    /// <exception cref="FormatException">Not an in-toto statement; the message says why.</exception>
    public static InTotoStatement Parse(ReadOnlyMemory<byte> payload)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new FormatException($"the DSSE payload is not JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the in-toto statement is not a JSON object");
            string type = SigstoreJson.OptionalString(root, "_type", "statement", 256) ?? throw new FormatException("the in-toto statement has no _type");
            if (type is not (StatementV1 or StatementV01)) throw new FormatException($"the payload's _type '{type}' is not an in-toto statement (v0.1 or v1)");
            if (!root.TryGetProperty("subject", out var subjectArray) || subjectArray.ValueKind != JsonValueKind.Array)
                throw new FormatException("the in-toto statement has no subject list");
            int count = subjectArray.GetArrayLength();
            if (count == 0) throw new FormatException("the in-toto statement's subject list is empty");
            if (count > MaxSubjects) throw new FormatException($"the in-toto statement has {count} subjects (at most {MaxSubjects} are accepted)");
            var subjects = new List<InTotoSubject>(count);
            int index = 0;
            foreach (var subject in subjectArray.EnumerateArray())
            {
                string path = $"statement.subject[{index++}]";
                if (subject.ValueKind != JsonValueKind.Object) throw new FormatException($"{path} is not an object");
                var digests = new Dictionary<string, string>(StringComparer.Ordinal);
                if (subject.TryGetProperty("digest", out var digest) && digest.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in digest.EnumerateObject())
                    {
                        if (property.Value.ValueKind != JsonValueKind.String) throw new FormatException($"{path}.digest.{property.Name} is not a string");
                        if (digests.Count >= 16) throw new FormatException($"{path}.digest has more than 16 algorithms");
                        digests[property.Name] = property.Value.GetString()!;
                    }
                }
                subjects.Add(new InTotoSubject(SigstoreJson.OptionalString(subject, "name", path, 4096), digests));
            }
            return new InTotoStatement
            {
                Type = type,
                PredicateType = SigstoreJson.OptionalString(root, "predicateType", "statement", 1024),
                Subjects = subjects,
            };
        }
    }
}

/// <param name="Name">The subject's name (cosign: the image's repository, <c>registry/repo</c>).</param>
/// <param name="Digests">Algorithm to lowercase hex, e.g. <c>sha256</c>.</param>
public sealed record InTotoSubject(string? Name, IReadOnlyDictionary<string, string> Digests);
