using System.Buffers.Binary;
using System.Text;

namespace Bollard.Scanning.Analyzers.Languages.Binaries;

/// <summary>
/// The parts of an ELF file (System V gABI, "ELF header", "Section Header", "Program Header") the binary analyzers
/// need: its sections by name and its loadable segments, to read bytes by file offset or virtual address. 32 and 64
/// bit, either byte order. Every offset and size is checked against the file: a corrupt header is an
/// <see cref="InvalidDataException"/>, never a read past the end or a huge allocation.
/// </summary>
internal sealed class ElfImage
{
    private const int MaxSections = 4096;
    private const int MaxSegments = 1024;
    private const int MaxNameTableBytes = 1 << 20;

    private readonly Stream stream;

    private ElfImage(Stream stream, bool is64, bool bigEndian)
    {
        this.stream = stream;
        Is64 = is64;
        BigEndian = bigEndian;
    }

    public bool Is64 { get; }

    public bool BigEndian { get; }

    public List<ElfSection> Sections { get; } = [];

    public List<ElfSegment> Segments { get; } = [];

    public static bool HasMagic(ReadOnlySpan<byte> first4) => first4.Length >= 4 && first4[0] == 0x7F && first4[1] == (byte)'E' && first4[2] == (byte)'L' && first4[3] == (byte)'F';

    /// <param name="stream">Seekable, positioned anywhere; the whole file.</param>
    /// <exception cref="InvalidDataException">Not a well-formed ELF file.</exception>
    public static async ValueTask<ElfImage> ReadAsync(Stream stream, CancellationToken ct)
    {
        var ident = new byte[64];
        if (stream.Length < 52)
        {
            throw new InvalidDataException("too short for an ELF header");
        }

        await ReadAtAsync(stream, 0, ident.AsMemory(0, (int)Math.Min(64, stream.Length)), ct).ConfigureAwait(false);
        if (!HasMagic(ident))
        {
            throw new InvalidDataException("no ELF magic");
        }

        bool is64 = ident[4] switch { 1 => false, 2 => true, _ => throw new InvalidDataException($"ELF class {ident[4]}") };
        bool big = ident[5] switch { 1 => false, 2 => true, _ => throw new InvalidDataException($"ELF data encoding {ident[5]}") };
        var elf = new ElfImage(stream, is64, big);
        ReadOnlySpan<byte> h = ident;
        ulong phoff = is64 ? elf.U64(h[32..]) : elf.U32(h[28..]);
        ulong shoff = is64 ? elf.U64(h[40..]) : elf.U32(h[32..]);
        int o = is64 ? 54 : 42;
        int phentsize = elf.U16(h[o..]), phnum = elf.U16(h[(o + 2)..]);
        int shentsize = elf.U16(h[(o + 4)..]), shnum = elf.U16(h[(o + 6)..]), shstrndx = elf.U16(h[(o + 8)..]);

        if (phnum > 0)
        {
            if (phnum > MaxSegments || phentsize < (is64 ? 56 : 32))
            {
                throw new InvalidDataException($"program header table of {phnum} x {phentsize} bytes");
            }

            byte[] table = await elf.ReadAsync(phoff, (ulong)phnum * (ulong)phentsize, ct).ConfigureAwait(false);
            for (int i = 0; i < phnum; i++)
            {
                ReadOnlySpan<byte> p = table.AsSpan(i * phentsize, phentsize);
                elf.Segments.Add(is64
                    ? new ElfSegment(elf.U32(p), elf.U32(p[4..]), elf.U64(p[8..]), elf.U64(p[16..]), elf.U64(p[32..]))
                    : new ElfSegment(elf.U32(p), elf.U32(p[24..]), elf.U32(p[4..]), elf.U32(p[8..]), elf.U32(p[16..])));
            }
        }

        if (shnum > 0 && shoff > 0)
        {
            if (shnum > MaxSections || shentsize < (is64 ? 64 : 40) || shstrndx >= shnum)
            {
                throw new InvalidDataException($"section header table of {shnum} x {shentsize} bytes, names in {shstrndx}");
            }

            byte[] table = await elf.ReadAsync(shoff, (ulong)shnum * (ulong)shentsize, ct).ConfigureAwait(false);
            var raw = new (uint Name, uint Type, ulong Addr, ulong Offset, ulong Size)[shnum];
            for (int i = 0; i < shnum; i++)
            {
                ReadOnlySpan<byte> s = table.AsSpan(i * shentsize, shentsize);
                raw[i] = is64
                    ? (elf.U32(s), elf.U32(s[4..]), elf.U64(s[16..]), elf.U64(s[24..]), elf.U64(s[32..]))
                    : (elf.U32(s), elf.U32(s[4..]), elf.U32(s[12..]), elf.U32(s[16..]), elf.U32(s[20..]));
            }

            (_, uint namesType, _, ulong namesOffset, ulong namesSize) = raw[shstrndx];
            if (namesType == 8 || namesSize > MaxNameTableBytes)
            {
                throw new InvalidDataException("section name table missing or too large");
            }

            byte[] names = await elf.ReadAsync(namesOffset, namesSize, ct).ConfigureAwait(false);
            foreach ((uint name, uint type, ulong addr, ulong offset, ulong size) in raw)
            {
                elf.Sections.Add(new ElfSection(NameAt(names, name), type, addr, offset, size));
            }
        }

        return elf;
    }

