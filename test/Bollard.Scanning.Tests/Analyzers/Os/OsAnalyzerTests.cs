using Bollard.Core.Scanning;
using Bollard.Scanning.Analyzers.Os;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Tests.Analyzers.Os;

public sealed class OsAnalyzerTests
{
    private const string Data = "/work/shared/vulndata";
    private const string StatusD = Data + "/debian/status.d/syft-status.d/var/lib/dpkg/status.d/";

    private static async Task<FileAnalysis> RunAsync(IFileAnalyzer analyzer, string imagePath, string file)
    {
        byte[] data = await File.ReadAllBytesAsync(file);
        Assert.True(analyzer.Wants(imagePath, data.Length, 0x1A4));
        return await analyzer.AnalyzeAsync(new AnalyzedFile(imagePath, data.Length, 0x1A4, new MemoryStream(data), ScanLimits.Default), CancellationToken.None);
    }

    [Fact]
    public async Task Dpkg_reads_the_real_bookworm_status()
    {
        var result = await RunAsync(new DpkgAnalyzer(), "/var/lib/dpkg/status", Data + "/debian/bookworm-minbase-status");
        Assert.Empty(result.Warnings);
        Assert.Equal(88, result.Packages.Count);
        var selinux = Assert.Single(result.Packages, p => p.Name == "libselinux1");
        Assert.Equal(("libselinux", "3.4-1"), (selinux.SourceName, selinux.SourceVersion));
        Assert.All(result.Packages, p => Assert.Equal("/var/lib/dpkg/status", p.Path));
    }

