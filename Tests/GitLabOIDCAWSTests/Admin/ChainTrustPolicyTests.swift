import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

/// Mappings with role chains, built in code (the TOML loader reads `[[rule.chain]]` later).
enum ChainMappings {
    static func role(_ name: String, account: String = "111122223333") -> RoleARN {
        RoleARN("arn:aws:iam::\(account):role/\(name)")!
    }

    static func condition(_ claim: String, _ patterns: String..., line: Int) -> Condition {
        Condition(claim: claim, patterns: patterns.map(Pattern.init), line: line)
    }

    static let entry = role("gitlab-entry")
    static let target = role("deploy", account: "444455556666")
    static let final = role("admin", account: "555566667777")
    static let otherEntry = role("other-entry")

    /// Rule 1 chains entry -> target (external id, tags, one transitive) -> final; rule 2
    /// gives entry's session to more jobs; rule 3 chains other-entry -> target without
    /// external id or tags; rule 4 skips.
    static let mapping: Mapping = {
        var mapping = Mapping(
            issuer: "https://gitlab.example.com",
            rules: [
                Rule(
                    number: 1, line: 1, name: "deploy", role: entry,
                    conditions: [
                        condition("project_path", "g/app", line: 3), condition("ref_type", "branch", line: 4),
                        condition("ref", "main", line: 5),
                    ],
                    chain: [
                        ChainHop(
                            role: target, externalID: "ext-1",
                            tags: [
                                SessionTagTemplate(key: "project", value: "{project_path}"),
                                SessionTagTemplate(key: "ref", value: "{ref}"),
                            ],
                            transitiveTagKeys: ["project"], line: 6),
                        ChainHop(role: final, line: 11),
                    ]),
                Rule(
                    number: 2, line: 15, name: "read", role: entry,
                    conditions: [condition("project_path", "g/**", line: 17)]),
                Rule(
                    number: 3, line: 20, name: "other", role: otherEntry,
                    conditions: [condition("project_path", "h/app", line: 22)], chain: [ChainHop(role: target, line: 23)]),
                Rule(
                    number: 4, line: 30, name: "nothing", conditions: [condition("project_path", "x/**", line: 32)],
                    action: .skip),
            ])
        mapping.path = "mapping.toml"
        return mapping
    }()

    /// `mapping` plus rule 5, which assumes `target` with a job's token.
    static let directAndChained: Mapping = {
        var mapping = Mapping(
            issuer: ChainMappings.mapping.issuer,
            rules: Array(ChainMappings.mapping.rules) + [
                Rule(
                    number: 5, line: 40, name: "direct", role: target,
                    conditions: [condition("project_path", "g/direct", line: 42)])
            ])
        mapping.path = ChainMappings.mapping.path
        return mapping
    }()
}

@Suite struct ChainTrustPolicyTests {
    typealias M = ChainMappings

    func statements(_ role: RoleARN, in mapping: Mapping = M.mapping) throws -> [JSONValue] {
        let document = TrustPolicy.document(for: TrustPolicy.trust(for: role, mapping: mapping), mapping: mapping)
        guard case let .array(statements)? = try JSONValue.parse(document.compactText)["Statement"] else {
            Issue.record("no statements")
            return []
        }
        return statements
    }

    @Test func everyRoleIsListedChainedRolesIncludedAndSkipRulesAssumeNothing() {
        #expect(TrustPolicy.roles(in: M.mapping) == [M.entry, M.target, M.final, M.otherEntry])
    }

    @Test func aChainedRoleTrustsThePreviousRoleWithTagSessionAndTheExternalID() throws {
        let found = try statements(M.target)
        #expect(found.count == 2)
        #expect(found[0]["Effect"] == .string("Allow"))
        #expect(found[0]["Principal"] == .object([("AWS", .string(M.entry.description))]))
        #expect(found[0]["Action"] == .array([.string("sts:AssumeRole"), .string("sts:TagSession")]))
        #expect(found[0]["Condition"] == .object([("StringEquals", .object([("sts:ExternalId", .string("ext-1"))]))]))
        // Rule 3's hop sends no tags and no external id: a plain AssumeRole statement.
        #expect(found[1]["Principal"] == .object([("AWS", .string(M.otherEntry.description))]))
        #expect(found[1]["Action"] == .string("sts:AssumeRole"))
        #expect(found[1]["Condition"] == nil)
    }

    @Test func transitiveTagsOfAnEarlierHopNeedTagSessionOnLaterHops() throws {
        let found = try statements(M.final)
        #expect(found.count == 1)
        #expect(found[0]["Principal"] == .object([("AWS", .string(M.target.description))]))
        #expect(found[0]["Action"] == .array([.string("sts:AssumeRole"), .string("sts:TagSession")]))
        let entries = TrustPolicy.trust(for: M.final, mapping: M.mapping).chainEntries
        #expect(entries.map(\.number) == [3])
        #expect(entries[0].tagsSession && entries[0].hop.tags.isEmpty)
    }

