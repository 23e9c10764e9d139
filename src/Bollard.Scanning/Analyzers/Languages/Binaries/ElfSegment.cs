namespace Bollard.Scanning.Analyzers.Languages.Binaries;

/// <summary>One ELF program header: <see cref="Type"/> 1 is <c>PT_LOAD</c>; <see cref="Flags"/> bit 1 is <c>PF_W</c>, bit 0 <c>PF_X</c>.</summary>
internal sealed record ElfSegment(uint Type, uint Flags, ulong Offset, ulong VirtualAddress, ulong FileSize);
