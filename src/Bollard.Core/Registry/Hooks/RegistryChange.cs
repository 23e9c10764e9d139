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

    /// <summary>
    /// Deleting a whole repository (issue 7). Checks are asked once per tag of the repository (<see cref="PushCheckContext.Tag"/>
    /// is the tag, <see cref="PushCheckContext.Digest"/> its target), and once with <see cref="PushCheckContext.Tag"/> null
    /// per untagged manifest; the first refusal refuses the whole delete.
    /// </summary>
    DeleteRepository,
}
