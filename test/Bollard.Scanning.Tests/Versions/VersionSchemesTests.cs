using Bollard.Core.Scanning;
using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Tests.Versions;

public sealed class VersionSchemesTests
{
    [Theory]
    [InlineData(PackageTypes.Deb)]
    [InlineData(PackageTypes.Apk)]
    [InlineData(PackageTypes.Npm)]
    [InlineData(PackageTypes.Golang)]
    [InlineData(PackageTypes.Cargo)]
    [InlineData(PackageTypes.Rpm)]
    [InlineData(PackageTypes.NuGet)]
    [InlineData(PackageTypes.PyPI)]
    [InlineData(PackageTypes.Maven)]
    [InlineData(PackageTypes.Gem)]
    public void ForPackageType_known_type_returns_its_scheme(string type)
    {
        IVersionScheme? scheme = VersionSchemes.ForPackageType(type);
        Assert.NotNull(scheme);
        Assert.Equal(type, scheme.PackageType);
        Assert.Same(scheme, VersionSchemes.ForPackageType(type.ToUpperInvariant()));
    }

    [Fact]
    public void All_covers_every_package_type()
    {
        string[] types = [.. typeof(PackageTypes).GetFields().Select(f => (string)f.GetValue(null)!)];
        Assert.Equal(types.Order(), VersionSchemes.All.Select(s => s.PackageType).Order());
    }

    [Theory]
    [InlineData("hackage")]
    [InlineData("")]
    public void ForPackageType_unknown_type_returns_null(string type) => Assert.Null(VersionSchemes.ForPackageType(type));
}
