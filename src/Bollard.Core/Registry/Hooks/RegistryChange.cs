namespace Bollard.Core.Registry.Hooks;

/// <summary>The kind of manifest/tag change a push check is asked about.</summary>
public enum RegistryChange
{
    /// <summary>A manifest PUT (by tag or by digest).</summary>
    PutManifest,

    /// <summary>DELETE of a manifest by digest (removes every tag on it).</summary>
    DeleteManifest,

    /// <summary>DELETE by tag (removes only the tag).</summary>
    DeleteTag,
}
