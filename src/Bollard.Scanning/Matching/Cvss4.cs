using System.Collections.Frozen;

namespace Bollard.Scanning.Matching;

/// <summary>
/// CVSS v4.0 scores from vectors, per FIRST's specification (https://www.first.org/cvss/v4.0/specification-document,
/// section 8, "CVSS v4.0 Scoring"): the vector falls in a macrovector (six equivalence classes EQ1-EQ6), the
/// macrovector's score comes from FIRST's lookup table, and the vector's severity distance from the highest-severity
/// vectors of its macrovector moves the score towards the next lower macrovectors. Threat (E) and environmental
/// (CR/IR/AR, M*) metrics are honoured when the vector carries them (CVSS-BT/BE/BTE); supplemental metrics do not score.
/// </summary>
public static class Cvss4
{
    private const string Prefix = "CVSS:4.0";

    /// <summary>The score of a <c>CVSS:4.0/...</c> vector, or null when it is not a valid v4.0 vector with every base metric.</summary>
    public static double? Score(string? vector) => Unrounded(vector) is { } score ? Round(score) : null;

    /// <summary>The score before rounding to one decimal (what the tests compare with calculators that round differently).</summary>
    internal static double? Unrounded(string? vector) => Parse(vector) is { } metrics ? Score(metrics) : null;

    /// <summary>
    /// One decimal, halves up. The interpolation's float arithmetic lands just below an exact half (8.55 as
    /// 8.549999999999999): like FIRST's current calculator (cvss40.js, <c>roundToDecimalPlaces</c>), add 1e-6 first.
    /// </summary>
    internal static double Round(double score) => Math.Round((score + 1e-6) * 10, MidpointRounding.AwayFromZero) / 10;