    [Fact]
    public async Task Dpkg_skips_broken_stanzas_with_a_warning_and_reads_the_rest()
    {
        var result = await RunAsync(new DpkgAnalyzer(), "/var/lib/dpkg/status.d/multiple", StatusD + "multiple");
        Assert.Equal([("tzdata", "2020a-0+deb10u1", "tzdata-dev"), ("util-linux", "2.33.1-0.1", "util-linux")],
            result.Packages.Select(p => (p.Name, p.Version, p.SourceName!)).ToList());
        Assert.Equal(2, result.Warnings.Count);
        Assert.Contains(result.Warnings, w => w.Contains("(no-version): no Version field", StringComparison.Ordinal));

        var corrupt = await RunAsync(new DpkgAnalyzer(), "/var/lib/dpkg/status.d/corrupt", StatusD + "corrupt");
        Assert.Empty(corrupt.Packages);
        Assert.Contains("not a 'Field: value' line", Assert.Single(corrupt.Warnings), StringComparison.Ordinal);

        // A status file whose middle stanza is broken: the ones around it are still read.
        string mixed = (await File.ReadAllTextAsync(StatusD + "single")) + "\n" + (await File.ReadAllTextAsync(StatusD + "corrupt")) + "\n\n" + (await File.ReadAllTextAsync(StatusD + "multiple"));
        string path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, mixed);
            var both = await RunAsync(new DpkgAnalyzer(), "/var/lib/dpkg/status", path);
            Assert.Equal(["apt", "tzdata", "util-linux"], both.Packages.Select(p => p.Name));
            Assert.Contains(both.Warnings, w => w.Contains("not a 'Field: value' line", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Dpkg_status_d_without_status_is_installed_and_deinstalled_packages_are_not()
    {
        var distroless = await RunAsync(new DpkgAnalyzer(), "/var/lib/dpkg/status.d/libsqlite3-0",
            Data + "/debian/status.d/syft-image-distroless-deb/var/lib/dpkg/status.d/libsqlite3-0");
        var sqlite = Assert.Single(distroless.Packages);
        Assert.Equal(("libsqlite3-0", "3.34.1-3", "sqlite3", "pkg:deb/debian/libsqlite3-0@3.34.1-3?arch=arm64"), (sqlite.Name, sqlite.Version, sqlite.SourceName!, sqlite.Purl));

        var scalibr = await RunAsync(new DpkgAnalyzer(), "/var/lib/dpkg/status.d/foo", Data + "/debian/status.d/osv-scalibr-status.d/var/lib/dpkg/status.d/foo");
        Assert.Equal(["foo"], scalibr.Packages.Select(p => p.Name));

        var deinstall = await RunAsync(new DpkgAnalyzer(), "/var/lib/dpkg/status.d/deinstall", StatusD + "deinstall");
        Assert.Single(deinstall.Packages);

        var dpkg = new DpkgAnalyzer();
        Assert.False(dpkg.Wants("/var/lib/dpkg/status.d/libsqlite3-0.md5sums", 10, 0x1A4));
        Assert.False(dpkg.Wants("/var/lib/dpkg/status.d/libsqlite3-0.preinst", 10, 0x1A4));
        Assert.False(dpkg.Wants("/var/lib/dpkg/status.d/sub/x", 10, 0x1A4));
        Assert.False(dpkg.Wants("/var/lib/dpkg/status-old", 10, 0x1A4));
        Assert.True(dpkg.Wants("/var/lib/dpkg/status.d/libssl1.1", 10, 0x1A4));
    }

    [Fact]
    public async Task Apk_reads_alpine_3_18_with_origin_licence_and_arch()
    {
        var result = await RunAsync(new ApkAnalyzer(), "/lib/apk/db/installed", Data + "/alpine/installed/osv-scalibr-alpine-3.18.0/lib/apk/db/installed");
        Assert.Empty(result.Warnings);
        Assert.Equal(15, result.Packages.Count);
        var musl = Assert.Single(result.Packages, p => p.Name == "musl");
        Assert.Equal(("1.2.4-r0", "musl", "pkg:apk/alpine/musl@1.2.4-r0?arch=x86_64"), (musl.Version, musl.SourceName!, musl.Purl));
        Assert.NotEmpty(musl.Licenses);
        Assert.Contains(result.Packages, p => p.SourceName != p.Name);
    }

    [Fact]
    public async Task Apk_skips_a_stanza_without_a_version_with_a_warning()
    {
        var result = await RunAsync(new ApkAnalyzer(), "/lib/apk/db/installed", Data + "/alpine/installed/trivy-apk/lib/apk/db/installed");
        Assert.Equal(15, result.Packages.Count);
        Assert.Contains("(invalidPackageWithoutAVersion): no V (version) field", Assert.Single(result.Warnings), StringComparison.Ordinal);
        var crypto = Assert.Single(result.Packages, p => p.Name == "libcrypto1.0");
        Assert.Equal("openssl", crypto.SourceName);
    }

    [Theory]
    [InlineData("/alpine/installed/osv-scalibr-alpine-3.18.0/etc/os-release", "alpine", "3.18.0", null, "Alpine Linux v3.18")]
    [InlineData("/wolfi/syft-os-release/etc/os-release", "wolfi", "20220914", null, "Wolfi")]
    public async Task Os_release_fixtures(string file, string id, string version, string? codename, string pretty)
    {
        var result = await RunAsync(new OsReleaseAnalyzer(), "/etc/os-release", Data + file);
        Assert.Equal(new OsInfo(id, version, codename, pretty), result.Os);
    }

    [Fact]
    public void Os_release_quotes_escapes_and_comments()
    {
        var fields = OsReleaseAnalyzer.Parse("# comment\nID=\"ubuntu\"\nNAME='Ubuntu Linux'\nPRETTY_NAME=\"Say \\\"hi\\\" \\$x\"\n  VERSION_ID=22.04  \nbroken line\n");
        Assert.Equal("ubuntu", fields["ID"]);
        Assert.Equal("Ubuntu Linux", fields["NAME"]);
        Assert.Equal("Say \"hi\" $x", fields["PRETTY_NAME"]);
        Assert.Equal("22.04", fields["VERSION_ID"]);
        Assert.Equal(4, fields.Count);
    }
}
