using Bollard.Core.Scanning;

namespace Bollard.Scanning.Versions;

/// <summary>
/// Alpine (and Wolfi) version order, as current apk-tools (src/version.c, apk-tools 3):
/// <c>number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}</c>. Suffixes order
/// <c>alpha &lt; beta &lt; pre &lt; rc &lt; (none) &lt; cvs &lt; svn &lt; git &lt; hg &lt; p</c>; a number after the
/// first that starts with <c>0</c> is compared as a string (Gentoo rule); <c>-rN</c> is the package revision.
/// </summary>
/// <remarks>
/// Two readings differ from apk-tools 3, as apk 2.x and Alpine's own history need them: a number straight after the
/// letter (<c>6.6.2p1-r0</c>, openssh in old secdb entries) and a bare <c>-r</c> at the end (= <c>-r0</c>).
/// Versions apk-tools still rejects (<see cref="IsWellFormed"/> false: <c>1.2_blah</c>, <c>1.2.0A</c>, <c>0..1</c>)
/// are ordered anyway, never an exception: against a well-formed version by apk's token rules (apk stops at the
/// bad token, so the malformed one is lower there), against another malformed one by ordinal text.
/// <see cref="IsValid"/> (what <see cref="Compare"/> accepts) is false only for empty or whitespace-bearing text.
/// </remarks>
public sealed class ApkVersionScheme : IVersionScheme
{
    public static ApkVersionScheme Instance { get; } = new();

    public string PackageType => PackageTypes.Apk;

    private enum Token
    {
        InitialDigit,
        Digit,
        Letter,
        Suffix,
        SuffixNo,
        CommitHash,
        RevisionNo,
        End,
        Invalid,
    }

    // Suffix weights: pre-release suffixes below None, post-release above (apk's SUFFIX_* enum order).
    private const int SuffixInvalid = 0, SuffixNone = 5;

    private ref struct Tokenizer(ReadOnlySpan<char> text)
    {
        private readonly ReadOnlySpan<char> _text = text;
        private int _pos;
        public Token Kind;
        public int Suffix;
        public ReadOnlySpan<char> Value;

        public void First()
        {
            Kind = Token.InitialDigit;
            ParseDigits();
        }

        private void ParseDigits()
        {
            int n = VersionText.DigitRun(_text[_pos..]);
            Value = _text.Slice(_pos, n);
            _pos += n;
            if (n == 0) Kind = Token.Invalid;
        }

        public void Next()
        {
            if (_pos >= _text.Length)
            {
                Kind = Token.End;
                return;
            }
            char c = _text[_pos];
            switch (c)
            {
                case >= 'a' and <= 'z':
                    if (Kind > Token.Digit) break;
                    Value = _text.Slice(_pos, 1);
                    Kind = Token.Letter;
                    _pos++;
                    return;
                case '.' or (>= '0' and <= '9'):
                    if (c == '.')
                    {
                        if (Kind > Token.Digit) break;
                        _pos++;
                    }
                    // A number straight after the letter (openssh "6.6.2p1-r0" in Alpine's own history) is what
                    // apk 2.x accepted; apk 3 calls it invalid, which would leave real secdb entries unmatchable.
                    if (Kind is Token.InitialDigit or Token.Digit || (Kind == Token.Letter && c != '.')) Kind = Token.Digit;
                    else if (Kind == Token.Suffix) Kind = Token.SuffixNo;
                    else break;
                    ParseDigits();
                    return;
                case '_':
                {
                    if (Kind > Token.SuffixNo) break;
                    _pos++;
                    int start = _pos;
                    while (_pos < _text.Length && _text[_pos] is >= 'a' and <= 'z') _pos++;
                    Value = _text[start.._pos];
                    Suffix = SuffixValue(Value);
                    if (Suffix == SuffixInvalid) break;
                    Kind = Token.Suffix;
                    return;
                }
                case '~':
                {
                    if (Kind >= Token.CommitHash) break;
                    _pos++;
                    int start = _pos;
                    while (_pos < _text.Length && _text[_pos] is >= '0' and <= '9' or >= 'a' and <= 'f') _pos++;
                    Value = _text[start.._pos];
                    if (Value.IsEmpty) break;
                    Kind = Token.CommitHash;
                    return;
                }
                case '-':
                    if (Kind >= Token.RevisionNo) break;
                    if (!_text[_pos..].StartsWith("-r", StringComparison.Ordinal)) break;
                    _pos += 2;
                    Kind = Token.RevisionNo;
                    // "-r" at the very end reads as "-r0" (as apk 2.x did); "-r" before anything but digits is invalid.
                    if (_pos == _text.Length) Value = "0";
                    else ParseDigits();
                    return;
            }
            Kind = Token.Invalid;
        }
    }

    private static int SuffixValue(ReadOnlySpan<char> s) => s switch
    {
        "alpha" => 1,
        "beta" => 2,
        "pre" => 3,
        "rc" => 4,
        "cvs" => 6,
        "svn" => 7,
        "git" => 8,
        "hg" => 9,
        "p" => 10,
        _ => SuffixInvalid,
    };

    public bool IsValid(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return version.Length > 0 && !version.Any(char.IsWhiteSpace);
    }

    /// <summary>Whether apk-tools itself accepts the version (<c>apk_version_validate</c>, with the two readings above).</summary>
    public static bool IsWellFormed(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var t = new Tokenizer(version);
        for (t.First(); t.Kind < Token.End; t.Next())
        {
        }
        return t.Kind == Token.End;
    }

    public int Compare(string left, string right)
    {
        if (!IsValid(left)) throw VersionText.Invalid("Alpine", left, "empty or contains whitespace");
        if (!IsValid(right)) throw VersionText.Invalid("Alpine", right, "empty or contains whitespace");
        if (!IsWellFormed(left) && !IsWellFormed(right)) return Math.Sign(string.CompareOrdinal(left, right));
        var a = new Tokenizer(left);
        var b = new Tokenizer(right);
        for (a.First(), b.First(); a.Kind == b.Kind && a.Kind < Token.End; a.Next(), b.Next())
        {
            int c = TokenCompare(ref a, ref b);
            if (c != 0) return c;
        }
        if (a.Kind == b.Kind) return 0;
        // Equal so far: the longer one is greater unless what it continues with is a pre-release suffix.
        if (a.Kind == Token.Suffix && a.Suffix < SuffixNone) return -1;
        if (b.Kind == Token.Suffix && b.Suffix < SuffixNone) return 1;
        return a.Kind > b.Kind ? -1 : 1;
    }

    private static int TokenCompare(ref Tokenizer a, ref Tokenizer b)
    {
        switch (a.Kind)
        {
            case Token.Digit when a.Value[0] == '0' || b.Value[0] == '0':
                // apk: "if either of the digits have a leading zero, use raw string comparison similar to Gentoo spec"
                return Math.Sign(a.Value.SequenceCompareTo(b.Value));
            case Token.Digit or Token.InitialDigit or Token.SuffixNo or Token.RevisionNo:
                return VersionText.CompareDigits(a.Value, b.Value);
            case Token.Letter:
                return a.Value[0].CompareTo(b.Value[0]);
            case Token.Suffix:
                return a.Suffix.CompareTo(b.Suffix);
            default:
                return Math.Sign(a.Value.SequenceCompareTo(b.Value));
        }
    }
}
