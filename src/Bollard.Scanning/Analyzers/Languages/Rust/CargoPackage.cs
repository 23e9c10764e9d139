namespace Bollard.Scanning.Analyzers.Languages.Rust;

/// <summary>One package of a cargo-auditable dependency list.</summary>
internal sealed record CargoPackage(string Name, string Version, string Source, string Kind, bool Root);
