namespace Bollard.Scanning.Analyzers.Languages.Binaries;

/// <summary>One ELF section header: <see cref="Type"/> 8 is <c>SHT_NOBITS</c> (no bytes in the file).</summary>
internal sealed record ElfSection(string Name, uint Type, ulong Address, ulong Offset, ulong Size);
