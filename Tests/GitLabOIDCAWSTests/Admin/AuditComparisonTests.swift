import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

/// Policies built in code, for comparing with mappings.
enum Policies {
    typealias Statement = TrustPolicyDocument.Statement
    typealias Principals = TrustPolicyDocument.Principals
    typealias Test = TrustPolicyDocument.ConditionTest

    static let provider = "arn:aws:iam::111122223333:oidc-provider/gitlab.example.com"

    static func web(
        sub: [String]? = nil, aud: [String]? = ["sts.amazonaws.com"], subTest: Test.Operator = .stringLike,
        sid: String? = "GitLab", principals: Principals = Principals(federated: [provider]),
        actions: [String] = ["sts:AssumeRoleWithWebIdentity"], extra: [Test] = []
    ) -> Statement {
        var conditions: [Test] = []
        if let aud { conditions.append(Test(test: .stringEquals, key: "gitlab.example.com:aud", values: aud)) }
        if let sub { conditions.append(Test(test: subTest, key: "gitlab.example.com:sub", values: sub)) }
        return Statement(
            sid: sid, effect: .allow, principals: principals, actions: actions, conditions: conditions + extra)
    }

    static func chain(
        _ principals: [String], actions: [String] = ["sts:AssumeRole"], externalID: [String]? = nil,
        externalIDTest: Test.Operator = .stringEquals, extra: [Test] = [], sid: String? = nil
    ) -> Statement {
        var conditions: [Test] = []
        if let externalID { conditions.append(Test(test: externalIDTest, key: "sts:ExternalId", values: externalID)) }
        return Statement(
            sid: sid, effect: .allow, principals: Principals(aws: principals), actions: actions,
            conditions: conditions + extra)
    }

    static func document(_ statements: Statement...) -> TrustPolicyDocument {
        TrustPolicyDocument(version: "2012-10-17", statements: statements)
    }

    /// The document `trust-policy` prints for `role`, read back as IAM would return it.
    static func printed(_ role: RoleARN, _ mapping: Mapping) throws -> TrustPolicyDocument {
        let text = TrustPolicy.document(for: TrustPolicy.trust(for: role, mapping: mapping), mapping: mapping).prettyText
        return try TrustPolicyDocument.parse(text, roleARN: role.description)
    }
}

@Suite struct AuditComparisonTests {
    typealias P = Policies
    let deploy = RoleARN("arn:aws:iam::111122223333:role/deploy")!

    func mapping(_ rules: String, settings: String = "") throws -> Mapping {
        try MappingFixtures.load(rules, settings: settings).mapping
    }

    func findings(_ policy: TrustPolicyDocument, _ mapping: Mapping, role: RoleARN? = nil, maxSessionDuration: Int? = nil)
        -> [AuditFinding]
    {
        TrustPolicyComparison.findings(
            policy, maxSessionDuration: maxSessionDuration, expected: TrustExpectation(role: role ?? deploy, mapping: mapping))
    }

    func verdict(_ found: [AuditFinding], role: RoleARN? = nil) -> RoleAudit.Verdict {
        RoleAudit(role: role ?? deploy, findings: found).verdict
    }

    static let infra = #"project_path = "platform/infra", ref_type = "branch", ref = "main""#
    static let infraSub = "project_path:platform/infra:ref_type:branch:ref:main"

    // MARK: in line

