using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Bollard.Trust.Notation;

/// <summary>
/// Notation's trusted identities (trust-store-trust-policy.md, "Trusted Identities Constraints"): <c>*</c>, or
/// <c>x509.subject: C=US, ST=WA, O=wabbit-networks.io, ...</c>, which matches a signing certificate whose subject holds
/// every RDN of the pattern with exactly that value (the subject may hold more). A pattern must name C, ST (or S) and O;
/// <c>\,</c> <c>\;</c> <c>\\</c> and a leading or trailing <c>\ </c> are escapes.
/// </summary>
internal static class NotationIdentity
{
    private const string Prefix = "x509.subject:";

    private static readonly Dictionary<string, string> AttributeOids = new(StringComparer.OrdinalIgnoreCase)
    {
        ["C"] = "2.5.4.6",
        ["ST"] = "2.5.4.8",
        ["S"] = "2.5.4.8",
        ["L"] = "2.5.4.7",
        ["O"] = "2.5.4.10",
        ["OU"] = "2.5.4.11",
        ["CN"] = "2.5.4.3",
        ["SERIALNUMBER"] = "2.5.4.5",
        ["STREET"] = "2.5.4.9",
        ["T"] = "2.5.4.12",
        ["TITLE"] = "2.5.4.12",
        ["SN"] = "2.5.4.4",
        ["G"] = "2.5.4.42",
        ["GN"] = "2.5.4.42",
        ["POSTALCODE"] = "2.5.4.17",
        ["DC"] = "0.9.2342.19200300.100.1.25",
        ["UID"] = "0.9.2342.19200300.100.1.1",
        ["E"] = "1.2.840.113549.1.9.1",
        ["EMAILADDRESS"] = "1.2.840.113549.1.9.1",
    };

    /// <summary>Whether any of <paramref name="identities"/> trusts <paramref name="leaf"/>.</summary>
    /// <returns>The identity that matched, or null and why none did (an invalid pattern says what is wrong with it).</returns>
    public static (string? Matched, string? Problem) Match(IReadOnlyList<string> identities, X509Certificate2 leaf)
    {
        ArgumentNullException.ThrowIfNull(identities);
        ArgumentNullException.ThrowIfNull(leaf);
        if (identities.Count == 0) return (null, "the trust store has no trusted identities");
        var subject = ReadSubject(leaf.SubjectName);
        if (subject is null) return (null, $"the signing certificate's subject {leaf.Subject} cannot be read");
        foreach (string identity in identities)
        {
            if (identity.Trim() == "*") return (identity, null);
            var (pattern, problem) = Parse(identity);
            if (pattern is null) return (null, $"trusted identity '{identity}' is invalid: {problem}");
            if (pattern.All(p => subject.Contains(p))) return (identity, null);
        }
        return (null, $"the signing certificate's subject {leaf.Subject} matches none of the trusted identities ({string.Join("; ", identities)})");
    }

    /// <summary>The (attribute OID, value) pairs of an <c>x509.subject:</c> pattern; null and the problem when malformed.</summary>
    public static (IReadOnlyList<(string Oid, string Value)>? Pattern, string? Problem) Parse(string identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        string text = identity.Trim();
        if (!text.StartsWith(Prefix, StringComparison.Ordinal)) return (null, $"expected '*' or '{Prefix} C=..., ST=..., O=...'");
        var parts = SplitUnescaped(text[Prefix.Length..]);
        if (parts is null) return (null, "a backslash escapes nothing");
        var pattern = new List<(string, string)>();
        foreach (var (raw, value) in parts)
        {
            int eq = raw.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) return (null, $"'{raw.Trim()}' is not TYPE=value");
            string type = raw[..eq].Trim();
            if (!AttributeOids.TryGetValue(type, out string? oid)) return (null, $"attribute type '{type}' is not known");
            if (pattern.Any(p => p.Item1 == oid)) return (null, $"attribute type '{type}' appears twice");
            pattern.Add((oid, value));
        }
        foreach (var (name, oid) in new[] { ("C", "2.5.4.6"), ("ST", "2.5.4.8"), ("O", "2.5.4.10") })
            if (!pattern.Any(p => p.Item1 == oid)) return (null, $"it must name {name} (C, ST and O are required)");
        return (pattern, null);
    }

    /// <summary>
    /// Splits on unescaped commas into (the type text, the unescaped value); spaces around a value are trimmed unless
    /// escaped. Null when a backslash ends the text.
    /// </summary>
    private static List<(string Raw, string Value)>? SplitUnescaped(string text)
    {
        var items = new List<(string, string)>();
        var type = new StringBuilder();
        var value = new List<(char Char, bool Escaped)>();
        bool inValue = false;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ',')
            {
                items.Add((type.ToString() + (inValue ? "=" : ""), TrimUnescaped(value)));
                type.Clear();
                value.Clear();
                inValue = false;
                continue;
            }
            char c = text[i];
            bool escaped = false;
            if (c == '\\')
            {
                if (i + 1 >= text.Length) return null;
                c = text[++i];
                escaped = true;
            }
            if (inValue) value.Add((c, escaped));
            else if (c == '=' && !escaped) inValue = true;
            else type.Append(c);
        }
        return items;
    }

    private static string TrimUnescaped(List<(char Char, bool Escaped)> value)
    {
        int start = 0, end = value.Count;
        while (start < end && value[start] is (' ', false)) start++;
        while (end > start && value[end - 1] is (' ', false)) end--;
        return new string(value.Skip(start).Take(end - start).Select(v => v.Char).ToArray());
    }

    /// <summary>The subject's (attribute OID, value) pairs, multi-valued RDNs flattened; null when the DER is malformed.</summary>
    public static HashSet<(string Oid, string Value)>? ReadSubject(X500DistinguishedName name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var pairs = new HashSet<(string, string)>();
        try
        {
            var rdns = new AsnReader(name.RawData, AsnEncodingRules.DER).ReadSequence();
            while (rdns.HasData)
            {
                var set = rdns.ReadSetOf();
                while (set.HasData)
                {
                    var attribute = set.ReadSequence();
                    string oid = attribute.ReadObjectIdentifier();
                    var tag = attribute.PeekTag();
                    string? value = tag.TagClass == TagClass.Universal
                        ? (UniversalTagNumber)tag.TagValue switch
                        {
                            UniversalTagNumber.PrintableString or UniversalTagNumber.UTF8String or UniversalTagNumber.IA5String
                                or UniversalTagNumber.BMPString or UniversalTagNumber.UniversalString or UniversalTagNumber.NumericString
                                or UniversalTagNumber.VisibleString => attribute.ReadCharacterString((UniversalTagNumber)tag.TagValue),
                            _ => null,
                        }
                        : null;
                    if (value is null) attribute.ReadEncodedValue();
                    else pairs.Add((oid, value));
                }
            }
        }
        catch (AsnContentException)
        {
            return null;
        }
        return pairs;
    }
}
