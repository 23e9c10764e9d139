using System.Text;
using Bollard.Scanning.Analyzers.Languages.Binaries;

namespace Bollard.Scanning.Analyzers.Languages.Go;

/// <summary>
/// The build information the Go linker writes into every module-aware binary (Go's <c>debug/buildinfo</c>, which
/// <c>go version -m</c> prints): a 32-byte header starting <c>"\xff Go buildinf:"</c>, 16-byte aligned, at the start of
/// the <c>.go.buildinfo</c> section (else of the first writable, non-executable PT_LOAD segment), then the Go version
/// and the module information. Go 1.18+ stores both inline as varint-prefixed strings (flags bit 2); older linkers
/// store two pointers to Go string headers elsewhere in the image (pointer size and byte order in the header).
/// The module information is framed by 16-byte sentinels and holds lines <c>path</c>, <c>mod</c>, <c>dep</c>,
/// <c>=&gt;</c> (a replacement of the line above) and <c>build</c>, fields separated by tabs.
/// </summary>
internal sealed record GoBuildInfo(string GoVersion, string? MainPath, GoModule? Main, IReadOnlyList<GoModule> Deps)
{
    private static readonly byte[] Magic = [0xFF, .. " Go buildinf:"u8];
    private const int SearchBytes = 64 * 1024;
    private const ulong MaxStringBytes = 8 << 20;

    /// <returns>null when the binary has no Go build information (not a Go binary, or a pre-module one).</returns>
    /// <exception cref="InvalidDataException">The build information is there but corrupt.</exception>
    public static async ValueTask<GoBuildInfo?> ReadAsync(ElfImage elf, CancellationToken ct)
    {
        byte[] data;
        if (elf.FindSection(".go.buildinfo") is { } section && section.Type != 8)
        {
            data = await elf.ReadSectionAsync(section, SearchBytes, ct).ConfigureAwait(false);
        }
        else if (elf.Segments.Find(s => s.Type == 1 && (s.Flags & 3) == 2) is { } segment)
        {
            data = await elf.ReadAsync(segment.Offset, Math.Min(segment.FileSize, SearchBytes), ct).ConfigureAwait(false);
        }
        else
        {
            return null;
        }

        int at = FindHeader(data);
        if (at < 0)
        {
            return null;
        }

        int ptrSize = data[at + 14];
        byte flags = data[at + 15];
        string version, mod;
        if ((flags & 2) != 0)
        {
            int pos = at + 32;
            version = DecodeString(data, ref pos);
            mod = DecodeString(data, ref pos);
        }
        else
        {
            if (ptrSize is not (4 or 8))
            {
                throw new InvalidDataException($"pointer size {ptrSize} in the Go build info header");
            }

            bool big = flags != 0;
            ulong versionAddress = ReadPointer(data.AsSpan(at + 16), ptrSize, big);
            ulong modAddress = ReadPointer(data.AsSpan(at + 16 + ptrSize), ptrSize, big);
            version = await ReadGoStringAsync(elf, versionAddress, ptrSize, big, ct).ConfigureAwait(false);
            mod = await ReadGoStringAsync(elf, modAddress, ptrSize, big, ct).ConfigureAwait(false);
        }

        if (version.Length == 0)
        {
            return null;
        }

        // The module information is framed by two 16-byte sentinels, the last one after a newline.
        mod = mod.Length >= 33 && mod[^17] == '\n' ? mod[16..^16] : "";
        return Parse(version, mod);
    }

    private static GoBuildInfo Parse(string version, string mod)
    {
        string? mainPath = null;
        GoModule? main = null;
        var deps = new List<GoModule>();
        foreach (string line in mod.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = line.Split('\t');
            switch (f[0])
            {
                case "path" when f.Length >= 2:
                    mainPath = f[1];
                    break;
                case "mod" when f.Length >= 3:
                    main = new GoModule(f[1], f[2], null);
                    break;
                case "dep" when f.Length >= 3:
                    deps.Add(new GoModule(f[1], f[2], null));
                    break;
                case "dep" when f.Length == 2:
                    deps.Add(new GoModule(f[1], "", null)); // a dependency in a (devel) build of Go itself
                    break;
                case "=>" when f.Length >= 2:
                    var replacement = new GoModule(f[1], f.Length >= 3 ? f[2] : "", null);
                    if (deps.Count > 0)
                    {
                        deps[^1] = deps[^1] with { Replacement = replacement };
                    }
                    else if (main is not null)
                    {
                        main = main with { Replacement = replacement };
                    }
                    else
                    {
                        throw new InvalidDataException("a '=>' replacement line before any module line in the Go build info");
                    }

                    break;
                case "path" or "mod" or "dep" or "=>":
                    throw new InvalidDataException($"malformed '{f[0]}' line in the Go build info");
                default:
                    break; // "build" settings, and lines a later Go may add
            }
        }

        return new GoBuildInfo(version, mainPath, main, deps);
    }

    private static int FindHeader(byte[] data)
    {
        for (int from = 0; from + 32 <= data.Length;)
        {
            int i = data.AsSpan(from).IndexOf(Magic);
            if (i < 0)
            {
                return -1;
            }

            i += from;
            if (i % 16 == 0 && data.Length - i >= 32)
            {
                return i;
            }

            from = (i + 16) & ~15;
        }

        return -1;
    }

    private static string DecodeString(byte[] data, ref int pos)
    {
        ulong length = 0;
        for (int shift = 0; ; shift += 7)
        {
            if (pos >= data.Length || shift > 63)
            {
                throw new InvalidDataException("truncated string length in the Go build info");
            }

            byte b = data[pos++];
            length |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                break;
            }
        }

        if (length > (ulong)(data.Length - pos))
        {
            throw new InvalidDataException($"a {length}-byte string past the end of the Go build info");
        }

        string s = Encoding.UTF8.GetString(data, pos, (int)length);
        pos += (int)length;
        return s;
    }

    private static async ValueTask<string> ReadGoStringAsync(ElfImage elf, ulong address, int ptrSize, bool big, CancellationToken ct)
    {
        byte[] header = await elf.ReadVirtualAsync(address, (ulong)(2 * ptrSize), ct).ConfigureAwait(false);
        ulong data = ReadPointer(header, ptrSize, big);
        ulong length = ReadPointer(header.AsSpan(ptrSize), ptrSize, big);
        if (length > MaxStringBytes)
        {
            throw new InvalidDataException($"a {length}-byte string in the Go build info");
        }

        return length == 0 ? "" : Encoding.UTF8.GetString(await elf.ReadVirtualAsync(data, length, ct).ConfigureAwait(false));
    }

    private static ulong ReadPointer(ReadOnlySpan<byte> b, int ptrSize, bool big) => (ptrSize, big) switch
    {
        (4, false) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b),
        (4, true) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b),
        (_, false) => System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(b),
        _ => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b),
    };
}
