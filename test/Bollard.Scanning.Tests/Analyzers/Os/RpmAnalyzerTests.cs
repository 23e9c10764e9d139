using Bollard.Scanning.Analyzers.Os;
using Bollard.Scanning.Layers;
using Bollard.Scanning.Tests.Layers;
using Bollard.Scanning.Tests.Support;

namespace Bollard.Scanning.Tests.Analyzers.Os;

/// <summary>
/// A real <c>rpmdb.sqlite</c>, made by the test with Debian's <c>rpm</c> package (rpm 4.18, SQLite backend; listed in
/// <c>scripts/test.sh</c>): two packages built by <c>rpmbuild</c>, registered with <c>rpm -i --justdb</c>.
/// </summary>
public sealed class RpmAnalyzerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("bollard-rpm-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string MakeDatabase()
    {
        Directory.CreateDirectory(Path.Combine(dir, "SPECS"));
        File.WriteAllText(Path.Combine(dir, "SPECS/hello.spec"), """
            Name: bollard-hello
            Version: 1.2.3
            Release: 4.fc39
            Epoch: 2
            Summary: Test package
            License: MIT AND Apache-2.0
            BuildArch: x86_64
            %description
            Test.
            %install
            mkdir -p %{buildroot}/usr/share/bollard-hello
            echo hello > %{buildroot}/usr/share/bollard-hello/hello.txt
            %files
            /usr/share/bollard-hello/hello.txt
            """);
        File.WriteAllText(Path.Combine(dir, "SPECS/plain.spec"), """
            Name: bollard-plain
            Version: 0.9
            Release: 1
            Summary: Test package
            License: GPL-2.0-or-later
            BuildArch: noarch
            %description
            Test.
            %install
            mkdir -p %{buildroot}/usr/share/bollard-plain
            echo plain > %{buildroot}/usr/share/bollard-plain/p.txt
            %files
            /usr/share/bollard-plain/p.txt
            """);
        foreach (var spec in (string[])["hello", "plain"])
        {
            LayerAttackTests.Run("rpmbuild", "--define", "_topdir " + dir, "-bb", Path.Combine(dir, $"SPECS/{spec}.spec"));
        }

        string db = Path.Combine(dir, "db");
        Directory.CreateDirectory(db);
        LayerAttackTests.Run("rpm", "--dbpath", db, "--initdb");
        var rpms = Directory.GetFiles(Path.Combine(dir, "RPMS"), "*.rpm", SearchOption.AllDirectories);
        LayerAttackTests.Run("rpm", ["--dbpath", db, "-i", "--justdb", "--nodeps", "--ignorearch", "--ignoreos", .. rpms]);
        return Path.Combine(db, "rpmdb.sqlite");
    }

    [Fact]
    public async Task Rpm_sqlite_database_made_by_rpm_gives_name_epoch_version_release_arch_source_and_licence()
    {
        string db = MakeDatabase();
        byte[] data = await File.ReadAllBytesAsync(db);
        var analyzer = new RpmAnalyzer();
        Assert.True(analyzer.Wants("/usr/lib/sysimage/rpm/rpmdb.sqlite", data.Length, 0x1A4));
        Assert.True(analyzer.Wants("/var/lib/rpm/rpmdb.sqlite", data.Length, 0x1A4));

        var result = await analyzer.AnalyzeAsync(new AnalyzedFile("/var/lib/rpm/rpmdb.sqlite", data.Length, 0x1A4, new MemoryStream(data), ScanLimits.Default), CancellationToken.None);

        Assert.Empty(result.Warnings);
        var byName = result.Packages.ToDictionary(p => p.Name);
        Assert.Equal(2, byName.Count);
        var hello = byName["bollard-hello"];
        Assert.Equal(("2:1.2.3-4.fc39", "bollard-hello", "1.2.3-4.fc39"), (hello.Version, hello.SourceName!, hello.SourceVersion!));
        Assert.Equal(["MIT AND Apache-2.0"], hello.Licenses);
        Assert.Equal("pkg:rpm/redhat/bollard-hello@1.2.3-4.fc39?arch=x86_64&epoch=2", hello.Purl);
        Assert.Equal(("0.9-1", "pkg:rpm/redhat/bollard-plain@0.9-1?arch=noarch"), (byName["bollard-plain"].Version, byName["bollard-plain"].Purl));
    }

    [Fact]
    public async Task Rpm_database_in_an_image_gets_the_distribution_on_its_purls_and_garbage_is_a_warning()
    {
        var blobs = new MemoryBlobSource();
        var layer = new TestLayer()
            .File("usr/lib/os-release", "ID=fedora\nVERSION_ID=39\n")
            .Symlink("etc/os-release", "../usr/lib/os-release")
            .File("usr/lib/sysimage/rpm/rpmdb.sqlite", await File.ReadAllBytesAsync(MakeDatabase()))
            .File("var/lib/rpm/rpmdb.sqlite", "not a database")
            .Gzip();
        var image = TestBlobs.Image(blobs, layer);

        var inv = (await new ImageAnalyzer(null, ScanLimits.Default).AnalyzeAsync(image, blobs, null, CancellationToken.None)).Inventory;

        Assert.Contains("pkg:rpm/fedora/bollard-hello@1.2.3-4.fc39?arch=x86_64&distro=fedora-39&epoch=2", inv.Packages.Select(p => p.Purl));
        Assert.Equal(2, inv.Packages.Count);
        Assert.Contains(inv.Warnings, w => w.StartsWith("/var/lib/rpm/rpmdb.sqlite (rpm): not a readable rpm SQLite database", StringComparison.Ordinal));
    }

    [Fact]
    public void Rpm_header_parser_refuses_out_of_bounds_entries()
    {
        Assert.Null(RpmAnalyzer.ParseHeader([0, 0, 0, 1, 0, 0, 0, 4]));
        byte[] lying = [0, 0, 0, 1, 0, 0, 0, 4, /* tag 1000 */ 0, 0, 3, 232, /* string */ 0, 0, 0, 6, /* offset 100 */ 0, 0, 0, 100, 0, 0, 0, 1, (byte)'a', 0, 0, 0];
        Assert.Null(RpmAnalyzer.ParseHeader(lying));
        Assert.Equal(("glibc", "2.34-60.el9"), RpmAnalyzer.ParseSourceRpm("glibc-2.34-60.el9.src.rpm"));
    }
}