    public ElfSection? FindSection(string name) => Sections.Find(s => s.Name == name);

    /// <summary>Bytes of the file at an offset.</summary>
    /// <exception cref="InvalidDataException">The range is not inside the file.</exception>
    public async ValueTask<byte[]> ReadAsync(ulong offset, ulong length, CancellationToken ct)
    {
        if (offset > (ulong)stream.Length || length > (ulong)stream.Length - offset)
        {
            throw new InvalidDataException($"{length} bytes at offset {offset} are past the end of the file ({stream.Length} bytes)");
        }

        var buffer = new byte[length];
        await ReadAtAsync(stream, (long)offset, buffer, ct).ConfigureAwait(false);
        return buffer;
    }

    /// <summary>A section's bytes (not for <c>SHT_NOBITS</c>), at most <paramref name="max"/>.</summary>
    public ValueTask<byte[]> ReadSectionAsync(ElfSection section, ulong max, CancellationToken ct) =>
        section.Type == 8
            ? throw new InvalidDataException($"section {section.Name} has no bytes in the file")
            : ReadAsync(section.Offset, Math.Min(section.Size, max), ct);

    /// <summary>Bytes at a virtual address, through the loadable segment (else section) that holds them in the file.</summary>
    /// <exception cref="InvalidDataException">No segment maps the whole range to file bytes.</exception>
    public ValueTask<byte[]> ReadVirtualAsync(ulong address, ulong length, CancellationToken ct)
    {
        foreach (ElfSegment s in Segments)
        {
            if (s.Type == 1 && address >= s.VirtualAddress && address - s.VirtualAddress < s.FileSize && length <= s.FileSize - (address - s.VirtualAddress))
            {
                return ReadAsync(s.Offset + (address - s.VirtualAddress), length, ct);
            }
        }

        foreach (ElfSection s in Sections)
        {
            if (s.Type != 8 && s.Address != 0 && address >= s.Address && address - s.Address < s.Size && length <= s.Size - (address - s.Address))
            {
                return ReadAsync(s.Offset + (address - s.Address), length, ct);
            }
        }

        throw new InvalidDataException($"address 0x{address:x} (+{length}) is not in the file");
    }

    public ushort U16(ReadOnlySpan<byte> b) => BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    public uint U32(ReadOnlySpan<byte> b) => BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);

    public ulong U64(ReadOnlySpan<byte> b) => BigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);

    private static string NameAt(byte[] names, uint offset)
    {
        if (offset >= names.Length)
        {
            return "";
        }

        int end = Array.IndexOf(names, (byte)0, (int)offset);
        return Encoding.ASCII.GetString(names, (int)offset, (end < 0 ? names.Length : end) - (int)offset);
    }

    private static async ValueTask ReadAtAsync(Stream stream, long offset, Memory<byte> buffer, CancellationToken ct)
    {
        stream.Position = offset;
        await stream.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
    }
}
