import Testing

@testable import GitLabOIDCAWS

/// The mapping model's newer keys (`mode`, `help`, `allowed_account_ids`, `skip`,
/// `[[rule.chain]]`), built in code, and how every consumer of the model treats them.
@Suite struct MappingModelTests {
    static func role(_ name: String, account: String = "111122223333") -> RoleARN {
        RoleARN("arn:aws:iam::\(account):role/\(name)")!
    }

    static func condition(_ claim: String, _ patterns: String..., line: Int = 1) -> Condition {
        Condition(claim: claim, patterns: patterns.map(Pattern.init), line: line)
    }

    static let entryHop = ChainHop(
        role: role("target", account: "444455556666"), externalID: "ext-1", duration: 1200,
        sessionName: "hop-{job_id}",
        tags: [SessionTagTemplate(key: "project", value: "{project_path}"), SessionTagTemplate(key: "ref", value: "{ref}")],
        transitiveTagKeys: ["project"], sessionPolicy: #"{"Version":"2012-10-17"}"#,
        policyARNs: ["arn:aws:iam::aws:policy/ReadOnlyAccess"], line: 20)

    static let mapping: Mapping = {
        var mapping = Mapping(
            issuer: "https://gitlab.example.com",
            rules: [
                Rule(
                    number: 1, line: 5, name: "merge requests get nothing",
                    conditions: [condition("pipeline_source", "merge_request_event")], action: .skip),
                Rule(
                    number: 2, line: 10, name: "chained", role: role("entry"),
                    conditions: [condition("project_path", "group/project", line: 11), condition("ref", "main", line: 12)],
                    duration: 1800, output: .profile, profile: "chained", chain: [entryHop],
                    allowedAccountIDs: ["444455556666"]),
                Rule(
                    number: 3, line: 30, name: nil, role: role("plain"),
                    conditions: [condition("project_path", "group/**")]),
                Rule(
                    number: 4, line: 40, name: "skipped later", conditions: [condition("project_path", "group/project")],
                    action: .skip),
            ])
        mapping.mode = .shadow
        mapping.help = "AWS access: see https://wiki.example.com/ci-aws"
        mapping.allowedAccountIDs = ["111122223333"]
        mapping.output = .profile
        return mapping
    }()

    @Test func aSkipRuleHasNoRole() {
        let skip = Self.mapping.rules[0]
        #expect(skip.assumption == nil && skip.role == nil)
        #expect(EffectiveSettings(rule: skip, mapping: Self.mapping) == nil)
        let chained = try! #require(Self.mapping.rules[1].assumption)
        #expect(chained.finalRole == Self.role("target", account: "444455556666"))
        #expect(chained.roles.map(\.name) == ["entry", "target"])
    }

    @Test func aRulesAccountListReplacesTheTopLevelOne() throws {
        let chained = try #require(EffectiveSettings(rule: Self.mapping.rules[1], mapping: Self.mapping))
        #expect(chained.allowedAccounts?.accounts == ["444455556666"])
        #expect(chained.allowedAccounts?.setting == #"allowed_account_ids of rule 2 "chained""#)
        let plain = try #require(EffectiveSettings(rule: Self.mapping.rules[2], mapping: Self.mapping))
        #expect(plain.allowedAccounts == AccountAllowList(accounts: ["111122223333"], setting: "allowed_account_ids"))
        var open = Self.mapping
        open.allowedAccountIDs = nil
        #expect(EffectiveSettings(rule: open.rules[2], mapping: open)?.allowedAccounts == nil)
    }

    @Test func aHopWithoutDurationTakesTheRulesUpToAnHour() {
        let hop = ChainHop(role: Self.role("x"), line: 1)
        #expect(hop.effectiveDuration(ruleDuration: 1800) == 1800)
        #expect(hop.effectiveDuration(ruleDuration: 43200) == 3600)
        #expect(Self.entryHop.effectiveDuration(ruleDuration: 43200) == 1200)
    }

    @Test func profilesComeOnlyFromRulesThatAssumeARole() {
        let claims = Claims(strings: [("project_path", "group/project"), ("ref", "main")])
        let profiles = JobProfiles.resolve(mapping: Self.mapping, claims: claims)
        #expect(profiles.map(\.name) == ["default", "chained"])
        #expect(profiles.map(\.rule.number) == [2, 2])
        let skipped = Claims(strings: [("pipeline_source", "merge_request_event"), ("project_path", "group/project")])
        #expect(JobProfiles.resolve(mapping: Self.mapping, claims: skipped).isEmpty)
    }

    @Test func trustPoliciesIgnoreSkipRules() {
        #expect(TrustPolicy.roles(in: Self.mapping).map(\.name) == ["entry", "target", "plain"])
    }

    @Test func explainSaysTheRuleSkips() {
        let report = Explanation(
            mapping: Self.mapping, claims: Claims(strings: [("pipeline_source", "merge_request_event")]))
        #expect(report.winner?.number == 1)
        #expect(report.trust == nil)
        #expect(report.text.hasSuffix(#"skip: rule 1 "merge requests get nothing" gives the jobs it matches no AWS credentials; the hook writes nothing and exits 0"#))
        #expect(report.json["match"]?["skip"] == .bool(true))
        #expect(report.json["match"]?["role"] == .null)
    }

    @Test func checkTreatsSkipRulesAsGivingNothing() {
        let rules = Array(Self.mapping.rules)
        let findings = MappingCheck.shadowedRules(rules, mapping: Self.mapping)
            + MappingCheck.mutableNames(rules, mapping: Self.mapping)
            + MappingCheck.instanceWideRules(rules, mapping: Self.mapping)
        // Rule 4 is shadowed by rule 3; neither skip rule gets a warning about what it hands out.
        #expect(findings.map(\.line) == [40, 11])
        #expect(findings[0].message.contains("its skip never applies; move it above rule 3 (line 30)"))
        #expect(findings[1].message.hasPrefix(#"rule 2 "chained" picks projects by path only"#))
    }
}
