using System.Globalization;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Pipeline;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Policy;

/// <summary>
/// Evaluates a <see cref="TrustPolicy"/> against the facts of one image: pure, no I/O, deterministic for a given
/// <c>now</c>, thread-safe. The rules (docs/trust.md, "Trust policies"):
/// <list type="bullet">
/// <item>A signer is satisfied when at least one signature is trusted through its anchor and that signature has no
/// problems (and, when it names one, names the image's digest).</item>
/// <item>Vulnerabilities: a finding counts when it is more severe than <c>maxSeverity</c>, is not VEX
/// <c>not_affected</c>/<c>fixed</c>, has a fix (with <c>onlyFixable</c>), is not hidden by an unexpired exception, and
/// its advisory was not published after the image was admitted less than <c>gracePeriod</c> ago. An image without
/// finished scan results violates a policy with vulnerability rules ("not scanned yet").</item>
/// <item>Mode: off allows without evaluating; warn allows and lists the violations; enforce denies on any violation.</item>
/// </list>
/// </summary>
public static class PolicyEvaluator
{
    private const int MaxListedAdvisories = 10;
    private const int MaxAdvisories = 200;
    private const int MaxScannerNotes = 20;

    public static PolicyDecision Evaluate(TrustPolicy policy, long? version, PolicyFacts facts, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(facts);
        var decision = new PolicyDecision
        {
            Allowed = true,
            Mode = policy.Mode,
            Policy = policy.Name,
            PolicyVersion = version,
            Repository = facts.Repository,
            Digest = facts.Digest.ToString(),
            EvaluatedAt = now,
        };
        if (policy.Mode == PolicyMode.Off)
            return decision with { Notes = [$"policy {policy.Name} is off: nothing is evaluated"] };

        if (policy.Unreadable is { } unreadable)
        {
            List<string> violations = [$"policy {policy.Name}{(version is { } v ? $" v{v}" : "")} cannot be read ({unreadable}); save it again"];
            return decision with { Allowed = policy.Mode != PolicyMode.Enforce, Violations = violations };
        }
        var run = new Run(policy, facts, now);
        run.Signatures();
        run.Scanner();
        return decision with
        {
            Allowed = policy.Mode != PolicyMode.Enforce || run.Violations.Count == 0,
            Violations = run.Violations,
            Notes = run.Notes,
            Signatures = facts.Signatures,
            Advisories = run.Advisories,
            ValidUntil = run.ChangesAt,
        };
    }

