using System.Diagnostics;
using Bollard.Core.Scanning;
using Bollard.Scanning.Analyzers.Languages.Binaries;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Tests.Analyzers.Languages;

public sealed class ElfBinaryAnalyzerTests
{
    private const int Executable = 0x1ED; // 0755

    [Fact]
    public async Task Go_binary_built_here_lists_stdlib_and_its_module_dependencies_with_replacements()
    {
        string bin = Path.Combine(await TestInputs.GetAsync("go"), "hello-bin");
        FileAnalysis a = await AnalyzerRunner.AnalyzeAsync(new ElfBinaryAnalyzer(), bin, "/usr/local/bin/hello");

        Assert.Empty(a.Warnings);
        string stdlib = "v" + (await GoVersionOutputAsync(bin)).GoVersion["go".Length..];
        Assert.Equal(
            [$"pkg:golang/stdlib@{stdlib}", "pkg:golang/example.com/color@v1.1.0", "pkg:golang/example.com/greeting@v1.2.3"],
            a.Packages.Select(p => p.Purl));
        Assert.All(a.Packages, p => Assert.Equal((PackageTypes.Golang, "/usr/local/bin/hello"), (p.Type, p.Path)));
        Assert.Equal("example.com/color", a.Packages[1].Name);
    }

    /// <summary>
    /// Debian's own Go binaries, checked against what <c>go version -m</c> (the Go toolchain's debug/buildinfo) prints.
    /// Debian builds them in GOPATH mode with vendored sources, so their build info names the Go version and the main
    /// package but no modules: the stdlib is what they give.
    /// </summary>
    [Theory]
    [InlineData("/usr/bin/skopeo")]
    [InlineData("/usr/bin/umoci")]
    public async Task Debian_Go_binaries_agree_with_go_version_m(string path)
    {
        (string goVersion, List<string> modules) = await GoVersionOutputAsync(path);
        FileAnalysis a = await AnalyzerRunner.AnalyzeAsync(new ElfBinaryAnalyzer(), path, path);

        Assert.Empty(a.Warnings);
        Assert.Equal(["stdlib@v" + goVersion["go".Length..], .. modules], a.Packages.Select(p => $"{p.Name}@{p.Version}"));
    }

