namespace Bollard.Scanning.Analyzers.Languages.Go;

/// <summary>A module line of Go build info: path, version (empty for a directory replacement) and what replaced it (<c>=&gt;</c>).</summary>
internal sealed record GoModule(string Path, string Version, GoModule? Replacement);
