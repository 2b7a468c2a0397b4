import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

@Suite struct ShadowingTests {
    func covers(_ earlier: String, _ later: String) throws -> Bool {
        MappingCheck.covers(try MappingFixtures.parsedRule(earlier), try MappingFixtures.parsedRule(later))
    }

    @Test func aCatchAllShadowsEverythingAfterIt() throws {
        #expect(try covers(#"project_path = "**""#, #"project_path = "g/p", ref = "main""#))
        #expect(try covers(#"project_path = "**""#, #"environment = "production""#))
        // A real project path always has a slash, so "*/**" accepts every project too.
        #expect(try covers(#"project_path = "*/**""#, #"ref = "main""#))
        #expect(try covers(#"project_path = "*/**""#, #"project_path = "**""#))
    }

    @Test func narrowerEarlierRulesDoNotShadow() throws {
        #expect(try !covers(#"project_path = "g/p", ref = "main""#, #"project_path = "g/p""#))
        #expect(try !covers(#"project_path = "g/*""#, #"project_path = "g/p/q""#))
        #expect(try !covers(#"project_path = "g/*""#, #"project_path = "g/**""#))
        #expect(try !covers(#"project_path = "g/*""#, #"project_path = ["g/a", "h/b"]"#))
        #expect(try !covers(#"ref_protected = true"#, #"ref_protected = false"#))
    }

    @Test func patternsAndListsAreCompared() throws {
        #expect(try covers(#"project_path = "g/*""#, #"project_path = "g/p""#))
        #expect(try covers(#"project_path = "g/**""#, #"project_path = ["g/a/b", "g/c"]"#))
        #expect(try covers(#"project_path = ["g/a", "g/b"]"#, #"project_path = "g/a""#))
        #expect(try covers(#"project_id = 42"#, #"project_id = "42", ref = "main""#))
        #expect(try covers(#"ref = ["main", "release/**"]"#, #"ref = "release/1.x""#))
    }

    @Test func aClaimTheLaterRuleDoesNotTestCountsOnlyWhenEveryTokenHasIt() throws {
        // Every token has ref_type, and it is "branch" or "tag".
        #expect(try covers(#"ref_type = ["branch", "tag"]"#, #"project_path = "x/y""#))
        #expect(try !covers(#"ref_type = "branch""#, #"project_path = "x/y""#))
        // environment is only in tokens of jobs with an environment: "**" does not accept a missing claim.
        #expect(try !covers(#"environment = "**""#, #"project_path = "x/y""#))
        // An unknown claim, likewise.
        #expect(try !covers(#"custom_claim = "**""#, #"project_path = "x/y""#))
    }

    @Test func checkWarnsAtTheShadowedRule() throws {
        let loaded = try MappingFixtures.load(
            MappingFixtures.rule(#"project_path = "g/*""#, role: "wide", name: "group")
                + MappingFixtures.rule(#"project_path = "g/app", ref = "main""#, role: "app", name: "app main")
                + MappingFixtures.rule(#"project_path = "h/app""#, role: "other", name: "h"))
        let shadowed = MappingCheck.findings(loaded).filter { $0.message.contains("can never match") }
        #expect(shadowed.count == 1)
        let finding = try #require(shadowed.first)
        #expect(finding.severity == .warning)
        #expect(finding.line == loaded.mapping.rules[1].line)
        #expect(finding.message.contains("rule 2 \"app main\""))
        #expect(finding.message.contains("rule 1 \"group\" (line \(loaded.mapping.rules[0].line))"))
        #expect(finding.message.contains("move it above"))
    }

    @Test func aShadowedRuleForTheSameRoleIsCalledRedundant() throws {
        let loaded = try MappingFixtures.load(MappingFixtures.rule(#"project_path = "g/**""#) + MappingFixtures.rule(#"project_path = "g/p""#))
        let messages = MappingCheck.findings(loaded).map(\.message)
        #expect(messages.contains { $0.contains("can never match") && $0.contains("redundant") })
    }

    @Test func aRuleThatProvidesAProfileIsNeverDead() throws {
        let profiled = try MappingFixtures.load(
            MappingFixtures.rule(#"project_path = "g/**""#) + MappingFixtures.rule(#"project_path = "g/p""#, role: "dns", profile: "dns"),
            settings: #"output = "profile""#)
        #expect(!MappingCheck.findings(profiled).contains { $0.message.contains("can never match") })
        // Without a profile name (or with output env) the same rule is dead.
        let plain = try MappingFixtures.load(MappingFixtures.rule(#"project_path = "g/**""#) + MappingFixtures.rule(#"project_path = "g/p""#, role: "dns"), settings: #"output = "profile""#)
        #expect(MappingCheck.findings(plain).contains { $0.message.contains("can never match") })
    }

    @Test func onlyEarlierRulesShadow() throws {
        let loaded = try MappingFixtures.load(MappingFixtures.rule(#"project_path = "g/p""#) + MappingFixtures.rule(#"project_path = "g/*""#))
        #expect(!MappingCheck.findings(loaded).contains { $0.message.contains("can never match") })
    }
}
