namespace Bollard.Trust.Tests;

/// <summary>The signing vectors and admission fixtures copied to the output (test/testdata/README.md).</summary>
internal static class TestData
{
    public static string Path(params string[] parts) => System.IO.Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);

    public static byte[] Bytes(params string[] parts) => File.ReadAllBytes(Path(parts));

    public static string Text(params string[] parts) => File.ReadAllText(Path(parts));
}
