using Bollard.Core.Auth;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Pipeline;
using Bollard.Trust.Policy;
using Bollard.Trust.Signatures;
using static Bollard.Trust.Tests.Policy.PolicyTestData;

namespace Bollard.Trust.Tests.Policy;

public sealed class PolicyEvaluatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static PolicyDecision Decide(TrustPolicy policy, IReadOnlyList<SignatureVerdict> verdicts, ScanFacts? scan = null) =>
        PolicyEvaluator.Evaluate(policy, 3, Facts(verdicts, scan), Now);

    public sealed class Signatures
    {
        private static readonly TrustPolicy AllThree = KeyPolicy("""{"allOf":["dev","ci","release"]}""");

        [Fact]
        public void Dev_and_ci_fail_allOf_dev_ci_release_and_pass_once_release_signs()
        {
            var denied = Decide(AllThree, SignedBy("dev", "ci"));
            Assert.False(denied.Allowed);
            Assert.Equal(["requirement allOf(dev, ci, release): release: no trusted signature"], denied.Violations);
            Assert.Equal("prod", denied.Policy);
            Assert.Equal(3, denied.PolicyVersion);
            Assert.Equal(2, denied.Signatures.Count);
            Assert.Contains(denied.Notes, n => n.Contains("counts for dev (verified with key dev", StringComparison.Ordinal));

            var allowed = Decide(AllThree, SignedBy("dev", "ci", "release"));
            Assert.True(allowed.Allowed);
            Assert.Empty(allowed.Violations);
            Assert.Contains("requirement allOf(dev, ci, release): met (signed by dev, ci, release)", allowed.Notes);
        }

        [Fact]
        public void Two_of_three_with_ci_required()
        {
            var policy = KeyPolicy("""{"threshold":2,"of":["dev","ci","release"],"required":["ci"]}""");
            Assert.True(Decide(policy, SignedBy("dev", "ci")).Allowed);
            Assert.True(Decide(policy, SignedBy("ci", "release")).Allowed);

            var withoutCi = Decide(policy, SignedBy("dev", "release"));
            Assert.False(withoutCi.Allowed);
            Assert.Equal(["requirement threshold(2 of dev, ci, release; required ci): required ci: no trusted signature"], withoutCi.Violations);

            var onlyCi = Decide(policy, SignedBy("ci"));
            Assert.False(onlyCi.Allowed);
            Assert.Equal(["requirement threshold(2 of dev, ci, release; required ci): 1 of 3 met (ci), 2 needed; dev: no trusted signature; release: no trusted signature"], onlyCi.Violations);
        }

        [Fact]
        public void A_verdict_with_problems_never_counts_even_if_an_anchor_says_trusted()
        {
            // A verifier bug or a partial result must not make a broken signature count.
            var broken = Signed("release", Three) with { Problems = ["the payload was modified after signing"] };
            broken = broken with { Anchors = [new AnchorResult("release", true, "verified with key release")] };
            var decision = Decide(KeyPolicy("\"release\""), [broken]);
            Assert.False(decision.Allowed);
            Assert.Equal(["requirement release: release: no trusted signature"], decision.Violations);
            Assert.Contains(decision.Notes, n => n.EndsWith("does not count: the payload was modified after signing", StringComparison.Ordinal));
        }

        [Fact]
        public void A_signature_over_another_digest_does_not_count()
        {
            var copied = Signed("release", Three, over: OtherImage);
            var decision = Decide(KeyPolicy("\"release\""), [copied]);
            Assert.False(decision.Allowed);
            Assert.Contains(decision.Notes, n => n.Contains($"it signs {OtherImage}", StringComparison.Ordinal));
        }

        [Fact]
        public void Unknown_key_is_listed_with_every_anchor_reason()
        {
            var stranger = Signed("mallory", Three);
            var decision = Decide(KeyPolicy("""{"anyOf":["dev","release"]}"""), [stranger]);
            Assert.False(decision.Allowed);
            Assert.Equal(["requirement anyOf(dev, release): none met (dev: no trusted signature; release: no trusted signature)"], decision.Violations);
            Assert.Contains(decision.Notes, n => n.Contains("trusted by no signer: dev: signature does not verify with key dev; ci:", StringComparison.Ordinal));
        }

        [Fact]
        public void Nested_requirements_name_the_failing_branch()
        {
            var decision = Decide(KeyPolicy("""{"allOf":["dev",{"anyOf":["ci",{"allOf":["release","ci"]}]}]}"""), SignedBy("dev", "release"));
            Assert.Equal(["requirement allOf(dev, anyOf(ci, allOf(release, ci))): anyOf(ci, allOf(release, ci)): none met (ci: no trusted signature; allOf(release, ci): ci: no trusted signature)"], decision.Violations);
        }

        [Fact]
        public void A_signer_problem_is_the_reason()
        {
            var facts = Facts(SignedBy("dev")) with { SignerProblems = new Dictionary<string, string> { ["ci"] = "server key ci-key does not exist" } };
            var decision = PolicyEvaluator.Evaluate(KeyPolicy("""{"allOf":["dev","ci"]}"""), 1, facts, Now);
            Assert.Equal(["requirement allOf(dev, ci): ci: server key ci-key does not exist"], decision.Violations);
        }

        [Fact]
        public void Warn_mode_allows_and_lists_violations()
        {
            var decision = Decide(KeyPolicy("""{"allOf":["dev","ci","release"]}""", mode: "warn"), SignedBy("dev"));
            Assert.True(decision.Allowed);
            Assert.Equal(PolicyMode.Warn, decision.Mode);
            Assert.Single(decision.Violations);
            Assert.True(decision.Violated);
        }

        [Fact]
        public void Off_mode_allows_without_evaluating()
        {
            var decision = Decide(KeyPolicy("""{"allOf":["dev","ci","release"]}""", mode: "off"), []);
            Assert.True(decision.Allowed);
            Assert.Empty(decision.Violations);
            Assert.Equal(["policy prod is off: nothing is evaluated"], decision.Notes);
        }

        [Fact]
        public void A_certificate_expiry_ends_the_decision()
        {
            var notAfter = Now.AddHours(3);
            var verdict = Signed("dev", Three) with { Signer = new SignerInfo { CertificateSubject = "CN=dev", NotAfter = notAfter } };
            var decision = Decide(KeyPolicy("\"dev\""), [verdict]);
            Assert.True(decision.Allowed);
            Assert.Equal(notAfter, decision.ValidUntil);
            Assert.Null(Decide(KeyPolicy("\"dev\""), [verdict with { TimestampVerified = true }]).ValidUntil);
        }
    }

    public sealed class Vulnerabilities
    {
        private static TrustPolicy Scanned(string rules, string mode = "enforce") => KeyPolicy("\"dev\"", mode, $",\"vulnerabilities\":{rules}");

        private static Finding F(string id, string severity, string? fixedIn = "2.0", FindingStatus? status = null, params string[] aliases) => new()
        {
            AdvisoryId = id,
            Aliases = aliases,
            Source = "osv",
            PackageType = "npm",
            PackageName = "lodash",
            InstalledVersion = "1.0",
            FixedVersion = fixedIn,
            Severity = severity,
            Purl = "pkg:npm/lodash@1.0",
            Path = "/app/node_modules/lodash/package.json",
            Status = status ?? (fixedIn is null ? FindingStatus.Unfixed : FindingStatus.Affected),
        };

        private static ScanFacts Done(params Finding[] findings) => new() { State = ScanFactsState.Done, Scanned = true, Findings = findings, SbomStored = true };

        private static ScanExceptionRule Exception(string advisory, DateTimeOffset expires) => new()
        {
            AdvisoryId = advisory,
            Namespace = NamespacePattern.Parse("prod/**"),
            Reason = "not reachable",
            Owner = "team-a",
            ExpiresAt = expires,
        };

        [Fact]
        public void Max_severity_with_only_fixable()
        {
            var scan = Done(F("CVE-1", "critical"), F("CVE-2", "critical", fixedIn: null), F("CVE-3", "high"), F("CVE-4", "medium"));
            var decision = Decide(Scanned("""{"maxSeverity":"high","onlyFixable":true}"""), SignedBy("dev"), scan);
            Assert.False(decision.Allowed);
            Assert.Equal(["CVE-1"], decision.Advisories);
            Assert.Equal(["vulnerabilities: 1 advisories above high with a fix: CVE-1 (critical, lodash 1.0, fixed in 2.0)"], decision.Violations);
            Assert.Contains("vulnerabilities: 1 finding(s) above high do not count: no fix is available (onlyFixable)", decision.Notes);

            var all = Decide(Scanned("""{"maxSeverity":"medium"}"""), SignedBy("dev"), scan);
            Assert.Equal(["CVE-1", "CVE-2", "CVE-3"], all.Advisories);

            var none = Decide(Scanned("""{"maxSeverity":"none"}"""), SignedBy("dev"), Done(F("CVE-9", "unknown")));
            Assert.Equal(["CVE-9"], none.Advisories);

            Assert.True(Decide(Scanned("""{"maxSeverity":"critical"}"""), SignedBy("dev"), scan).Allowed);
        }

        [Fact]
        public void Vex_not_affected_never_counts()
        {
            var decision = Decide(Scanned("""{"maxSeverity":"low"}"""), SignedBy("dev"), Done(F("CVE-1", "critical", status: FindingStatus.NotAffected)));
            Assert.True(decision.Allowed);
        }

        [Fact]
        public void An_exception_hides_a_finding_until_it_expires_and_then_stops_counting()
        {
            var expires = Now.AddDays(2);
            var scan = Done(F("GHSA-aaaa", "critical", aliases: "CVE-2026-1")) with { Exceptions = [Exception("CVE-2026-1", expires)] };
            var policy = Scanned("""{"maxSeverity":"high"}""");

            var before = PolicyEvaluator.Evaluate(policy, 1, Facts(SignedBy("dev"), scan), Now);
            Assert.True(before.Allowed);
            Assert.Equal(expires, before.ValidUntil);
            Assert.Contains(before.Notes, n => n.StartsWith("vulnerabilities: GHSA-aaaa (critical) excepted until 2026-12-03 12:00 UTC (owner team-a: not reachable)", StringComparison.Ordinal));

            var after = PolicyEvaluator.Evaluate(policy, 1, Facts(SignedBy("dev"), scan), expires);
            Assert.False(after.Allowed);
            Assert.Equal(["GHSA-aaaa"], after.Advisories);
        }

        [Fact]
        public void An_exception_for_another_namespace_or_image_does_not_apply()
        {
            var scan = Done(F("CVE-1", "critical")) with
            {
                Exceptions = [Exception("CVE-1", Now.AddDays(1)) with { Namespace = NamespacePattern.Parse("dev/**") }, Exception("CVE-1", Now.AddDays(1)) with { ImageDigest = OtherImage.ToString() }],
            };
            Assert.False(Decide(Scanned("""{"maxSeverity":"high"}"""), SignedBy("dev"), scan).Allowed);
        }

        [Fact]
        public void Grace_period_for_advisories_published_after_admission()
        {
            var admitted = Now.AddDays(-30);
            var published = Now.AddDays(-2);
            var scan = Done(F("CVE-new", "critical"), F("CVE-old", "critical"), F("CVE-unknown-time", "critical")) with
            {
                AdmittedAt = admitted,
                AdvisoryPublished = new Dictionary<string, DateTimeOffset> { ["cve-new"] = published, ["CVE-old"] = admitted.AddDays(-1) },
            };
            var policy = Scanned("""{"maxSeverity":"high","gracePeriod":"7d"}""");

            var decision = Decide(policy, SignedBy("dev"), scan);
            Assert.Equal(["CVE-old", "CVE-unknown-time"], decision.Advisories);
            Assert.Equal(published.AddDays(7), decision.ValidUntil);
            Assert.Contains(decision.Notes, n => n.Contains("CVE-new (critical) was published", StringComparison.Ordinal) && n.Contains("it counts from 2026-12-06 12:00 UTC", StringComparison.Ordinal));

            var onlyNew = scan with { Findings = [scan.Findings[0]] };
            Assert.True(Decide(policy, SignedBy("dev"), onlyNew).Allowed);
            Assert.False(PolicyEvaluator.Evaluate(policy, 1, Facts(SignedBy("dev"), onlyNew), published.AddDays(7)).Allowed);
            // Without an admission time there is nothing to be graceful about.
            Assert.False(Decide(policy, SignedBy("dev"), onlyNew with { AdmittedAt = null }).Allowed);
        }

        [Theory]
        [InlineData(ScanFactsState.None, "vulnerabilities: not scanned yet")]
        [InlineData(ScanFactsState.Queued, "vulnerabilities: not scanned yet (the scan is queued)")]
        [InlineData(ScanFactsState.Failed, "vulnerabilities: not scanned: the scan failed: layer unreadable")]
        [InlineData(ScanFactsState.Skipped, "vulnerabilities: not scannable: layer unreadable")]
        public void Not_scanned_is_a_violation(ScanFactsState state, string violation)
        {
            var scan = new ScanFacts { State = state, Reason = "layer unreadable", SbomStored = true };
            var decision = Decide(Scanned("""{"maxSeverity":"high"}"""), SignedBy("dev"), scan);
            Assert.False(decision.Allowed);
            Assert.Equal([violation], decision.Violations);
            Assert.True(Decide(Scanned("""{"maxSeverity":"high"}""", mode: "warn"), SignedBy("dev"), scan).Allowed);
        }

        [Fact]
        public void A_rescan_under_way_judges_the_stored_findings()
        {
            var scan = Done(F("CVE-1", "low")) with { State = ScanFactsState.Queued };
            var decision = Decide(Scanned("""{"maxSeverity":"high"}"""), SignedBy("dev"), scan);
            Assert.True(decision.Allowed);
            Assert.Contains("vulnerabilities: a re-scan is under way; judged on the stored findings", decision.Notes);
        }

        [Fact]
        public void Sbom_required()
        {
            var policy = KeyPolicy("\"dev\"", extra: ",\"sbom\":{\"required\":true}");
            Assert.Equal(["sbom: no SBOM is stored for the image"], Decide(policy, SignedBy("dev"), Done() with { SbomStored = false }).Violations);
            Assert.Equal(["sbom: no SBOM is stored for the image (not scanned yet)"], Decide(policy, SignedBy("dev"), null).Violations);
            Assert.True(Decide(policy, SignedBy("dev"), Done()).Allowed);
        }

        [Fact]
        public void Many_advisories_are_bounded_in_the_reason()
        {
            var scan = Done(Enumerable.Range(0, 500).Select(i => F($"CVE-{i:D4}", "critical")).ToArray());
            var decision = Decide(Scanned("""{"maxSeverity":"high"}"""), SignedBy("dev"), scan);
            Assert.Equal(200, decision.Advisories.Count);
            Assert.EndsWith("and 490 more", decision.Violations.Single(), StringComparison.Ordinal);
        }
    }
}
