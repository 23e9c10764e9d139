using System.IO.Compression;
using System.Text.Json;
using Bollard.Scanning.Analyzers.Languages.Binaries;

namespace Bollard.Scanning.Analyzers.Languages.Rust;

/// <summary>
/// The dependency list <c>cargo auditable build</c> embeds in a Rust binary (github.com/rust-secure-code/cargo-auditable,
/// format "dep-v0"): the ELF section <c>.dep-v0</c> holds zlib-compressed JSON
/// <c>{"packages": [{"name", "version", "source", "kind", "dependencies", "root"}]}</c>; <c>source</c> is
/// <c>crates.io</c>, <c>git</c>, <c>local</c>, <c>registry</c> or <c>other</c>, <c>kind</c> <c>runtime</c> (the
/// default) or <c>build</c>.
/// </summary>
internal static class CargoAuditableInfo
{
    private const ulong MaxCompressedBytes = 8 << 20;
    private const int MaxJsonBytes = 64 << 20;

    /// <returns>null when the binary has no <c>.dep-v0</c> section.</returns>
    /// <exception cref="InvalidDataException">The section is not zlib-compressed JSON in the dep-v0 form (also when it inflates past 64 MiB).</exception>
    public static async ValueTask<IReadOnlyList<CargoPackage>?> ReadAsync(ElfImage elf, CancellationToken ct)
    {
        if (elf.FindSection(".dep-v0") is not { } section)
        {
            return null;
        }

        if (section.Size > MaxCompressedBytes)
        {
            throw new InvalidDataException($".dep-v0 section of {section.Size} bytes");
        }

        byte[] compressed = await elf.ReadSectionAsync(section, MaxCompressedBytes, ct).ConfigureAwait(false);
        using var json = new MemoryStream();
        await using (var inflate = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress))
        {
            var buffer = new byte[81920];
            int n;
            while ((n = await inflate.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                if (json.Length + n > MaxJsonBytes)
                {
                    throw new InvalidDataException($".dep-v0 inflates past {MaxJsonBytes} bytes");
                }

                json.Write(buffer, 0, n);
            }
        }

        json.Position = 0;
        try
        {
            using JsonDocument doc = await JsonDocument.ParseAsync(json, default, ct).ConfigureAwait(false);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("packages", out JsonElement packages) || packages.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException(".dep-v0 JSON has no packages array");
            }

            var result = new List<CargoPackage>();
            foreach (JsonElement p in packages.EnumerateArray())
            {
                string? name = p.GetString("name"), version = p.GetString("version");
                if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version))
                {
                    throw new InvalidDataException(".dep-v0 package without name or version");
                }

                result.Add(new CargoPackage(name, version, p.GetString("source") ?? "", p.GetString("kind") ?? "runtime", p.GetBool("root")));
            }

            return result;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(".dep-v0 is not JSON: " + e.Message, e);
        }
    }
}