    /// <summary>The verdict counts for <paramref name="signer"/>.</summary>
    public static bool Counts(SignatureVerdict verdict, string signer, string digest) =>
        verdict.Problems.Count == 0
        && (verdict.SignedDigest is null || string.Equals(verdict.SignedDigest, digest, StringComparison.Ordinal))
        && verdict.Anchors.Any(a => a.Trusted && a.Anchor == signer);

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private sealed class Run(TrustPolicy policy, PolicyFacts facts, DateTimeOffset now)
    {
        private readonly HashSet<string> _satisfied = new(StringComparer.Ordinal);
        private readonly string _digest = facts.Digest.ToString();

        public List<string> Violations { get; } = [];

        public List<string> Notes { get; } = [];

        public List<string> Advisories { get; } = [];

        public DateTimeOffset? ChangesAt { get; private set; }

        private void ChangeAt(DateTimeOffset t)
        {
            if (t > now && (ChangesAt is null || t < ChangesAt)) ChangesAt = t;
        }

        public void Signatures()
        {
            foreach (var signer in policy.Signers)
            {
                if (facts.SignerProblems.ContainsKey(signer.Name)) continue;
                foreach (var v in facts.Signatures)
                {
                    if (!Counts(v, signer.Name, _digest)) continue;
                    _satisfied.Add(signer.Name);
                    // A certificate valid now but not proven by a timestamp stops counting when it expires.
                    if (!v.TimestampVerified && v.Signer?.NotAfter is { } notAfter) ChangeAt(notAfter);
                }
            }

            if (policy.Require is { } require)
            {
                var (met, why) = Check(require, top: true);
                if (met) Notes.Add($"requirement {require.Describe()}: met (signed by {string.Join(", ", policy.Signers.Where(s => _satisfied.Contains(s.Name)).Select(s => s.Name))})");
                else Violations.Add($"requirement {require.Describe()}: {why}");
            }
            foreach (var (signer, problem) in facts.SignerProblems) Notes.Add($"signer {signer}: {problem}");
            if (facts.Signatures.Count == 0 && policy.Signers.Count > 0) Notes.Add("no signatures found");
            foreach (var v in facts.Signatures) Notes.Add(Describe(v));
            Notes.AddRange(facts.SignatureNotes);
        }

        private string Describe(SignatureVerdict v)
        {
            string name = $"{v.Format} {Short(v.SignatureManifest.ToString())}[{v.LayerIndex}]";
            string by = v.Signer switch
            {
                { CertificateSubject: { } subject } => $" (certificate {subject})",
                { KeyAlgorithm: { } alg } => $" ({alg} key {Short(v.Signer.KeyFingerprint ?? "")})",
                _ => "",
            };
            if (v.Problems.Count > 0) return $"signature {name}{by}: does not count: {string.Join("; ", v.Problems)}";
            if (v.SignedDigest is { } signed && signed != _digest) return $"signature {name}{by}: does not count: it signs {signed}, not {_digest}";
            var trusted = v.Anchors.Where(a => a.Trusted && policy.Signer(a.Anchor) is not null && !facts.SignerProblems.ContainsKey(a.Anchor)).ToList();
            if (trusted.Count > 0) return $"signature {name}{by}: counts for {string.Join("; ", trusted.Select(a => $"{a.Anchor} ({a.Reason})"))}";
            return v.Anchors.Count == 0
                ? $"signature {name}{by}: trusted by no signer (no anchor was checked)"
                : $"signature {name}{by}: trusted by no signer: {string.Join("; ", v.Anchors.Select(a => $"{a.Anchor}: {a.Reason}"))}";
        }

        private static string Short(string digest) => digest.Length > 19 ? digest[..19] + "…" : digest;

        private (bool Met, string Why) Check(Requirement r, bool top = false)
        {
            switch (r)
            {
                case SignerRequirement s:
                    if (_satisfied.Contains(s.Signer)) return (true, "");
                    return (false, $"{s.Signer}: {(facts.SignerProblems.TryGetValue(s.Signer, out var p) ? p : "no trusted signature")}");
                case AllOfRequirement all:
                {
                    var failed = all.Members.Select(m => Check(m)).Where(c => !c.Met).Select(c => c.Why).ToList();
                    string text = string.Join("; ", failed);
                    return (failed.Count == 0, top ? text : $"{all.Describe()}: {text}");
                }
                case AnyOfRequirement any:
                {
                    var results = any.Members.Select(m => Check(m)).ToList();
                    if (results.Any(c => c.Met)) return (true, "");
                    string text = $"none met ({string.Join("; ", results.Select(c => c.Why))})";
                    return (false, top ? text : $"{any.Describe()}: {text}");
                }
                case ThresholdRequirement t:
                {
                    var results = t.Of.Select(m => (Member: m, Result: Check(m))).ToList();
                    int met = results.Count(x => x.Result.Met);
                    var missingRequired = t.Required.Where(name => !_satisfied.Contains(name) || facts.SignerProblems.ContainsKey(name)).ToList();
                    if (met >= t.Threshold && missingRequired.Count == 0) return (true, "");
                    var why = new List<string>();
                    if (met < t.Threshold)
                    {
                        string which = met == 0 ? "none" : string.Join(", ", results.Where(x => x.Result.Met).Select(x => x.Member.Describe()));
                        why.Add($"{met} of {t.Of.Count} met ({which}), {t.Threshold} needed");
                    }
                    foreach (string name in missingRequired)
                        why.Add($"required {Check(new SignerRequirement(name)).Why}");
                    if (met < t.Threshold)
                        why.AddRange(results.Where(x => !x.Result.Met && !(x.Member is SignerRequirement sr && missingRequired.Contains(sr.Signer))).Select(x => x.Result.Why));
                    string text = string.Join("; ", why);
                    return (false, top ? text : $"{t.Describe()}: {text}");
                }
                default:
                    return (false, $"unknown requirement {r.Describe()}");
            }
        }

        public void Scanner()
        {
            if (!policy.NeedsScanFacts) return;
            var scan = facts.Scan ?? ScanFacts.NotScanned;
            bool scanned = scan.Scanned || scan.State == ScanFactsState.Done;
            string notScanned = scan.State switch
            {
                ScanFactsState.Queued => "not scanned yet (the scan is queued)",
                ScanFactsState.Running => "not scanned yet (the scan is running)",
                ScanFactsState.Failed => $"not scanned: the scan failed{(scan.Reason is null ? "" : ": " + scan.Reason)}",
                ScanFactsState.Skipped => $"not scannable{(scan.Reason is null ? "" : ": " + scan.Reason)}",
                _ => "not scanned yet",
            };

            if (policy.SbomRequired)
            {
                if (scan.SbomStored) Notes.Add("sbom: an SBOM is stored");
                else Violations.Add(scanned ? "sbom: no SBOM is stored for the image" : $"sbom: no SBOM is stored for the image ({notScanned})");
            }

            if (policy.Vulnerabilities is not { } rules) return;
            if (!scanned)
            {
                Violations.Add($"vulnerabilities: {notScanned}");
                return;
            }
            if (scan.State is ScanFactsState.Queued or ScanFactsState.Running)
                Notes.Add("vulnerabilities: a re-scan is under way; judged on the stored findings");
            Findings(rules, scan);
        }

        private void Findings(VulnerabilityRules rules, ScanFacts scan)
        {
            int maxRank = rules.MaxRank;
            int vex = 0, unfixable = 0, scannerNotes = 0;
            var counted = new List<Finding>();
            var excepted = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var graced = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            void Note(string text)
            {
                if (scannerNotes++ < MaxScannerNotes) Notes.Add(text);
            }

            foreach (var f in scan.Findings)
            {
                if (Severities.Rank(f.Severity) <= maxRank) continue;
                if (f.Status is FindingStatus.NotAffected or FindingStatus.Fixed) { vex++; continue; }
                bool fixable = f.FixedVersion is not null || f.Status == FindingStatus.Affected;
                if (rules.OnlyFixable && !fixable) { unfixable++; continue; }

                // An exception is judged here, not taken from a stored Excepted status, so an expired one stops counting.
                ScanExceptionRule? exception = null;
                foreach (var e in scan.Exceptions)
                    if (e.Applies(f, facts.Repository, _digest, now) && (exception is null || e.ExpiresAt > exception.ExpiresAt)) exception = e;
                if (exception is not null)
                {
                    ChangeAt(exception.ExpiresAt);
                    if (excepted.Add(f.AdvisoryId))
                        Note($"vulnerabilities: {f.AdvisoryId} ({f.Severity}) excepted until {Time(exception.ExpiresAt)} (owner {exception.Owner}: {exception.Reason})");
                    continue;
                }

                if (rules.GracePeriod > TimeSpan.Zero && scan.AdmittedAt is { } admitted && Published(scan, f) is { } published
                    && published > admitted && now < published + rules.GracePeriod)
                {
                    ChangeAt(published + rules.GracePeriod);
                    if (graced.Add(f.AdvisoryId))
                        Note($"vulnerabilities: {f.AdvisoryId} ({f.Severity}) was published {Time(published)}, after the image was admitted ({Time(admitted)}): it counts from {Time(published + rules.GracePeriod)}");
                    continue;
                }
                counted.Add(f);
            }

            if (vex > 0) Note($"vulnerabilities: {vex} finding(s) above {rules.MaxSeverity} do not count: VEX says not affected or fixed");
            if (unfixable > 0) Note($"vulnerabilities: {unfixable} finding(s) above {rules.MaxSeverity} do not count: no fix is available (onlyFixable)");

            var byAdvisory = counted
                .GroupBy(f => f.AdvisoryId, StringComparer.OrdinalIgnoreCase)
                .Select(g => g.OrderByDescending(f => Severities.Rank(f.Severity)).First())
                .OrderByDescending(f => Severities.Rank(f.Severity)).ThenBy(f => f.AdvisoryId, StringComparer.Ordinal)
                .ToList();
            Advisories.AddRange(byAdvisory.Take(MaxAdvisories).Select(f => f.AdvisoryId));
            string what = rules.MaxSeverity == VulnerabilityRules.None ? "advisories" : $"advisories above {rules.MaxSeverity}";
            if (byAdvisory.Count == 0)
            {
                Notes.Add($"vulnerabilities: no {what} count ({scan.Findings.Count} finding(s) stored)");
                return;
            }
            string listed = string.Join(", ", byAdvisory.Take(MaxListedAdvisories).Select(f =>
                $"{f.AdvisoryId} ({f.Severity}, {f.PackageName} {f.InstalledVersion}{(f.FixedVersion is null ? ", no fix" : ", fixed in " + f.FixedVersion)})"));
            if (byAdvisory.Count > MaxListedAdvisories) listed += $" and {byAdvisory.Count - MaxListedAdvisories} more";
            Violations.Add($"vulnerabilities: {byAdvisory.Count} {what}{(rules.OnlyFixable ? " with a fix" : "")}: {listed}");
        }

        /// <summary>The earliest known publication of the finding's advisory or its aliases; null: unknown (counts as old).</summary>
        private static DateTimeOffset? Published(ScanFacts scan, Finding f)
        {
            DateTimeOffset? earliest = null;
            foreach (string id in f.Aliases.Prepend(f.AdvisoryId))
                if (Lookup(scan.AdvisoryPublished, id) is { } t && (earliest is null || t < earliest)) earliest = t;
            return earliest;
        }

        private static DateTimeOffset? Lookup(IReadOnlyDictionary<string, DateTimeOffset> published, string id)
        {
            if (published.TryGetValue(id, out var t)) return t;
            foreach (var (key, value) in published)
                if (string.Equals(key, id, StringComparison.OrdinalIgnoreCase)) return value;
            return null;
        }
    }
}