    @Test func thePolicyTrustPolicyPrintsIsInLine() throws {
        let mapping = try mapping(MappingFixtures.rule(Self.infra) + MappingFixtures.rule(#"namespace_path = ["apps", "apps/**"], ref = "v*""#))
        #expect(findings(try P.printed(deploy, mapping), mapping) == [])
        let exact = P.document(P.web(sub: [Self.infraSub, "project_path:apps/*:ref_type:*:ref:v*"]))
        #expect(findings(exact, mapping) == [])
    }

    @Test func everyPrintedPolicyIsInLineForRandomMappings() throws {
        var random = SeededGenerator(state: 7)
        let paths = ["g/p", "g/*", "g/**", "**", "*/p", "h/**", "a/b/c"]
        let refs = ["main", "release/*", "v*", "**"]
        for _ in 0..<60 {
            var text = ""
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                var parts = ["project_path = \"\(paths.randomElement(using: &random)!)\""]
                if Bool.random(using: &random) { parts.append("ref = \"\(refs.randomElement(using: &random)!)\"") }
                if Bool.random(using: &random) { parts.append("ref_type = \"\(["branch", "tag"].randomElement(using: &random)!)\"") }
                if Bool.random(using: &random) { parts.append("ref_protected = true") }
                text += MappingFixtures.rule(parts.joined(separator: ", "))
            }
            let mapping = try mapping(text)
            #expect(findings(try P.printed(deploy, mapping), mapping) == [], "\(text)")
        }
    }

    /// Random mappings against random live policies, judged by evaluating both on sample
    /// jobs the way IAM and the hook do: without an "admits more" finding, the policy admits
    /// no sample the printed policy refuses; without an "admits less" finding, it admits
    /// every sample a rule matches.
    @Test func verdictsAgreeWithEvaluatingThePolicyOnSampleJobs() throws {
        var random = SeededGenerator(state: 11)
        let paths = ["g/p", "g/*", "g/**", "*/p", "h/**"]
        let refs = ["main", "release/*", "v*"]
        let policyPatterns = [
            "project_path:g/p:ref_type:branch:ref:main", "project_path:g/*:ref_type:*:ref:*", "project_path:g/p:*",
            "project_path:*/p:ref_type:*:ref:release/*", "project_path:h/*", "project_path:*:ref_type:tag:ref:v*",
            "project_path:g/*:ref_type:branch:ref:main", "*",
        ]
        let samplePaths = ["g/p", "g/q", "g/a/p", "h/p", "h/a/b", "x/p"]
        let sampleRefs = ["main", "release/1", "release/1/x", "v2", "dev"]
        var verdicts: [RoleAudit.Verdict: Int] = [:]
        for _ in 0..<80 {
            var text = ""
            for _ in 0..<Int.random(in: 1...2, using: &random) {
                var parts = ["project_path = \"\(paths.randomElement(using: &random)!)\""]
                if Bool.random(using: &random) { parts.append("ref = \"\(refs.randomElement(using: &random)!)\"") }
                if Bool.random(using: &random) { parts.append("ref_type = \"\(["branch", "tag"].randomElement(using: &random)!)\"") }
                text += MappingFixtures.rule(parts.joined(separator: ", "))
            }
            let mapping = try mapping(text)
            let trust = TrustPolicy.trust(for: deploy, mapping: mapping)
            let printed = trust.subjects.map(TrustPolicy.iamText)
            let statements = (0..<Int.random(in: 1...2, using: &random)).map { _ in
                let some = (0..<Int.random(in: 1...2, using: &random)).map { _ in policyPatterns.randomElement(using: &random)! }
                switch Int.random(in: 0..<3, using: &random) {
                case 0: return P.web(sub: printed)
                case 1: return P.web(sub: printed.dropLast() + some)
                default: return P.web(sub: some)
                }
            }
            let found = findings(TrustPolicyDocument(version: nil, statements: statements), mapping)
            verdicts[verdict(found), default: 0] += 1
            for path in samplePaths {
                for refType in ["branch", "tag"] {
                    for ref in sampleRefs {
                        let sub = "project_path:\(path):ref_type:\(refType):ref:\(ref)"
                        let claims = Claims(strings: [("project_path", path), ("ref_type", refType), ("ref", ref)])
                        let admitted = statements.contains { $0.conditions[1].values.contains { IAMWildcard.matches($0, sub) } }
                        if !found.contains(where: { $0.kind == .admitsMore }) && admitted {
                            #expect(trust.admits(sub: sub), "\(text) \(statements) silently admits \(sub)")
                        }
                        if !found.contains(where: { $0.kind == .admitsLess }) && RuleMatcher.firstMatch(in: mapping.rules, claims: claims) != nil {
                            #expect(admitted, "\(text) \(statements) silently denies \(sub)")
                        }
                    }
                }
            }
        }
        // Every verdict of the comparison is exercised.
        for kind in [RoleAudit.Verdict.inLine, .admitsMore, .admitsLess, .admitsMoreAndLess] {
            #expect(verdicts[kind, default: 0] > 3, "\(verdicts)")
        }
    }

    @Test func keysAndActionsAreComparedAsIAMDoesWithoutCase() throws {
        let mapping = try mapping(MappingFixtures.rule(Self.infra))
        var statement = P.web(sub: [Self.infraSub], actions: ["STS:AssumeRoleWith*"])
        statement.conditions = statement.conditions.map {
            TrustPolicyDocument.ConditionTest(test: $0.test, key: $0.key.uppercased(), values: $0.values)
        }
        #expect(findings(P.document(statement), mapping) == [])
    }

    // MARK: admits more

    @Test func aWiderSubPatternIsNamedWithAnExampleItAdmits() throws {
        let mapping = try mapping(MappingFixtures.rule(Self.infra))
        let found = findings(P.document(P.web(sub: ["project_path:platform/*:*"])), mapping)
        #expect(found.count == 1)
        #expect(found[0].kind == .admitsMore && found[0].statement == #"statement 1 ("GitLab")"#)
        #expect(found[0].message.hasPrefix(#"sub StringLike "project_path:platform/*:*" admits "project_path:platform/"#))
        #expect(found[0].message.hasSuffix(#"which the mapping does not send to this role (it sends "\#(Self.infraSub)")"#))
        let example = String(found[0].message.split(separator: "\"")[3])
        #expect(IAMWildcard.matches("project_path:platform/*:*", example) && example != Self.infraSub)
        #expect(verdict(found) == .admitsMore)
    }

    @Test func theWiderPatternIsTheOneThatAdmitsTheExample() throws {
        let mapping = try mapping(MappingFixtures.rule(Self.infra))
        let found = findings(P.document(P.web(sub: [Self.infraSub, "project_path:platform/infra:ref_type:*:ref:*"], sid: nil)), mapping)
        #expect(found.map(\.statement) == ["statement 1"])
        #expect(found[0].message.hasPrefix(#"sub StringLike "project_path:platform/infra:ref_type:*:ref:*" admits"#))
    }

    @Test func aMissingAudienceConditionAdmitsMore() throws {
        let mapping = try mapping(MappingFixtures.rule(Self.infra))
        let found = findings(P.document(P.web(sub: [Self.infraSub], aud: nil)), mapping)
        #expect(found.map(\.kind) == [.admitsMore])
        #expect(found[0].message.hasPrefix("has no condition on gitlab.example.com:aud, so it admits ID tokens of any audience"))
        let other = findings(P.document(P.web(sub: [Self.infraSub], aud: ["sts.amazonaws.com", "other"])), mapping)
        #expect(other.map(\.message) == [#"gitlab.example.com:aud StringEquals "sts.amazonaws.com" or "other" admits aud "other", which is not an audience of the mapping ("sts.amazonaws.com")"#])
    }

    @Test func aMissingSubConditionAdmitsEveryProject() throws {
        let found = findings(P.document(P.web(sub: nil)), try mapping(MappingFixtures.rule(Self.infra)))
        #expect(found.map(\.kind) == [.admitsMore])
        #expect(found[0].message.contains("admits jobs of every project on the instance"))
    }

    @Test func wildcardAndForeignPrincipalsAdmitMore() throws {
        let mapping = try mapping(MappingFixtures.rule(Self.infra))
        let anyone = findings(P.document(P.web(sub: [Self.infraSub], principals: .init(anyone: true))), mapping)
        #expect(anyone.map(\.message) == [#"trusts every principal ("*")"#])
        let foreign = findings(
            P.document(
                P.web(sub: [Self.infraSub]),
                P.web(sub: ["repo:org/*"], sid: "GitHub", principals: .init(federated: ["arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"])),
                P.Statement(sid: nil, effect: .allow, principals: .init(service: ["ec2.amazonaws.com"]), actions: ["sts:AssumeRole"], conditions: [])),
            mapping)
        #expect(foreign.map(\.statement) == [#"statement 2 ("GitHub")"#, "statement 3"])
        #expect(foreign[0].message.hasPrefix(#"trusts the identity provider "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com""#))
        #expect(foreign[1].message == #"lets the AWS service "ec2.amazonaws.com" assume this role, which the mapping does not"#)
        // A provider of the issuer in another account is another provider (and ours is missing).
        let elsewhere = findings(
            P.document(P.web(sub: [Self.infraSub], principals: .init(federated: ["arn:aws:iam::999999999999:oidc-provider/gitlab.example.com"]))),
            mapping)
        #expect(elsewhere.map(\.kind) == [.admitsMore, .admitsLess])
    }

    @Test func statementsForOtherActionsAreIgnored() throws {
        let mapping = try mapping(MappingFixtures.rule(Self.infra))
        let found = findings(
            P.document(
                P.web(sub: [Self.infraSub]),
                P.Statement(sid: nil, effect: .allow, principals: .init(service: ["ec2.amazonaws.com"]), actions: ["sts:SetSourceIdentity"], conditions: [])),
            mapping)
        #expect(found == [])
    }

    // MARK: admits less

    @Test func aNarrowerPolicyNamesAnExampleSubAndTheRuleThatSendsIt() throws {
        let mapping = try mapping(MappingFixtures.rule(Self.infra, name: "infra") + MappingFixtures.rule(#"project_path = "apps/*""#, name: "apps"))
        let found = findings(P.document(P.web(sub: [Self.infraSub])), mapping)
        #expect(found.count == 1 && found[0].kind == .admitsLess && found[0].statement == nil)
        #expect(found[0].message.hasPrefix(#"jobs the mapping sends here would be denied: no statement admits sub "project_path:apps/"#))
        #expect(found[0].message.hasSuffix(#"with aud "sts.amazonaws.com", which rule 2 "apps" (line 7) sends"#))
        let example = String(found[0].message.split(separator: "\"")[1])
        #expect(Pattern("project_path:apps/*:ref_type:*:ref:*").matches(example))
        #expect(!example.contains("//") && !example.hasSuffix(":ref:"), "a sub GitLab could send: \(example)")
        #expect(verdict(found) == .admitsLess)
    }

    @Test func aPolicyWithoutTheProviderDeniesEveryJob() throws {
        let found = findings(P.document(P.chain(["arn:aws:iam::111122223333:role/x"])), try mapping(MappingFixtures.rule(Self.infra)))
        #expect(found.contains {
            $0.kind == .admitsLess
                && $0.message == #"no statement lets arn:aws:iam::111122223333:oidc-provider/gitlab.example.com assume this role (sts:AssumeRoleWithWebIdentity): every job the mapping sends here would be denied, e.g. sub "\#(Self.infraSub)", which rule 1 (line 3) sends"#
        })
        // The AWS principal is more than the mapping, which never chains to the role.
        #expect(found.contains { $0.kind == .admitsMore && $0.message.hasSuffix("the mapping never chains to this role") })
    }

    @Test func aDifferentAudienceAdmitsMoreAndLess() throws {
        let found = findings(P.document(P.web(sub: [Self.infraSub], aud: ["other"])), try mapping(MappingFixtures.rule(Self.infra)))
        #expect(found.map(\.kind) == [.admitsMore, .admitsLess])
        #expect(verdict(found) == .admitsMoreAndLess)
    }

    @Test func sessionsLongerThanTheRolesMaximumAreDenied() throws {
        let mapping = try mapping(MappingFixtures.rule(Self.infra), settings: "duration = 7200")
        let found = findings(try P.printed(deploy, mapping), mapping, maxSessionDuration: 3600)
        #expect(found.map(\.message) == ["the role's MaxSessionDuration is 3600 s, and rule 1 (line 3) asks for 7200 s sessions, so STS would deny them"])
        #expect(findings(try P.printed(deploy, mapping), mapping, maxSessionDuration: 7200) == [])
    }

    @Test func aSubTestedTwiceUsesTheNarrowerTest() throws {
        let mapping = try mapping(MappingFixtures.rule(Self.infra))
        let both = P.web(
            sub: ["project_path:platform/*"],
            extra: [.init(test: .stringEquals, key: "gitlab.example.com:sub", values: [Self.infraSub])])
        #expect(findings(P.document(both), mapping) == [])
    }

    // MARK: what cannot be analysed

    @Test func denyStatementsAreNotAnalysedAndNeverInLine() throws {
        let mapping = try mapping(MappingFixtures.rule(Self.infra))
        var deny = P.web(sub: ["project_path:platform/infra:*"], sid: "NoTags")
        deny.effect = .deny
        let found = findings(P.document(P.web(sub: [Self.infraSub]), deny), mapping)
        #expect(found.map(\.kind) == [.notAnalysed])
        #expect(found[0].statement == #"statement 2 ("NoTags")"#)
        #expect(found[0].message.contains("Deny statement"))
        #expect(verdict(found) == .notAnalysed)
    }

    @Test func unknownKeysWildcardsAndVariablesAreNotAnalysed() throws {
        let mapping = try mapping(MappingFixtures.rule(Self.infra))
        let amr = P.web(sub: [Self.infraSub], extra: [.init(test: .stringEquals, key: "gitlab.example.com:amr", values: ["x"])])
        let question = P.web(sub: ["project_path:platform/infr?:ref_type:branch:ref:main"])
        let variable = P.web(sub: ["project_path:${aws:username}:*"])
        let literalStar = P.web(sub: ["project_path:platform/infra:ref_type:branch:ref:${*}"])
        for (statement, reason) in [
            (amr, #"tests "gitlab.example.com:amr" with StringEquals, which audit cannot compare"#),
            (question, "uses IAM's ? wildcard"), (variable, "uses a policy variable"), (literalStar, "holds a literal *"),
        ] {
            let found = findings(P.document(statement), mapping)
            #expect(found.first?.kind == .notAnalysed && found.first?.message.contains(reason) == true, "\(found)")
            #expect(found.first?.message.hasSuffix("the statement is left out of the comparison") == true)
            // Without the statement nothing admits the mapping's jobs, but it might: not "admits less".
            #expect(!found.contains { $0.kind == .admitsLess }, "\(found)")
            #expect(found.contains { $0.kind == .notAnalysed && $0.message.hasSuffix(#"statement 1 ("GitLab") may"#) })
            #expect(verdict(found) == .notAnalysed)
        }
    }

    @Test func escapedCharactersAreLiterals() throws {
        let mapping = try mapping(MappingFixtures.rule(#"project_path = "g/p", ref_type = "branch", ref = "a?b$c""#))
        #expect(findings(P.document(P.web(sub: ["project_path:g/p:ref_type:branch:ref:a${?}b${$}c"])), mapping) == [])
        #expect(findings(try P.printed(deploy, mapping), mapping) == [])
    }

    @Test func iamWildcardsMatchLikeIAM() {
        #expect(IAMWildcard.matches("sts:*", "sts:assumerole"))
        #expect(IAMWildcard.matches("*", ""))
        #expect(IAMWildcard.matches("sts:assumerole*", "sts:assumerolewithwebidentity"))
        #expect(IAMWildcard.matches("sts:assume?ole", "sts:assumerole"))
        #expect(!IAMWildcard.matches("sts:assumerole", "sts:assumerolewithwebidentity"))
        #expect(IAMWildcard.matches("a*b*c", "a/x/b/y/c") && !IAMWildcard.matches("a*b*c", "a/x/b/y/d"))
        #expect(IAMWildcard.matches(String(repeating: "*a", count: 200), String(repeating: "a", count: 400)))
    }

    // MARK: chained roles

    typealias M = ChainMappings

    @Test func theChainStatementsTrustPolicyPrintsAreInLine() throws {
        for role in TrustPolicy.roles(in: M.directAndChained) {
            #expect(findings(try P.printed(role, M.directAndChained), M.directAndChained, role: role) == [], "\(role)")
        }
    }

    func chainFindings(_ statements: P.Statement..., role: RoleARN = M.target) -> [AuditFinding] {
        findings(TrustPolicyDocument(version: nil, statements: statements), M.mapping, role: role)
    }

    let entry = M.entry.description
    let other = M.otherEntry.description
    let both = ["sts:AssumeRole", "sts:TagSession"]

    @Test func anUntrustedPreviousRoleAdmitsLess() {
        let found = chainFindings(P.chain([entry], actions: both, externalID: ["ext-1"]))
        #expect(found.map(\.kind) == [.admitsLess])
        #expect(found[0].message == #"the previous role is not trusted: no statement lets arn:aws:iam::111122223333:role/other-entry assume this role (sts:AssumeRole), so STS would deny rule 3 "other" (line 20), chain hop 2"#)
    }

    @Test func aMissingTagSessionAdmitsLess() {
        let found = chainFindings(P.chain([entry], externalID: ["ext-1"]), P.chain([other]))
        #expect(found.map(\.message) == [#"sts:TagSession is missing for arn:aws:iam::111122223333:role/gitlab-entry: rule 1 "deploy" (line 1), chain hop 2 sends session tags (project, ref), so STS would deny it"#])
        // The next hop only passes the transitive tag on; it needs TagSession too.
        let final = chainFindings(P.chain([M.target.description]), role: M.final)
        #expect(final.map(\.message) == [#"sts:TagSession is missing for arn:aws:iam::444455556666:role/deploy: rule 1 "deploy" (line 1), chain hop 3 passes on transitive session tags, so STS would deny it"#])
    }

    @Test func aDifferentOrMissingExternalIDAdmitsLess() {
        let found = chainFindings(P.chain([entry], actions: both, externalID: ["ext-2"], sid: "Entry"), P.chain([other]))
        #expect(found.map(\.kind) == [.admitsMore, .admitsLess])
        #expect(found[1].statement == #"statement 1 ("Entry")"#)
        #expect(found[1].message == #"wants sts:ExternalId StringEquals "ext-2", and rule 1 "deploy" (line 1), chain hop 2 from arn:aws:iam::111122223333:role/gitlab-entry sends the external id "ext-1", so STS would deny it"#)
        // And it admits a request with ext-2, which the mapping never sends.
        #expect(found[0].message == #"sts:ExternalId StringEquals "ext-2" admits the external id "ext-2"; the hops from arn:aws:iam::111122223333:role/gitlab-entry send only "ext-1""#)
        let required = chainFindings(P.chain([entry], actions: both, externalID: ["ext-1"]), P.chain([other], externalID: ["x"]))
        #expect(required.map(\.message) == [#"wants sts:ExternalId StringEquals "x", and rule 3 "other" (line 20), chain hop 2 from arn:aws:iam::111122223333:role/other-entry sends no external id, so STS would deny it"#])
    }

    @Test func noExternalIDConditionAdmitsMore() {
        let found = chainFindings(P.chain([entry], actions: both), P.chain([other]))
        #expect(found.map(\.message) == [#"has no sts:ExternalId condition for arn:aws:iam::111122223333:role/gitlab-entry, whose hops send one ("ext-1")"#])
        #expect(found[0].kind == .admitsMore && found[0].statement == "statement 1")
        let like = chainFindings(P.chain([entry], actions: both, externalID: ["ext-*"], externalIDTest: .stringLike), P.chain([other]))
        #expect(like.map(\.kind) == [.admitsMore])
        #expect(like[0].message.hasPrefix(#"sts:ExternalId StringLike "ext-*" admits the external id "ext-"#))
    }

    @Test func principalsBroaderThanThePreviousRoleAdmitMore() {
        // Each broad statement also covers other-entry, whose hop sends no tags: that it may
        // tag its sessions is admitting more too.
        let otherTags = "allows sts:TagSession for arn:aws:iam::111122223333:role/other-entry, whose hops send no session tags to this role: its sessions can tag themselves"
        let account = chainFindings(P.chain(["111122223333"], actions: both, externalID: ["ext-1"]), P.chain([other]))
        #expect(account.map(\.message) == [#"trusts every principal of account 111122223333 ("111122223333"), which is broader than the previous role; the mapping chains to it only from arn:aws:iam::111122223333:role/gitlab-entry, arn:aws:iam::111122223333:role/other-entry"#, otherTags])
        let root = chainFindings(P.chain(["arn:aws:iam::111122223333:root"], actions: both, externalID: ["ext-1"]), P.chain([other]))
        #expect(root.map(\.kind) == [.admitsMore, .admitsMore] && root[0].message.hasPrefix("trusts every principal of account 111122223333"))
        let anyone = chainFindings(P.chain(["*"], actions: both, externalID: ["ext-1"]), P.chain([other]))
        #expect(anyone.map(\.message) == [#"trusts every principal ("*")"#, otherTags])
        // Without TagSession the broad principal is the only finding.
        let plain = chainFindings(P.chain(["111122223333"], externalID: ["ext-1"]), P.chain([entry], actions: ["sts:TagSession"], externalID: ["ext-1"]), P.chain([other]))
        #expect(plain.map(\.kind) == [.admitsMore])
        let stranger = chainFindings(
            P.chain([entry, "arn:aws:iam::111122223333:role/stranger"], actions: both, externalID: ["ext-1"]), P.chain([other]))
        #expect(stranger.map(\.message) == [#"trusts "arn:aws:iam::111122223333:role/stranger"; the mapping chains to it only from arn:aws:iam::111122223333:role/gitlab-entry, arn:aws:iam::111122223333:role/other-entry"#])
    }

    @Test func principalARNConditionsNarrowAWildcardPrincipal() {
        let narrowed = chainFindings(
            P.chain(["*"], actions: both, externalID: ["ext-1"], extra: [.init(test: .stringEquals, key: "aws:PrincipalArn", values: [entry])]),
            P.chain([other]))
        #expect(narrowed == [])
        let wide = chainFindings(
            P.chain(["*"], actions: both, externalID: ["ext-1"], extra: [.init(test: .stringLike, key: "aws:PrincipalArn", values: ["arn:aws:iam::111122223333:role/*"])]),
            P.chain([other]))
        #expect(wide.map(\.kind) == [.admitsMore, .admitsMore])
        #expect(wide[0].message.hasPrefix(#"admits the principal "arn:aws:iam::111122223333:role/"#))
        #expect(wide[1].message.hasPrefix("allows sts:TagSession for arn:aws:iam::111122223333:role/other-entry"))
    }

    @Test func tagSessionWithoutTagsAdmitsMore() {
        let found = chainFindings(P.chain([entry], actions: both, externalID: ["ext-1"]), P.chain([other], actions: ["sts:*"]))
        #expect(found.map(\.message) == ["allows sts:TagSession for arn:aws:iam::111122223333:role/other-entry, whose hops send no session tags to this role: its sessions can tag themselves"])
    }

    @Test func jobsTokensForAChainOnlyRoleAdmitMore() {
        var web = P.web(sub: ["project_path:g/*"])
        web.principals = .init(federated: ["arn:aws:iam::444455556666:oidc-provider/gitlab.example.com"])
        let found = chainFindings(P.chain([entry], actions: both, externalID: ["ext-1"]), P.chain([other]), web)
        #expect(found.map(\.kind) == [.admitsMore])
        #expect(found[0].message.hasPrefix("lets jobs assume this role with their own ID token (sts:AssumeRoleWithWebIdentity from arn:aws:iam::444455556666:oidc-provider/gitlab.example.com); the mapping reaches it only by chaining from"))
    }

    @Test func chainStatementsWithUnknownConditionsAreNotAnalysed() {
        let found = chainFindings(
            P.chain([entry], actions: both, externalID: ["ext-1"], extra: [.init(test: .stringLike, key: "aws:RequestTag/project", values: ["g/*"])]),
            P.chain([other]))
        #expect(found.map(\.kind) == [.notAnalysed, .notAnalysed])
        #expect(found[0].message.hasPrefix(#"tests "aws:RequestTag/project" with StringLike"#))
        #expect(found[1].message.hasPrefix("no statement audit could analyse lets rule 1"))
        #expect(verdict(found) == .notAnalysed)
    }
}