    /// <summary>The metric values of a valid v4.0 vector (absent optional metrics are absent, not X), or null.</summary>
    internal static Dictionary<string, string>? Parse(string? vector)
    {
        if (string.IsNullOrWhiteSpace(vector)) return null;
        var parts = vector.Trim().Split('/');
        if (parts[0] != Prefix) return null;
        var metrics = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in parts.Skip(1))
        {
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) return null;
            string key = part[..colon], value = part[(colon + 1)..];
            if (!Allowed.TryGetValue(key, out var values) || !values.Contains(value)) return null;
            if (!metrics.TryAdd(key, value)) return null;
        }
        return BaseMetrics.All(metrics.ContainsKey) ? metrics : null;
    }

    private static double Score(Dictionary<string, string> selected)
    {
        var v = new Effective(selected);
        if (ImpactMetrics.All(m => v[m] == "N")) return 0.0; // no impact at all scores 0 whatever else

        var macro = MacroVector(v);
        int eq1 = macro[0], eq2 = macro[1], eq3 = macro[2], eq4 = macro[3], eq5 = macro[4], eq6 = macro[5];
        double value = Lookup[Key(macro)];

        // The next lower macrovector of each EQ (EQ3 and EQ6 move together: 00 has two, the higher one counts).
        double? lowerEq1 = LookupAt(macro, 0, 1), lowerEq2 = LookupAt(macro, 1, 1), lowerEq4 = LookupAt(macro, 3, 1), lowerEq5 = LookupAt(macro, 4, 1);
        double? lowerEq3Eq6 = (eq3, eq6) switch
        {
            (0, 0) => Max(LookupAt(macro, 5, 1), LookupAt(macro, 2, 1)),
            (1, 0) => LookupAt(macro, 5, 1),
            (0, 1) or (1, 1) => LookupAt(macro, 2, 1),
            _ => null, // 21: there is no lower one
        };

        // Severity distances from the first highest-severity vector of the macrovector that is not below the vector in
        // any metric (FIRST's calculator keeps the last candidate when none qualifies).
        var distances = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string max in MaxVectors(eq1, eq2, eq3, eq4, eq5, eq6))
        {
            var maxMetrics = max.TrimEnd('/').Split('/').ToDictionary(p => p[..p.IndexOf(':', StringComparison.Ordinal)], p => p[(p.IndexOf(':', StringComparison.Ordinal) + 1)..], StringComparer.Ordinal);
            distances.Clear();
            foreach (var (metric, levels) in Levels) distances[metric] = levels[v[metric]] - levels[maxMetrics[metric]];
            if (distances.Values.All(d => d >= 0)) break;
        }
        double current1 = distances["AV"] + distances["PR"] + distances["UI"];
        double current2 = distances["AC"] + distances["AT"];
        double current3 = distances["VC"] + distances["VI"] + distances["VA"] + distances["CR"] + distances["IR"] + distances["AR"];
        double current4 = distances["SC"] + distances["SI"] + distances["SA"];

        const double Step = 0.1;
        double sum = 0;
        int lowerCount = 0;
        void Add(double? lower, double currentDistance, double depth)
        {
            if (lower is null) return;
            lowerCount++;
            // The share of the macrovector's depth the vector is away from its top, times the score gap to the lower one.
            sum += (value - lower.Value) * (currentDistance / (depth * Step));
        }
        Add(lowerEq1, current1, MaxSeverityEq1[eq1]);
        Add(lowerEq2, current2, MaxSeverityEq2[eq2]);
        Add(lowerEq3Eq6, current3, MaxSeverityEq3Eq6[(eq3, eq6)]);
        Add(lowerEq4, current4, MaxSeverityEq4[eq4]);
        if (lowerEq5 is not null) lowerCount++; // EQ5 always has distance 0 but counts in the mean.

        return Math.Clamp(value - (lowerCount == 0 ? 0 : sum / lowerCount), 0.0, 10.0);
    }

    /// <summary>The six EQ levels of the vector (section 8.2).</summary>
    private static int[] MacroVector(Effective v)
    {
        string av = v["AV"], pr = v["PR"], ui = v["UI"];
        int eq1 = av == "N" && pr == "N" && ui == "N" ? 0
            : (av == "N" || pr == "N" || ui == "N") && av != "P" ? 1
            : 2;
        int eq2 = v["AC"] == "L" && v["AT"] == "N" ? 0 : 1;
        string vc = v["VC"], vi = v["VI"], va = v["VA"];
        int eq3 = vc == "H" && vi == "H" ? 0 : vc == "H" || vi == "H" || va == "H" ? 1 : 2;
        int eq4 = v["MSI"] == "S" || v["MSA"] == "S" ? 0 : v["SC"] == "H" || v["SI"] == "H" || v["SA"] == "H" ? 1 : 2;
        int eq5 = v["E"] switch { "A" => 0, "P" => 1, _ => 2 };
        int eq6 = (v["CR"] == "H" && vc == "H") || (v["IR"] == "H" && vi == "H") || (v["AR"] == "H" && va == "H") ? 0 : 1;
        return [eq1, eq2, eq3, eq4, eq5, eq6];
    }

    private static IEnumerable<string> MaxVectors(int eq1, int eq2, int eq3, int eq4, int eq5, int eq6) =>
        from a in MaxEq1[eq1]
        from b in MaxEq2[eq2]
        from c in MaxEq3Eq6[(eq3, eq6)]
        from d in MaxEq4[eq4]
        from e in MaxEq5[eq5]
        select a + b + c + d + e;

    private static string Key(int[] macro) => string.Concat(macro);

    private static double? LookupAt(int[] macro, int index, int delta)
    {
        var next = (int[])macro.Clone();
        next[index] += delta;
        return Lookup.TryGetValue(Key(next), out double s) ? s : null;
    }

    // FIRST's calculator takes the left (EQ6+1) score only when it is strictly higher.
    private static double? Max(double? left, double? right) => left is { } l && right is { } r ? (l > r ? l : r) : right;

    /// <summary>The values the score uses: a modified metric (M*) overrides its base metric; X defaults per section 8.</summary>
    private readonly struct Effective(Dictionary<string, string> selected)
    {
        public string this[string metric]
        {
            get
            {
                string? value = selected.GetValueOrDefault(metric);
                switch (metric)
                {
                    case "E": return value is null or "X" ? "A" : value;
                    case "CR" or "IR" or "AR": return value is null or "X" ? "H" : value;
                    case "MSI" or "MSA": return value ?? "X";
                }
                return selected.TryGetValue("M" + metric, out string? modified) && modified != "X" ? modified : value!;
            }
        }
    }

    private static readonly string[] ImpactMetrics = ["VC", "VI", "VA", "SC", "SI", "SA"];

    private static readonly string[] BaseMetrics = ["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"];

    private static readonly FrozenDictionary<string, FrozenSet<string>> Allowed = new Dictionary<string, string[]>
    {
        ["AV"] = ["N", "A", "L", "P"], ["AC"] = ["L", "H"], ["AT"] = ["N", "P"], ["PR"] = ["N", "L", "H"], ["UI"] = ["N", "P", "A"],
        ["VC"] = ["H", "L", "N"], ["VI"] = ["H", "L", "N"], ["VA"] = ["H", "L", "N"],
        ["SC"] = ["H", "L", "N"], ["SI"] = ["H", "L", "N"], ["SA"] = ["H", "L", "N"],
        ["E"] = ["X", "A", "P", "U"],
        ["CR"] = ["X", "H", "M", "L"], ["IR"] = ["X", "H", "M", "L"], ["AR"] = ["X", "H", "M", "L"],
        ["MAV"] = ["X", "N", "A", "L", "P"], ["MAC"] = ["X", "L", "H"], ["MAT"] = ["X", "N", "P"], ["MPR"] = ["X", "N", "L", "H"], ["MUI"] = ["X", "N", "P", "A"],
        ["MVC"] = ["X", "H", "L", "N"], ["MVI"] = ["X", "H", "L", "N"], ["MVA"] = ["X", "H", "L", "N"],
        ["MSC"] = ["X", "H", "L", "N"], ["MSI"] = ["X", "S", "H", "L", "N"], ["MSA"] = ["X", "S", "H", "L", "N"],
        ["S"] = ["X", "N", "P"], ["AU"] = ["X", "N", "Y"], ["R"] = ["X", "A", "U", "I"], ["V"] = ["X", "D", "C"], ["RE"] = ["X", "L", "M", "H"],
        ["U"] = ["X", "Clear", "Green", "Amber", "Red"],
    }.ToFrozenDictionary(p => p.Key, p => p.Value.ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Severity levels of each metric value (0 most severe), in tenths as FIRST's calculator has them.</summary>
    private static readonly (string Metric, Dictionary<string, double> Levels)[] Levels =
    [
        ("AV", new() { ["N"] = 0.0, ["A"] = 0.1, ["L"] = 0.2, ["P"] = 0.3 }),
        ("PR", new() { ["N"] = 0.0, ["L"] = 0.1, ["H"] = 0.2 }),
        ("UI", new() { ["N"] = 0.0, ["P"] = 0.1, ["A"] = 0.2 }),
        ("AC", new() { ["L"] = 0.0, ["H"] = 0.1 }),
        ("AT", new() { ["N"] = 0.0, ["P"] = 0.1 }),
        ("VC", new() { ["H"] = 0.0, ["L"] = 0.1, ["N"] = 0.2 }),
        ("VI", new() { ["H"] = 0.0, ["L"] = 0.1, ["N"] = 0.2 }),
        ("VA", new() { ["H"] = 0.0, ["L"] = 0.1, ["N"] = 0.2 }),
        ("SC", new() { ["H"] = 0.1, ["L"] = 0.2, ["N"] = 0.3 }),
        ("SI", new() { ["S"] = 0.0, ["H"] = 0.1, ["L"] = 0.2, ["N"] = 0.3 }),
        ("SA", new() { ["S"] = 0.0, ["H"] = 0.1, ["L"] = 0.2, ["N"] = 0.3 }),
        ("CR", new() { ["H"] = 0.0, ["M"] = 0.1, ["L"] = 0.2 }),
        ("IR", new() { ["H"] = 0.0, ["M"] = 0.1, ["L"] = 0.2 }),
        ("AR", new() { ["H"] = 0.0, ["M"] = 0.1, ["L"] = 0.2 }),
    ];

    // The highest-severity vectors of each EQ level (FIRST's max_composed), and each macrovector's depth (max_severity).
    private static readonly Dictionary<int, string[]> MaxEq1 = new()
    {
        [0] = ["AV:N/PR:N/UI:N/"],
        [1] = ["AV:A/PR:N/UI:N/", "AV:N/PR:L/UI:N/", "AV:N/PR:N/UI:P/"],
        [2] = ["AV:P/PR:N/UI:N/", "AV:A/PR:L/UI:P/"],
    };

    private static readonly Dictionary<int, string[]> MaxEq2 = new() { [0] = ["AC:L/AT:N/"], [1] = ["AC:H/AT:N/", "AC:L/AT:P/"] };

    private static readonly Dictionary<(int, int), string[]> MaxEq3Eq6 = new()
    {
        [(0, 0)] = ["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H/"],
        [(0, 1)] = ["VC:H/VI:H/VA:L/CR:M/IR:M/AR:H/", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M/"],
        [(1, 0)] = ["VC:L/VI:H/VA:H/CR:H/IR:H/AR:H/", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H/"],
        [(1, 1)] = ["VC:L/VI:H/VA:L/CR:H/IR:M/AR:H/", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M/", "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M/", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H/", "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M/"],
        [(2, 1)] = ["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H/"],
    };

    private static readonly Dictionary<int, string[]> MaxEq4 = new() { [0] = ["SC:H/SI:S/SA:S/"], [1] = ["SC:H/SI:H/SA:H/"], [2] = ["SC:L/SI:L/SA:L/"] };

    private static readonly Dictionary<int, string[]> MaxEq5 = new() { [0] = ["E:A/"], [1] = ["E:P/"], [2] = ["E:U/"] };

    private static readonly Dictionary<int, double> MaxSeverityEq1 = new() { [0] = 1, [1] = 4, [2] = 5 };
    private static readonly Dictionary<int, double> MaxSeverityEq2 = new() { [0] = 1, [1] = 2 };
    private static readonly Dictionary<(int, int), double> MaxSeverityEq3Eq6 = new() { [(0, 0)] = 7, [(0, 1)] = 6, [(1, 0)] = 8, [(1, 1)] = 8, [(2, 1)] = 10 };
    private static readonly Dictionary<int, double> MaxSeverityEq4 = new() { [0] = 6, [1] = 5, [2] = 4 };

    /// <summary>
    /// The score of each macrovector (EQ1..EQ6 levels as six digits), FIRST's table as published with the specification
    /// (github.com/FIRSTdotorg/cvss-v4-calculator, cvss_lookup.js; Copyright FIRST, Red Hat, and contributors, BSD-2-Clause).
    /// </summary>
    private static readonly FrozenDictionary<string, double> Lookup = new Dictionary<string, double>
    {
        ["000000"] = 10.0, ["000001"] = 9.9, ["000010"] = 9.8, ["000011"] = 9.5, ["000020"] = 9.5, ["000021"] = 9.2,
        ["000100"] = 10.0, ["000101"] = 9.6, ["000110"] = 9.3, ["000111"] = 8.7, ["000120"] = 9.1, ["000121"] = 8.1,
        ["000200"] = 9.3, ["000201"] = 9.0, ["000210"] = 8.9, ["000211"] = 8.0, ["000220"] = 8.1, ["000221"] = 6.8,
        ["001000"] = 9.8, ["001001"] = 9.5, ["001010"] = 9.5, ["001011"] = 9.2, ["001020"] = 9.0, ["001021"] = 8.4,
        ["001100"] = 9.3, ["001101"] = 9.2, ["001110"] = 8.9, ["001111"] = 8.1, ["001120"] = 8.1, ["001121"] = 6.5,
        ["001200"] = 8.8, ["001201"] = 8.0, ["001210"] = 7.8, ["001211"] = 7.0, ["001220"] = 6.9, ["001221"] = 4.8,
        ["002001"] = 9.2, ["002011"] = 8.2, ["002021"] = 7.2, ["002101"] = 7.9, ["002111"] = 6.9, ["002121"] = 5.0,
        ["002201"] = 6.9, ["002211"] = 5.5, ["002221"] = 2.7, ["010000"] = 9.9, ["010001"] = 9.7, ["010010"] = 9.5,
        ["010011"] = 9.2, ["010020"] = 9.2, ["010021"] = 8.5, ["010100"] = 9.5, ["010101"] = 9.1, ["010110"] = 9.0,
        ["010111"] = 8.3, ["010120"] = 8.4, ["010121"] = 7.1, ["010200"] = 9.2, ["010201"] = 8.1, ["010210"] = 8.2,
        ["010211"] = 7.1, ["010220"] = 7.2, ["010221"] = 5.3, ["011000"] = 9.5, ["011001"] = 9.3, ["011010"] = 9.2,
        ["011011"] = 8.5, ["011020"] = 8.5, ["011021"] = 7.3, ["011100"] = 9.2, ["011101"] = 8.2, ["011110"] = 8.0,
        ["011111"] = 7.2, ["011120"] = 7.0, ["011121"] = 5.9, ["011200"] = 8.4, ["011201"] = 7.0, ["011210"] = 7.1,
        ["011211"] = 5.2, ["011220"] = 5.0, ["011221"] = 3.0, ["012001"] = 8.6, ["012011"] = 7.5, ["012021"] = 5.2,
        ["012101"] = 7.1, ["012111"] = 5.2, ["012121"] = 2.9, ["012201"] = 6.3, ["012211"] = 2.9, ["012221"] = 1.7,
        ["100000"] = 9.8, ["100001"] = 9.5, ["100010"] = 9.4, ["100011"] = 8.7, ["100020"] = 9.1, ["100021"] = 8.1,
        ["100100"] = 9.4, ["100101"] = 8.9, ["100110"] = 8.6, ["100111"] = 7.4, ["100120"] = 7.7, ["100121"] = 6.4,
        ["100200"] = 8.7, ["100201"] = 7.5, ["100210"] = 7.4, ["100211"] = 6.3, ["100220"] = 6.3, ["100221"] = 4.9,
        ["101000"] = 9.4, ["101001"] = 8.9, ["101010"] = 8.8, ["101011"] = 7.7, ["101020"] = 7.6, ["101021"] = 6.7,
        ["101100"] = 8.6, ["101101"] = 7.6, ["101110"] = 7.4, ["101111"] = 5.8, ["101120"] = 5.9, ["101121"] = 5.0,
        ["101200"] = 7.2, ["101201"] = 5.7, ["101210"] = 5.7, ["101211"] = 5.2, ["101220"] = 5.2, ["101221"] = 2.5,
        ["102001"] = 8.3, ["102011"] = 7.0, ["102021"] = 5.4, ["102101"] = 6.5, ["102111"] = 5.8, ["102121"] = 2.6,
        ["102201"] = 5.3, ["102211"] = 2.1, ["102221"] = 1.3, ["110000"] = 9.5, ["110001"] = 9.0, ["110010"] = 8.8,
        ["110011"] = 7.6, ["110020"] = 7.6, ["110021"] = 7.0, ["110100"] = 9.0, ["110101"] = 7.7, ["110110"] = 7.5,
        ["110111"] = 6.2, ["110120"] = 6.1, ["110121"] = 5.3, ["110200"] = 7.7, ["110201"] = 6.6, ["110210"] = 6.8,
        ["110211"] = 5.9, ["110220"] = 5.2, ["110221"] = 3.0, ["111000"] = 8.9, ["111001"] = 7.8, ["111010"] = 7.6,
        ["111011"] = 6.7, ["111020"] = 6.2, ["111021"] = 5.8, ["111100"] = 7.4, ["111101"] = 5.9, ["111110"] = 5.7,
        ["111111"] = 5.7, ["111120"] = 4.7, ["111121"] = 2.3, ["111200"] = 6.1, ["111201"] = 5.2, ["111210"] = 5.7,
        ["111211"] = 2.9, ["111220"] = 2.4, ["111221"] = 1.6, ["112001"] = 7.1, ["112011"] = 5.9, ["112021"] = 3.0,
        ["112101"] = 5.8, ["112111"] = 2.6, ["112121"] = 1.5, ["112201"] = 2.3, ["112211"] = 1.3, ["112221"] = 0.6,
        ["200000"] = 9.3, ["200001"] = 8.7, ["200010"] = 8.6, ["200011"] = 7.2, ["200020"] = 7.5, ["200021"] = 5.8,
        ["200100"] = 8.6, ["200101"] = 7.4, ["200110"] = 7.4, ["200111"] = 6.1, ["200120"] = 5.6, ["200121"] = 3.4,
        ["200200"] = 7.0, ["200201"] = 5.4, ["200210"] = 5.2, ["200211"] = 4.0, ["200220"] = 4.0, ["200221"] = 2.2,
        ["201000"] = 8.5, ["201001"] = 7.5, ["201010"] = 7.4, ["201011"] = 5.5, ["201020"] = 6.2, ["201021"] = 5.1,
        ["201100"] = 7.2, ["201101"] = 5.7, ["201110"] = 5.5, ["201111"] = 4.1, ["201120"] = 4.6, ["201121"] = 1.9,
        ["201200"] = 5.3, ["201201"] = 3.6, ["201210"] = 3.4, ["201211"] = 1.9, ["201220"] = 1.9, ["201221"] = 0.8,
        ["202001"] = 6.4, ["202011"] = 5.1, ["202021"] = 2.0, ["202101"] = 4.7, ["202111"] = 2.1, ["202121"] = 1.1,
        ["202201"] = 2.4, ["202211"] = 0.9, ["202221"] = 0.4, ["210000"] = 8.8, ["210001"] = 7.5, ["210010"] = 7.3,
        ["210011"] = 5.3, ["210020"] = 6.0, ["210021"] = 5.0, ["210100"] = 7.3, ["210101"] = 5.5, ["210110"] = 5.9,
        ["210111"] = 4.0, ["210120"] = 4.1, ["210121"] = 2.0, ["210200"] = 5.4, ["210201"] = 4.3, ["210210"] = 4.5,
        ["210211"] = 2.2, ["210220"] = 2.0, ["210221"] = 1.1, ["211000"] = 7.5, ["211001"] = 5.5, ["211010"] = 5.8,
        ["211011"] = 4.5, ["211020"] = 4.0, ["211021"] = 2.1, ["211100"] = 6.1, ["211101"] = 5.1, ["211110"] = 4.8,
        ["211111"] = 1.8, ["211120"] = 2.0, ["211121"] = 0.9, ["211200"] = 4.6, ["211201"] = 1.8, ["211210"] = 1.7,
        ["211211"] = 0.7, ["211220"] = 0.8, ["211221"] = 0.2, ["212001"] = 5.3, ["212011"] = 2.4, ["212021"] = 1.4,
        ["212101"] = 2.4, ["212111"] = 1.2, ["212121"] = 0.5, ["212201"] = 1.0, ["212211"] = 0.3, ["212221"] = 0.1,
    }.ToFrozenDictionary(StringComparer.Ordinal);
}
