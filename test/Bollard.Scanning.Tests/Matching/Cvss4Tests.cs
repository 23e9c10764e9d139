using System.Diagnostics;
using System.Globalization;
using System.Text;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;
using Bollard.Scanning.Matching;

namespace Bollard.Scanning.Tests.Matching;

public sealed class Cvss4Tests
{
    /// <summary>
    /// Scores of FIRST's calculator (github.com/FIRSTdotorg/cvss-v4-calculator) as recorded by js-cvss's test corpus,
    /// including the vectors that found bugs in early calculators (the EQ3/EQ6 depth, RedHat calculator #48).
    /// </summary>
    [Theory]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:H/SI:H/SA:H", 7.9)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U", 9.1)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MVI:L/MSA:S", 9.8)]
    [InlineData("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 1.0)]
    [InlineData("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:L", 5.2)]
    [InlineData("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:L/E:P/CR:H/IR:M/AR:H/MAV:A/MAT:P/MPR:N/MVI:H/MVA:N/MSI:H/MSA:N/S:N/V:C/U:Amber", 4.7)]
    [InlineData("CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:N/VC:N/VI:N/VA:H/SC:H/SI:H/SA:H/CR:L/IR:L/AR:L", 5.8)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:U", 0.4)]
    // Float drift: the interpolation gives 8.549999999999999 for an exact 8.55, which rounds up (FIRST's current calculator).
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:L/VA:N/SC:H/SI:H/SA:H", 8.6)]
    public void Score_KnownVectors(string vector, double score) => Assert.Equal(score, Cvss4.Score(vector));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")]
    [InlineData("CVSS:4.0/AV:F/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N")] // unknown value
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/SC:N/SI:N/SA:N")] // VA missing
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/E:A/E:X")] // repeated metric
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/ui:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N")] // case matters
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:S/SA:H")] // S only as MSI/MSA
    public void Score_NotAValidV4Vector_IsNull(string? vector) => Assert.Null(Cvss4.Score(vector));

    /// <summary>The qualitative rating of section 5 of the v4.0 specification (None is Bollard's negligible).</summary>
    [Theory]
    [InlineData(0.0, Severities.Negligible)]
    [InlineData(0.1, Severities.Low)]
    [InlineData(3.9, Severities.Low)]
    [InlineData(4.0, Severities.Medium)]
    [InlineData(6.9, Severities.Medium)]
    [InlineData(7.0, Severities.High)]
    [InlineData(8.9, Severities.High)]
    [InlineData(9.0, Severities.Critical)]
    [InlineData(10.0, Severities.Critical)]
    public void Rating_FollowsTheSpecification(double score, string rating) => Assert.Equal(rating, Severities.FromCvss(score));

    /// <summary>An advisory that gives only a v4 vector (GitHub and OSV often do) rates the finding from the computed score.</summary>
    [Fact]
    public void Rate_V4VectorWithoutScore_GivesScoreAndSeverity()
    {
        const string Vector = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        var advisory = new Advisory
        {
            Source = AdvisorySources.Osv,
            Id = "GHSA-test-v4",
            Severities = [new AdvisorySeverity(AdvisorySeverityKinds.CvssV4, Vector, null, null), new AdvisorySeverity(AdvisorySeverityKinds.Rating, null, null, "moderate")],
        };
        var (severity, score, vector) = AdvisoryMatcher.Rate([advisory], null);
        Assert.Equal((Severities.Critical, 9.3, Vector), (severity, score, vector));

        // The computed v4 score is preferred to a v3 one, as a given v4 score is.
        var both = advisory with { Severities = [.. advisory.Severities, new AdvisorySeverity(AdvisorySeverityKinds.CvssV3, "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N", null, null)] };
        Assert.Equal(9.3, AdvisoryMatcher.Rate([both], null).Score);
    }

    /// <summary>
    /// Every base vector (104,976: the whole CVSS-B space) and 3,000 random vectors with threat, environmental and
    /// supplemental metrics score as two independent JavaScript calculators score them (ae-cvss-calculator, which
    /// rounds as FIRST's current calculator does: exactly; js-cvss, which rounds the float as it comes: exactly, or
    /// 0.1 lower where our unrounded score is within float noise below a half). scripts/test.sh installs them and sets
    /// BOLLARD_CVSS_JS to their node_modules.
    /// </summary>
    [Fact]
    public async Task Score_AgreesWithIndependentCalculators()
    {
        string? modules = Environment.GetEnvironmentVariable("BOLLARD_CVSS_JS");
        Assert.False(string.IsNullOrEmpty(modules), "BOLLARD_CVSS_JS is not set: scripts/test.sh installs the calculators of test/Bollard.Scanning.Tests/Matching/cvss-js/package.json and sets it");
        var vectors = AllBaseVectors().Concat(RandomFullVectors(new Random(4_0), 3000)).ToList();

        var start = new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Matching", "cvss-js", "cvss4-scores.mjs"));
        start.ArgumentList.Add(modules);
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var error = node.StandardError.ReadToEndAsync();
        await node.StandardInput.WriteAsync(string.Join('\n', vectors) + "\n");
        node.StandardInput.Close();
        await node.WaitForExitAsync();
        Assert.True(node.ExitCode == 0, await error);
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(vectors.Count, lines.Length);

        var wrong = new List<string>();
        int drift = 0;
        for (int i = 0; i < vectors.Count; i++)
        {
            double? unrounded = Cvss4.Unrounded(vectors[i]);
            string ours = Text(unrounded is { } u ? Cvss4.Round(u) : null);
            string[] theirs = lines[i].Split(' ');
            bool jsCvssDrift = unrounded is { } raw && theirs[0] == Text(Math.Round(raw * 10, MidpointRounding.AwayFromZero) / 10)
                && Math.Abs((raw * 10) - Math.Floor(raw * 10) - 0.5) < 1e-5;
            if (jsCvssDrift && theirs[0] != ours) drift++;
            if (theirs[1] != ours || (theirs[0] != ours && !jsCvssDrift))
                wrong.Add($"{vectors[i]}: ours {ours} ({unrounded:R}), js-cvss {theirs[0]}, ae-cvss-calculator {theirs[1]}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {vectors.Count} differ:\n" + string.Join('\n', wrong.Take(20)));
        Assert.InRange(drift, 1, vectors.Count / 50); // the float-drift cases exist (8.55 above) and are rare
    }

    private static string Text(double? score) => score is { } s ? s.ToString("0.0", CultureInfo.InvariantCulture) : "error";

    private static readonly (string Metric, string[] Values)[] Base =
    [
        ("AV", ["N", "A", "L", "P"]), ("AC", ["L", "H"]), ("AT", ["N", "P"]), ("PR", ["N", "L", "H"]), ("UI", ["N", "P", "A"]),
        ("VC", ["H", "L", "N"]), ("VI", ["H", "L", "N"]), ("VA", ["H", "L", "N"]), ("SC", ["H", "L", "N"]), ("SI", ["H", "L", "N"]), ("SA", ["H", "L", "N"]),
    ];

    // Optional metrics in the specification's order.
    private static readonly (string Metric, string[] Values)[] Optional =
    [
        ("E", ["X", "A", "P", "U"]), ("CR", ["X", "H", "M", "L"]), ("IR", ["X", "H", "M", "L"]), ("AR", ["X", "H", "M", "L"]),
        ("MAV", ["X", "N", "A", "L", "P"]), ("MAC", ["X", "L", "H"]), ("MAT", ["X", "N", "P"]), ("MPR", ["X", "N", "L", "H"]), ("MUI", ["X", "N", "P", "A"]),
        ("MVC", ["X", "H", "L", "N"]), ("MVI", ["X", "H", "L", "N"]), ("MVA", ["X", "H", "L", "N"]),
        ("MSC", ["X", "H", "L", "N"]), ("MSI", ["X", "S", "H", "L", "N"]), ("MSA", ["X", "S", "H", "L", "N"]),
        ("S", ["X", "N", "P"]), ("AU", ["X", "N", "Y"]), ("R", ["X", "A", "U", "I"]), ("V", ["X", "D", "C"]), ("RE", ["X", "L", "M", "H"]),
        ("U", ["X", "Clear", "Green", "Amber", "Red"]),
    ];

    private static IEnumerable<string> AllBaseVectors()
    {
        IEnumerable<string> vectors = ["CVSS:4.0"];
        foreach (var (metric, values) in Base)
        {
            var prefixes = vectors;
            vectors = prefixes.SelectMany(p => values.Select(v => $"{p}/{metric}:{v}"));
        }
        return vectors;
    }

    private static IEnumerable<string> RandomFullVectors(Random random, int count)
    {
        for (int n = 0; n < count; n++)
        {
            var sb = new StringBuilder("CVSS:4.0");
            foreach (var (metric, values) in Base) sb.Append('/').Append(metric).Append(':').Append(values[random.Next(values.Length)]);
            foreach (var (metric, values) in Optional)
                if (random.Next(2) == 0) sb.Append('/').Append(metric).Append(':').Append(values[random.Next(values.Length)]);
            yield return sb.ToString();
        }
    }
}
