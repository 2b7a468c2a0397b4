import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

@Suite struct TrustPolicyTests {
    let deploy = RoleARN("arn:aws:iam::111122223333:role/deploy")!

    func trust(_ rules: String, role: String = "deploy", settings: String = "") throws -> RoleTrust {
        let mapping = try MappingFixtures.load(rules, settings: settings).mapping
        return TrustPolicy.trust(for: RoleARN("arn:aws:iam::111122223333:role/\(role)")!, mapping: mapping)
    }

    func subjects(_ match: String) throws -> [String] {
        try trust(MappingFixtures.rule(match)).subjects.map(TrustPolicy.iamText)
    }

    func notes(_ match: String) throws -> [String] {
        try trust(MappingFixtures.rule(match)).notes.map(\.message)
    }

    // MARK: sub patterns

    @Test func providerHostDropsSchemeAndTrailingSlash() {
        #expect(TrustPolicy.providerHost(issuer: "https://gitlab.example.com/") == "gitlab.example.com")
        #expect(TrustPolicy.providerHost(issuer: "https://example.com/gitlab") == "example.com/gitlab")
    }

    @Test func anExactRuleGivesAnExactSubject() throws {
        #expect(try subjects(#"project_path = "g/p", ref_type = "branch", ref = "main""#)
            == ["project_path:g/p:ref_type:branch:ref:main"])
        #expect(try notes(#"project_path = "g/p", ref_type = "branch", ref = "main""#).isEmpty)
    }

    @Test func missingComponentsAcceptAnything() throws {
        #expect(try subjects(#"project_path = "g/p""#) == ["project_path:g/p:ref_type:*:ref:*"])
        #expect(try subjects(#"project_path = "g/p", ref = "v*""#) == ["project_path:g/p:ref_type:*:ref:v*"])
    }

    @Test func listsMultiply() throws {
        #expect(
            try subjects(#"project_path = ["g/a", "g/b"], ref_type = "tag", ref = ["v1", "v2"]"#) == [
                "project_path:g/a:ref_type:tag:ref:v1", "project_path:g/a:ref_type:tag:ref:v2",
                "project_path:g/b:ref_type:tag:ref:v1", "project_path:g/b:ref_type:tag:ref:v2",
            ])
    }

    @Test func iamSpecialCharactersAreEscaped() throws {
        #expect(try subjects(#"project_path = "g/p", ref = "a?b$c""#) == ["project_path:g/p:ref_type:*:ref:a${?}b${$}c"])
    }

    @Test func namespacePathBecomesAProjectPathPrefix() throws {
        #expect(try subjects(#"namespace_path = ["platform", "platform/**"]"#) == ["project_path:platform/*:ref_type:*:ref:*"])
        // "platform/**" covers the subgroups, so IAM's wider * is exact here.
        #expect(try notes(#"namespace_path = ["platform", "platform/**"]"#).isEmpty)
        // Only direct projects: IAM's * would also admit subgroup projects; say so.
        let only = try notes(#"namespace_path = "platform""#)
        #expect(only.count == 1)
        #expect(only[0].contains("namespace_path = \"platform\" becomes project_path \"platform/*\""))
        #expect(only[0].contains("platform/"), "\(only)")
    }

    @Test func refPathBecomesRefTypeAndRef() throws {
        #expect(
            try subjects(#"project_path = "g/p", ref_path = ["refs/heads/main", "refs/tags/v*"]"#) == [
                "project_path:g/p:ref_type:branch:ref:main", "project_path:g/p:ref_type:tag:ref:v*",
            ])
        let found = try notes(#"project_path = "g/p", ref_path = ["refs/heads/main", "refs/tags/v*"]"#)
        #expect(found.count == 1 && found[0].contains(#"becomes ref "main" or "v*" in the trust policy"#), "\(found)")
        // A pattern that does not name the kind of ref cannot be split: the policy admits every ref.
        #expect(try subjects(#"project_path = "g/p", ref_path = ["refs/heads/main", "refs/**"]"#) == ["project_path:g/p:ref_type:*:ref:*"])
        #expect(try notes(#"project_path = "g/p", ref_path = "refs/**""#).contains { $0.contains("ref_path = \"refs/**\" cannot be part") })
        // With ref or ref_type, those are used and ref_path is reported.
        #expect(try subjects(#"project_path = "g/p", ref = "main", ref_path = "refs/heads/main""#) == ["project_path:g/p:ref_type:*:ref:main"])
    }

    @Test func aSubConditionIsUsedAsItIs() throws {
        #expect(try subjects(#"sub = "project_path:g/p:ref_type:branch:ref:main""#) == ["project_path:g/p:ref_type:branch:ref:main"])
        let found = try notes(#"sub = "project_path:g/p:**", project_path = "g/p""#)
        #expect(found.count == 1 && found[0].contains("project_path = \"g/p\" cannot be part of the trust policy"))
    }

    // MARK: notes

    @Test func segmentWildcardsThatIAMWidensAreReportedWithAnExample() throws {
        let found = try notes(#"project_path = "g/*", ref = "release/*""#)
        #expect(found.count == 2, "\(found)")
        #expect(found[0].contains("project_path = \"g/*\"") && found[0].contains("admits project_path \""))
        #expect(found[1].contains("ref = \"release/*\"") && found[1].contains("admits ref \"release/"))
        // Where IAM's reading is the same, nothing is reported.
        #expect(try notes(#"project_path = "g/**", ref = "**", ref_type = "*""#).isEmpty)
        #expect(try notes(#"project_path = "*/**", ref = "main""#).count == 1)  // every project; see below
    }

    @Test func admitsTestsTheWayIAMDoes() throws {
        let found = try trust(MappingFixtures.rule(#"project_path = "g/*", ref = "main""#))
        // IAM's * crosses "/": the deeper project is admitted, as AWS would admit it.
        #expect(found.admits(sub: "project_path:g/a/b:ref_type:branch:ref:main"))
        #expect(found.admits(sub: "project_path:g/a:ref_type:tag:ref:main"))
        #expect(!found.admits(sub: "project_path:h/a:ref_type:branch:ref:main"))
        #expect(!found.admits(sub: "project_path:g/a:ref_type:branch:ref:main2"))
    }

    @Test func theExampleValueIsAdmittedByIAMButNotByTheRule() throws {
        let note = try #require(try notes(#"project_path = "g/*/app""#).first)
        let example = String(note.split(separator: "\"").dropLast().last!)
        #expect(Pattern("g/**/app").matches(example))
        #expect(!Pattern("g/*/app").matches(example))
    }

    @Test func conditionsIAMCannotTestAreReportedAtTheirLines() throws {
        let loaded = try MappingFixtures.load(
            """
            [[rule]]
            name = "prod"
            role = "arn:aws:iam::111122223333:role/deploy"
            [rule.match]
            project_path = "g/p"
            ref = "main"
            ref_protected = true
            environment = "production"
            pipeline_source = ["push", "web"]
            """)
        let found = TrustPolicy.trust(for: deploy, mapping: loaded.mapping).notes
        #expect(found.map(\.line) == [7, 8, 9].map { $0 + 2 })
        #expect(found.allSatisfy { $0.severity == .note && $0.message.contains("cannot be part of the trust policy") })
        #expect(found[0].message.contains("ref_protected = \"true\""))
        #expect(found[1].message.contains("environment = \"production\""))
        #expect(found[2].message.contains("pipeline_source = [\"push\", \"web\"]"))
    }

    @Test func rulesWithoutAPathAreInstanceWideForIAM() throws {
        let byID = try notes(#"project_id = 42, ref = "main""#)
        #expect(byID.contains { $0.contains("every project on the instance") })
        #expect(byID.contains { $0.contains("project_id = \"42\" cannot be part") })
        #expect(try subjects(#"project_id = 42, ref = "main""#) == ["project_path:*:ref_type:*:ref:main"])
        #expect(try notes(#"project_path = "**""#).contains { $0.contains("every project on the instance") })
        #expect(try !notes(#"project_path = "g/**""#).contains { $0.contains("every project") })
    }

    @Test func patternsAnotherRuleAlreadyAdmitsAreDropped() throws {
        let found = try trust(
            MappingFixtures.rule(#"project_path = "g/app", ref = "main""#) + MappingFixtures.rule(#"project_path = "g/**""#)
                + MappingFixtures.rule(#"project_path = "h/app", ref = "main""#) + MappingFixtures.rule(#"project_path = "h/app", ref = "main""#))
        #expect(found.subjects.map(TrustPolicy.iamText) == ["project_path:g/*:ref_type:*:ref:*", "project_path:h/app:ref_type:*:ref:main"])
        #expect(found.rules.count == 4)
    }

    @Test func oversizedPoliciesAreReported() throws {
        let many = (1...60).map { "\"group/project-\($0)\"" }.joined(separator: ", ")
        let found = try trust(MappingFixtures.rule("project_path = [\(many)], ref = \"main\""))
        #expect(found.notes.contains { $0.message.contains("IAM's default quota") })
    }

    @Test func charactersIAMCannotHoldAreReported() throws {
        #expect(try notes(#"project_path = "g/p", ref = "修正""#).contains { $0.contains("U+00FF") })
        #expect(try !notes(#"project_path = "g/p", ref = "ünïcödé""#).contains { $0.contains("U+00FF") })
    }

    // MARK: exactness

    /// Random rules over project_path, ref_type, ref and ref_path, random path-shaped claims:
    /// the policy admits every sub a rule of the role matches (never narrower), and when no
    /// note says it admits more than a rule, it admits nothing else (never broader without
    /// saying so; the note that a rule reaches every project is no such note: so does the rule).
    @Test func neverNarrowerAndOnlyReportedlyBroader() throws {
        var random = SeededGenerator(state: 42)
        let pathPatterns = ["g/p", "g/*", "g/**", "**", "*/p", "g/*/p", "h/**", "*/**"]
        let refPatterns = ["main", "release/*", "release/**", "*", "**", "v*"]
        let refPathPatterns = ["refs/heads/main", "refs/tags/v*", "refs/heads/release/**", "refs/**", "refs/heads/*"]
        let paths = ["g/p", "g/q", "g/a/p", "h/p", "h/a/b", "x/p"]
        let refs = ["main", "release/1", "release/1/x", "v2", "feature/a", "dev"]
        var exactPolicies = 0
        for _ in 0..<150 {
            var text = ""
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                var parts: [String] = []
                if Bool.random(using: &random) { parts.append("project_path = \"\(pathPatterns.randomElement(using: &random)!)\"") }
                if Int.random(in: 0..<4, using: &random) == 0 {
                    let some = (0..<Int.random(in: 1...2, using: &random)).map { _ in "\"\(refPathPatterns.randomElement(using: &random)!)\"" }
                    parts.append("ref_path = [\(some.joined(separator: ", "))]")
                } else {
                    if Bool.random(using: &random) { parts.append("ref_type = \"\(["branch", "tag"].randomElement(using: &random)!)\"") }
                    if parts.isEmpty || Bool.random(using: &random) { parts.append("ref = \"\(refPatterns.randomElement(using: &random)!)\"") }
                }
                text += MappingFixtures.rule(parts.joined(separator: ", "))
            }
            let mapping = try MappingFixtures.load(text).mapping
            let trust = TrustPolicy.trust(for: deploy, mapping: mapping)
            let broader = trust.notes.contains { $0.message.contains("also matches") || $0.message.contains("cannot be part") }
            if !broader { exactPolicies += 1 }
            for path in paths {
                for refType in ["branch", "tag"] {
                    for ref in refs {
                        let refPath = (refType == "branch" ? "refs/heads/" : "refs/tags/") + ref
                        let claims = Claims(strings: [("project_path", path), ("ref_type", refType), ("ref", ref), ("ref_path", refPath)])
                        let sub = GitLabSubject.defaultSubject(claims)!
                        let matched = RuleMatcher.firstMatch(in: mapping.rules, claims: claims) != nil
                        if matched { #expect(trust.admits(sub: sub), "\(text) must admit \(sub)") }
                        if !broader && trust.admits(sub: sub) { #expect(matched, "\(text) admits \(sub) silently") }
                    }
                }
            }
        }
        #expect(exactPolicies > 30, "the property must be exercised on exact policies too")
    }

    // MARK: documents

    @Test func theDocumentHasThePrincipalActionAndConditions() throws {
        let mapping = try MappingFixtures.load(MappingFixtures.rule(#"project_path = "g/p""#), settings: #"audience = ["sts.amazonaws.com", "x"]"#).mapping
        let document = TrustPolicy.document(for: TrustPolicy.trust(for: deploy, mapping: mapping), mapping: mapping)
        let reparsed = try JSONValue.parse(document.compactText)
        guard case let .array(statements)? = reparsed["Statement"], let statement = statements.first else {
            Issue.record("no statement")
            return
        }
        #expect(reparsed["Version"] == .string("2012-10-17"))
        #expect(statement["Effect"] == .string("Allow"))
        #expect(statement["Action"] == .string("sts:AssumeRoleWithWebIdentity"))
        #expect(statement["Principal"]?["Federated"] == .string("arn:aws:iam::111122223333:oidc-provider/gitlab.example.com"))
        #expect(statement["Condition"]?["StringEquals"]?["gitlab.example.com:aud"] == .array([.string("sts.amazonaws.com"), .string("x")]))
        #expect(statement["Condition"]?["StringLike"]?["gitlab.example.com:sub"] == .string("project_path:g/p:ref_type:*:ref:*"))
    }

    @Test func thePartitionComesFromTheRole() throws {
        let mapping = try MappingFixtures.load(
            "[[rule]]\nrole = \"arn:aws-cn:iam::111122223333:role/r\"\nmatch = { project_id = 1 }\n").mapping
        let text = try TrustPolicy.render(mapping: mapping, role: "arn:aws-cn:iam::111122223333:role/r", format: .json).text
        #expect(text.contains("\"arn:aws-cn:iam::111122223333:oidc-provider/gitlab.example.com\""))
    }

    @Test func renderGivesOneDocumentOrAnObjectOfAll() throws {
        let mapping = try MappingFixtures.load(MappingFixtures.rule(#"project_id = 1"#, role: "a") + MappingFixtures.rule(#"project_id = 2"#, role: "b")).mapping
        let all = try JSONValue.parse(try TrustPolicy.render(mapping: mapping, role: nil, format: .json).text)
        #expect(all.objectMembers?.map(\.0) == ["arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/b"])
        let one = try JSONValue.parse(try TrustPolicy.render(mapping: mapping, role: "arn:aws:iam::111122223333:role/b", format: .json).text)
        #expect(one["Version"] == .string("2012-10-17"))
        #expect(throws: UnmappedRoleError.self) {
            try TrustPolicy.render(mapping: mapping, role: "arn:aws:iam::111122223333:role/c", format: .json)
        }
    }

    @Test func renderOnlyNotesTheRolesPrinted() throws {
        let mapping = try MappingFixtures.load(MappingFixtures.rule(#"project_id = 1"#, role: "a") + MappingFixtures.rule(#"project_path = "g/p""#, role: "b")).mapping
        let rendered = try TrustPolicy.render(mapping: mapping, role: "arn:aws:iam::111122223333:role/b", format: .json)
        #expect(rendered.notes.isEmpty)
        #expect(try !TrustPolicy.render(mapping: mapping, role: nil, format: .json).notes.isEmpty)
    }

    @Test func terraformEscapesTemplatesAndNamesEachRoleAfterItsARN() throws {
        let mapping = try MappingFixtures.load(
            MappingFixtures.rule(#"project_path = "g/p", ref = "a$b""#, role: "deploy")
                + "[[rule]]\nrole = \"arn:aws:iam::444455556666:role/deploy\"\nmatch = { project_path = \"g/q\" }\n"
                + MappingFixtures.rule(#"project_path = "g/r""#, role: "9lives")).mapping
        let text = TrustPolicy.terraform(TrustPolicy.roles(in: mapping).map { TrustPolicy.trust(for: $0, mapping: mapping) }, mapping: mapping)
        #expect(text.contains(#"values   = ["project_path:g/p:ref_type:*:ref:a$${$}b"]"#))
        #expect(text.contains(#"data "aws_iam_policy_document" "deploy_111122223333_trust" {"#))
        #expect(text.contains(#"data "aws_iam_policy_document" "deploy_444455556666_trust" {"#))
        #expect(text.contains(#"data "aws_iam_policy_document" "role_9lives_111122223333_"#))
        #expect(TrustPolicy.hclString(#"%{x} ${y} "q" \"#) == #""%%{x} $${y} \"q\" \\""#)
    }

    @Test func terraformNamesDependOnTheARNAloneAndNeverCollide() throws {
        let names = [
            "arn:aws:iam::111122223333:role/app-dev", "arn:aws:iam::111122223333:role/app_dev",
            "arn:aws:iam::111122223333:role/app.dev", "arn:aws:iam::111122223333:role/app@dev",
            "arn:aws:iam::111122223333:role/ci/app-dev", "arn:aws-cn:iam::111122223333:role/app-dev",
            "arn:aws:iam::111122223333:role/9lives", "arn:aws:iam::111122223333:role/role_9lives",
            "arn:aws:iam::111122223333:role/_x", "arn:aws:iam::222233334444:role/app-dev",
        ].map { TrustPolicy.terraformName(RoleARN($0)!) }
        #expect(Set(names).count == names.count, "\(names)")
        #expect(names[0] == "app-dev_111122223333_trust" && names[1] == "app_dev_111122223333_trust")
        #expect(names[8] == "_x_111122223333_trust")
        // Terraform identifiers: letters, digits, _ and -, not starting with a digit.
        for name in names {
            #expect(name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") })
            #expect(!("0"..."9").contains(name.unicodeScalars.first!))
        }
        // Reordering the rules changes no name.
        let forward = try MappingFixtures.load(MappingFixtures.rule("project_id = 1", role: "a") + MappingFixtures.rule("project_id = 2", role: "a.b")).mapping
        let backward = try MappingFixtures.load(MappingFixtures.rule("project_id = 2", role: "a.b") + MappingFixtures.rule("project_id = 1", role: "a")).mapping
        func labels(_ mapping: Mapping) -> Set<String> {
            Set(TrustPolicy.roles(in: mapping).map(TrustPolicy.terraformName))
        }
        #expect(labels(forward) == labels(backward))
    }
}