    [Fact]
    public async Task Corrupt_Go_build_info_is_a_warning()
    {
        byte[] bin = await File.ReadAllBytesAsync(Path.Combine(await TestInputs.GetAsync("go"), "hello-bin"));
        int header = IndexOf(bin, [0xFF, .. " Go buildinf:"u8]);
        Assert.True(header > 0 && header % 16 == 0);
        // the inline version string's varint length (offset 32) now claims far more bytes than the section has
        bin[header + 32] = 0xFF;
        bin[header + 33] = 0xFF;
        bin[header + 34] = 0x7F;

        FileAnalysis a = await AnalyzeBytesAsync(bin, "/bin/corrupt");

        Assert.Empty(a.Packages);
        Assert.Contains(a.Warnings, w => w.StartsWith("elf-binary: /bin/corrupt: corrupt Go build info", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Corrupt_ELF_headers_are_a_warning()
    {
        byte[] bin = await File.ReadAllBytesAsync(Path.Combine(await TestInputs.GetAsync("go"), "hello-bin"));
        Array.Resize(ref bin, 4096); // truncated: the section headers (at the end) are gone

        FileAnalysis a = await AnalyzeBytesAsync(bin, "/bin/truncated");

        Assert.Empty(a.Packages);
        Assert.Contains(a.Warnings, w => w.Contains("corrupt ELF file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Non_ELF_executable_is_read_no_further_than_its_first_four_bytes()
    {
        var script = new CountingStream("#!/bin/sh\necho this is a shell script, not an ELF file\n"u8.ToArray());
        var file = new AnalyzedFile("/usr/bin/tool", script.Length, Executable, script, ScanLimits.Default);

        FileAnalysis a = await new ElfBinaryAnalyzer().AnalyzeAsync(file, CancellationToken.None);

        Assert.Same(FileAnalysis.Empty, a);
        Assert.Equal(4, script.BytesRead);
    }

    [Theory]
    [InlineData(0x1A4, 1000, false)]  // 0644: not executable
    [InlineData(0x1ED, 1000, true)]   // 0755
    [InlineData(0x148, 1000, true)]   // 0510: owner/group x only
    [InlineData(0x1ED, 10, false)]    // smaller than an ELF header
    [InlineData(0x1ED, 1L << 40, false)] // over the analyzed-file limit
    public void Wants_only_executables_within_the_size_limit(int mode, long size, bool wanted) =>
        Assert.Equal(wanted, new ElfBinaryAnalyzer().Wants("/usr/bin/x", size, mode));

    [Fact]
    public async Task Rust_binary_with_cargo_auditable_data_lists_runtime_crates()
    {
        string dir = await TestInputs.GetAsync("rust");
        FileAnalysis a = await AnalyzerRunner.AnalyzeAsync(new ElfBinaryAnalyzer(), Path.Combine(dir, "hello-auditable"), "/usr/bin/hello");

        Assert.Empty(a.Warnings);
        // the local root crate and the build-only dependency (cc) are not reported
        Assert.Equal(["pkg:cargo/smallvec@1.6.0", "pkg:cargo/regex@1.5.4"], a.Packages.Select(p => p.Purl));
        Assert.All(a.Packages, p => Assert.Equal(PackageTypes.Cargo, p.Type));

        FileAnalysis plain = await AnalyzerRunner.AnalyzeAsync(new ElfBinaryAnalyzer(), Path.Combine(dir, "hello-plain"), "/usr/bin/hello");
        Assert.Empty(plain.Packages);
        Assert.Empty(plain.Warnings);
    }

    [Fact]
    public async Task Rust_binary_with_a_dep_v0_section_that_is_not_zlib_is_a_warning()
    {
        string dir = await TestInputs.GetAsync("rust");
        FileAnalysis a = await AnalyzerRunner.AnalyzeAsync(new ElfBinaryAnalyzer(), Path.Combine(dir, "hello-corrupt-deps"), "/usr/bin/hello");

        Assert.Empty(a.Packages);
        Assert.Contains(a.Warnings, w => w.Contains("corrupt cargo-auditable data", StringComparison.Ordinal));
    }

    private static async Task<FileAnalysis> AnalyzeBytesAsync(byte[] bytes, string path)
    {
        string tmp = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(tmp, bytes);
            return await AnalyzerRunner.AnalyzeAsync(new ElfBinaryAnalyzer(), tmp, path, mode: Executable);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    /// <summary>The Go toolchain's own reading of a binary: its Go version and the modules (name@version, replacements applied, directory replacements left out).</summary>
    private static async Task<(string GoVersion, List<string> Modules)> GoVersionOutputAsync(string binary)
    {
        var psi = new ProcessStartInfo("go") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("version");
        psi.ArgumentList.Add("-m");
        psi.ArgumentList.Add(binary);
        using Process p = Process.Start(psi)!;
        string output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, await p.StandardError.ReadToEndAsync());

        string[] lines = output.Split('\n');
        string goVersion = lines[0][(lines[0].LastIndexOf(' ') + 1)..];
        var modules = new List<string>();
        foreach (string line in lines.Skip(1))
        {
            string[] f = line.Trim('\t').Split('\t');
            if (f[0] == "dep" && f.Length >= 3)
            {
                modules.Add($"{f[1]}@{f[2]}");
            }
            else if (f[0] == "=>" && f.Length >= 3)
            {
                modules.RemoveAt(modules.Count - 1);
                if (f[2] != "(devel)")
                {
                    modules.Add($"{f[1]}@{f[2]}");
                }
            }
        }

        return (goVersion, modules);
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    private sealed class CountingStream(byte[] data) : Stream
    {
        private readonly MemoryStream inner = new(data);

        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, count);
            BytesRead += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
