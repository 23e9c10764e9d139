using Bollard.Scanning.Sbom;

namespace Bollard.Scanning.Tests.Sbom;

public sealed class SpdxLicensesTests
{
    [Theory]
    [InlineData("MIT", "MIT")]
    [InlineData("mit or apache-2.0", "MIT OR Apache-2.0")]
    [InlineData("(MIT OR Apache-2.0) AND BSD-3-Clause", "(MIT OR Apache-2.0) AND BSD-3-Clause")]
    [InlineData("GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0")]
    [InlineData("Apache-2.0+", "Apache-2.0+")]
    [InlineData("LicenseRef-Proprietary", "LicenseRef-Proprietary")]
    [InlineData("DocumentRef-other:LicenseRef-x", "DocumentRef-other:LicenseRef-x")]
    public void Normalize_valid_expressions_get_their_canonical_spelling(string text, string expected) =>
        Assert.Equal(expected, SpdxLicenses.Normalize(text));

    [Theory]
    [InlineData("Apache 2.0")]
    [InlineData("GPL-2+")]
    [InlineData("MIT OR")]
    [InlineData("(MIT")]
    [InlineData("MIT)")]
    [InlineData("MIT WITH")]
    [InlineData("MIT AND AND BSD-3-Clause")]
    [InlineData("BSD-style")]
    [InlineData("")]
    [InlineData("LicenseRef-")]
    [InlineData("LicenseRef-a_b")]
    public void Normalize_anything_else_is_not_an_expression(string text) => Assert.Null(SpdxLicenses.Normalize(text));

    [Theory]
    [InlineData("GPL-2+", "LicenseRef-GPL-2-plus")]
    [InlineData("ASL 2.0", "LicenseRef-ASL-2.0")]
    [InlineData("public domain / BSD", "LicenseRef-public-domain-BSD")]
    [InlineData("???", "LicenseRef-unnamed")]
    public void LicenseRef_keeps_only_id_characters(string name, string expected) => Assert.Equal(expected, SpdxLicenses.LicenseRef(name));
}
