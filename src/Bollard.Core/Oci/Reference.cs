namespace Bollard.Core.Oci;

/// <summary>The <c>&lt;reference&gt;</c> of a manifest URL: a tag or a digest.</summary>
public readonly record struct Reference(string? Tag, Digest? Digest)
{
    public bool IsDigest => Digest is not null;

    public override string ToString() => Tag ?? Digest!.Value.ToString();

    /// <summary>Anything with a colon must be a digest; anything else must be a tag.</summary>
    public static Reference Parse(string value)
    {
        if (value.Contains(':')) return new Reference(null, Oci.Digest.Parse(value));
        if (Oci.Tag.IsValid(value)) return new Reference(value, null);
        throw new OciException(OciErrors.TagInvalid, $"'{RepositoryName.Shorten(value)}' is neither a valid tag nor a digest");
    }
}