    @Test func hopsWithTheSameNeedsShareOneStatement() throws {
        var mapping = M.mapping
        mapping.rules[2] = Rule(
            number: 3, line: 20, name: "other", role: M.otherEntry,
            conditions: [M.condition("project_path", "h/app", line: 22)],
            chain: [ChainHop(role: M.target, externalID: "ext-1", tags: [SessionTagTemplate(key: "k", value: "v")], line: 23)])
        let found = try statements(M.target, in: mapping)
        #expect(found.count == 1)
        #expect(found[0]["Principal"] == .object([("AWS", .array([.string(M.entry.description), .string(M.otherEntry.description)]))]))
    }

    @Test func aRoleReachedDirectlyAndByChainsGetsOneDocumentWithEveryStatement() throws {
        let found = try statements(M.target, in: M.directAndChained)
        #expect(found.count == 3)
        #expect(found[0]["Action"] == .string("sts:AssumeRoleWithWebIdentity"))
        #expect(found[0]["Principal"]?["Federated"] == .string("arn:aws:iam::444455556666:oidc-provider/gitlab.example.com"))
        #expect(found[0]["Condition"]?["StringLike"]?["gitlab.example.com:sub"] == .string("project_path:g/direct:ref_type:*:ref:*"))
        #expect(found[1]["Principal"]?["AWS"] == .string(M.entry.description))
        #expect(found[2]["Principal"]?["AWS"] == .string(M.otherEntry.description))
        #expect(TrustPolicy.trust(for: M.target, mapping: M.directAndChained).ruleNumbers == [1, 3, 5])
    }

    @Test func tagsAreAdvisoryAndSharedPreviousRolesAreNoted() {
        let notes = TrustPolicy.trust(for: M.target, mapping: M.mapping).notes
        let advisory = notes.filter { $0.message.contains("are advisory") }
        #expect(advisory.map(\.line) == [6])
        #expect(advisory[0].message.hasPrefix(#"rule 1 "deploy" (line 1), chain hop 2 to deploy: its session tags are advisory"#))
        #expect(advisory[0].message.contains("any job that can assume gitlab-entry with its own ID token"))
        #expect(advisory[0].message.contains("can repeat this hop with tags of its choosing"))
        let shared = notes.filter { $0.message.contains("can only name the previous role") }
        #expect(shared.count == 1 && shared[0].line == 6)
        #expect(shared[0].message.contains(#"rule 2 "read" also gives jobs a session of gitlab-entry without this hop"#))
        // The transitive tag reaches the next hop: its note says so.
        let finalNotes = TrustPolicy.trust(for: M.final, mapping: M.mapping).notes
        #expect(finalNotes.contains { $0.line == 11 && $0.message.contains("the transitive tags earlier hops pass on to it are advisory") })
        // A hop without tags from a role no other rule hands out gets no note.
        #expect(TrustPolicy.trust(for: M.target, mapping: M.mapping).notes.allSatisfy { $0.line == 6 })
    }

    @Test func renderPrintsChainedRolesAndTheirNotes() throws {
        let one = try TrustPolicy.render(mapping: M.mapping, role: M.final.description, format: .json)
        #expect(try JSONValue.parse(one.text)["Statement"] != nil)
        // Advisory transitive tags, and rule 3 hands out sessions of deploy without the hop.
        #expect(one.notes.count == 2, "\(one.notes)")
        let all = try JSONValue.parse(try TrustPolicy.render(mapping: M.mapping, role: nil, format: .json).text)
        #expect(all.objectMembers?.map(\.0) == TrustPolicy.roles(in: M.mapping).map(\.description))
    }

    @Test func terraformHasTheChainStatements() throws {
        let text = try TrustPolicy.render(mapping: M.directAndChained, role: M.target.description, format: .terraform).text
        #expect(
            text == """
                # Trust policy of arn:aws:iam::444455556666:role/deploy, for rules 1, 3, 5 of the mapping
                data "aws_iam_policy_document" "deploy_444455556666_trust" {
                  statement {
                    effect  = "Allow"
                    actions = ["sts:AssumeRoleWithWebIdentity"]

                    principals {
                      type        = "Federated"
                      identifiers = ["arn:aws:iam::444455556666:oidc-provider/gitlab.example.com"]
                    }

                    condition {
                      test     = "StringEquals"
                      variable = "gitlab.example.com:aud"
                      values   = ["sts.amazonaws.com"]
                    }

                    condition {
                      test     = "StringLike"
                      variable = "gitlab.example.com:sub"
                      values   = ["project_path:g/direct:ref_type:*:ref:*"]
                    }
                  }

                  statement {
                    effect  = "Allow"
                    actions = ["sts:AssumeRole", "sts:TagSession"]

                    principals {
                      type        = "AWS"
                      identifiers = ["arn:aws:iam::111122223333:role/gitlab-entry"]
                    }

                    condition {
                      test     = "StringEquals"
                      variable = "sts:ExternalId"
                      values   = ["ext-1"]
                    }
                  }

                  statement {
                    effect  = "Allow"
                    actions = ["sts:AssumeRole"]

                    principals {
                      type        = "AWS"
                      identifiers = ["arn:aws:iam::111122223333:role/other-entry"]
                    }
                  }
                }
                """)
    }
}
