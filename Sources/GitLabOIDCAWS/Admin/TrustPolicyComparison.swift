/// Something `audit` found about one role's live trust policy: a way it admits more or less
/// than the mapping, or a part it could not analyse.
public struct AuditFinding: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// Some request the mapping never makes is accepted.
        case admitsMore = "admits-more"
        /// Some request the mapping makes would be denied.
        case admitsLess = "admits-less"
        /// A part of the policy `audit` cannot compare with the mapping.
        case notAnalysed = "not-analysed"
    }

    public let kind: Kind
    /// The statement it is about, as `statement 2 ("Sid")`; nil for the policy as a whole.
    public let statement: String?
    public let message: String

    public init(_ kind: Kind, statement: String? = nil, _ message: String) {
        self.kind = kind
        self.statement = statement
        self.message = message
    }

    public var description: String { statement.map { "\($0): \(message)" } ?? message }
}

/// What the mapping sends to one role, in the terms `audit` compares with the role's live
/// trust policy: the policy `trust-policy` prints for it.
public struct TrustExpectation: Sendable {
    public let trust: RoleTrust
    /// `arn:<partition>:iam::<account>:oidc-provider/<issuer host>`.
    public let providerARN: String
    /// The issuer as IAM names it in condition keys (`gitlab.example.com`).
    public let host: String
    public let audiences: [String]
    /// The `sub` values each rule of the role sends, with the rules' own meaning (`*` stops
    /// at `/`), a claim the rule does not test standing for what GitLab can send in it.
    public let sentSubjects: [(rule: Rule, subjects: [Pattern])]
    /// GitLab's default `sub` format, for examples a reader recognises; nil when a rule of the
    /// role tests `sub` itself (a project may have changed its `sub` components).
    public let subjectShape: [Pattern]?
    /// The session length each rule or hop asks of the role, in seconds.
    public let sessionLengths: [(asker: String, seconds: Int)]

    public init(role: RoleARN, mapping: Mapping) {
        let trust = TrustPolicy.trust(for: role, mapping: mapping)
        self.trust = trust
        providerARN = TrustPolicy.providerARN(for: role, mapping: mapping)
        host = TrustPolicy.providerHost(issuer: mapping.issuer)
        audiences = mapping.audiences
        sentSubjects = trust.rules.map { rule in
            var derivation = TrustPolicy.RuleSubjects(
                rule: rule, role: role, file: mapping.path, everyValue: ClaimDomain.superset(of:))
            return (rule, derivation.derive())
        }
        subjectShape =
            trust.rules.contains { $0.condition(on: "sub") != nil }
            ? nil
            : ["branch", "tag"].map { Pattern("project_path:*/**:ref_type:\($0):ref:**") }
        var lengths: [(String, Int)] = []
        for rule in trust.rules {
            if let settings = EffectiveSettings(rule: rule, mapping: mapping) {
                lengths.append((rule.reference, settings.duration))
            }
        }
        for entry in trust.chainEntries {
            if let settings = EffectiveSettings(rule: entry.rule, mapping: mapping) {
                lengths.append((entry.reference, entry.hop.effectiveDuration(ruleDuration: settings.duration)))
            }
        }
        sessionLengths = lengths
    }

    public var role: RoleARN { trust.role }
}

/// Compares a role's live trust policy with what the mapping sends to the role.
///
/// For jobs' tokens (`sts:AssumeRoleWithWebIdentity`) the reference is the policy
/// `trust-policy` prints: the provider of the mapping's issuer as principal, the mapping's
/// audiences and the `sub` patterns of the role's rules (with IAM's `*`). A statement admits
/// more when some `(sub, aud)` it accepts is outside that reference (checked exactly with
/// `PatternInclusion`, over `sub` values in GitLab's default format); the policy admits
/// less when some `sub` a rule of the role matches is accepted by no statement.
///
/// For chain hops the reference is one grant per previous role: `sts:AssumeRole` (and
/// `sts:TagSession` when the hop sends or passes on tags) for exactly the previous role,
/// with the hop's `sts:ExternalId`.
///
/// Anything the comparison does not model (Deny statements, condition keys other than
/// `sub`, `aud`, `sts:ExternalId` and `aws:PrincipalArn`, IAM's `?` wildcard, policy
/// variables) becomes a `notAnalysed` finding, so a policy is never called in line when
/// `audit` cannot tell.
public enum TrustPolicyComparison {
    static let webIdentityAction = "sts:assumerolewithwebidentity"
    static let samlAction = "sts:assumerolewithsaml"
    static let assumeRoleAction = "sts:assumerole"
    static let tagSessionAction = "sts:tagsession"
    static let externalIDKey = "sts:externalid"
    static let principalARNKey = "aws:principalarn"

    /// The findings about `policy` (a role's live trust policy; `maxSessionDuration` from the
    /// same `GetRole` answer) against `expected`: empty when the policy is in line.
    public static func findings(
        _ policy: TrustPolicyDocument, maxSessionDuration: Int? = nil, expected: TrustExpectation
    ) -> [AuditFinding] {
        var comparison = Comparison(expected: expected)
        comparison.read(policy)
        if expected.trust.isWebIdentityRole { comparison.compareWebIdentity() }
        comparison.compareChain()
        if let maxSessionDuration { comparison.compareSessionLengths(maximum: maxSessionDuration) }
        return comparison.result
    }

    /// One condition test as `audit` analyses it: the values as written, with IAM's meaning
    /// in the mapping's pattern language (every `*` is `**`).
    struct Test {
        let key: String
        let operatorName: String
        let values: [String]
        let patterns: [Pattern]

        /// `sub StringLike "a" or "b"`.
        var written: String {
            "\(key) \(operatorName) \(values.map { quoted(LogText.oneLine($0, limit: 256)) }.joined(separator: " or "))"
        }

        func admits(_ value: String) -> Bool { patterns.contains { $0.matches(value) } }
    }

    /// A statement that lets jobs' tokens in, reduced to its `sub` and `aud` tests.
    struct WebStatement {
        let label: String
        let sub: [Test]
        let aud: [Test]

        func admitsAudience(_ audience: String) -> Bool { aud.allSatisfy { $0.admits(audience) } }
    }

    /// A statement that lets AWS principals in, reduced to what a chain hop meets.
    struct ChainStatement {
        let label: String
        let principals: TrustPolicyDocument.Principals
        let assumeRole: Bool
        let tagSession: Bool
        let externalID: [Test]
        let principalARN: [Test]

        var trustsAnyone: Bool { principals.anyone || principals.aws.contains("*") }

        /// Whether the statement's principal covers sessions of `role`.
        func covers(_ role: RoleARN) -> Bool {
            let named =
                trustsAnyone
                || principals.aws.contains { entry in
                    entry == role.description || entry == role.account
                        || entry == "arn:\(role.partition):iam::\(role.account):root"
                }
            return named && principalARN.allSatisfy { $0.admits(role.description) }
        }

        func admitsExternalID(_ externalID: String?) -> Bool {
            self.externalID.allSatisfy { test in externalID.map(test.admits) ?? false }
        }
    }

    struct Comparison {
        let expected: TrustExpectation
        var more: [AuditFinding] = []
        var less: [AuditFinding] = []
        var unanalysed: [AuditFinding] = []
        var web: [WebStatement] = []
        var chain: [ChainStatement] = []
        /// Statements that may let jobs' tokens, or chain hops, in, but could not be analysed.
        var unanalysedWeb: [String] = []
        var unanalysedChain: [String] = []

        init(expected: TrustExpectation) { self.expected = expected }

        var result: [AuditFinding] {
            var seen: [AuditFinding] = []
            for finding in more + less + unanalysed where !seen.contains(finding) { seen.append(finding) }
            return seen
        }

        var host: String { expected.host }
        var previousRoles: [RoleARN] {
            var roles: [RoleARN] = []
            for entry in expected.trust.chainEntries where !roles.contains(entry.previous) {
                roles.append(entry.previous)
            }
            return roles
        }

        // MARK: Reading the statements

        mutating func read(_ policy: TrustPolicyDocument) {
            for (index, statement) in policy.statements.enumerated() {
                let label = statement.label(index: index)
                func covers(_ action: String) -> Bool {
                    statement.actions.contains { IAMWildcard.matches($0.lowercased(), action) }
                }
                let webIdentity = covers(webIdentityAction)
                let assumeRole = covers(assumeRoleAction)
                let tagSession = covers(tagSessionAction)
                guard webIdentity || assumeRole || tagSession || covers(samlAction) else { continue }
                if statement.effect == .deny {
                    unanalysed.append(
                        AuditFinding(
                            .notAnalysed, statement: label,
                            "is a Deny statement, and audit does not analyse Deny statements: it may deny requests the mapping makes"))
                    unanalysedWeb.append(label)
                    unanalysedChain.append(label)
                    continue
                }
                let principals = statement.principals
                let anyone = principals.anyone || principals.aws.contains("*")
                if anyone && (webIdentity || covers(samlAction)) { more.append(Self.everyone(label)) }
                for service in principals.service {
                    more.append(
                        AuditFinding(
                            .admitsMore, statement: label,
                            "lets the AWS service \(quoted(LogText.oneLine(service, limit: 256))) assume this role, which the mapping does not"))
                }
                for provider in principals.federated where provider != expected.providerARN {
                    more.append(
                        AuditFinding(
                            .admitsMore, statement: label,
                            "trusts the identity provider \(quoted(LogText.oneLine(provider, limit: 256))), which the mapping does not use (its provider is \(expected.providerARN))"
                        ))
                }
                let ownProvider = principals.federated.contains(expected.providerARN)
                if webIdentity && (ownProvider || anyone) {
                    if expected.trust.isWebIdentityRole {
                        readWebStatement(statement, label: label)
                    } else {
                        more.append(
                            AuditFinding(
                                .admitsMore, statement: label,
                                "lets jobs assume this role with their own ID token (sts:AssumeRoleWithWebIdentity from \(ownProvider ? expected.providerARN : "any provider")); the mapping reaches it only by chaining from \(previousRoles.map(\.description).joined(separator: ", "))"
                            ))
                    }
                }
                if (assumeRole || tagSession) && (anyone || !principals.aws.isEmpty) {
                    readChainStatement(statement, label: label, assumeRole: assumeRole, tagSession: tagSession)
                }
            }
        }

        /// The tests of `statement` on `keys`; nil (with a finding) when it tests anything else
        /// or a value `audit` cannot translate; `absentKeys` are keys such requests never
        /// carry, which make the statement admit none of them (an empty result, `admitsNone`).
        mutating func tests(
            of statement: TrustPolicyDocument.Statement, label: String, keys: [String], absentKeys: [String],
            admitsNone: inout Bool
        ) -> [String: [Test]]? {
            var found: [String: [Test]] = [:]
            for condition in statement.conditions {
                let key = condition.key.lowercased()
                if absentKeys.contains(key) {
                    admitsNone = true
                    continue
                }
                guard let name = keys.first(where: { $0 == key }) else {
                    unanalysed.append(
                        AuditFinding(
                            .notAnalysed, statement: label,
                            "tests \(quoted(LogText.oneLine(condition.key, limit: 128))) with \(condition.test.rawValue), which audit cannot compare with the mapping; the statement is left out of the comparison"
                        ))
                    return nil
                }
                var patterns: [Pattern] = []
                for value in condition.values {
                    switch IAMWildcard.pattern(value, like: condition.test != .stringEquals) {
                    case let .success(pattern): patterns.append(pattern)
                    case let .failure(reason):
                        unanalysed.append(
                            AuditFinding(
                                .notAnalysed, statement: label,
                                "\(condition.key) \(condition.test.rawValue) \(quoted(LogText.oneLine(value, limit: 256))) \(reason); the statement is left out of the comparison"
                            ))
                        return nil
                    }
                }
                found[name, default: []].append(
                    Test(
                        key: condition.key, operatorName: condition.test.rawValue, values: condition.values,
                        patterns: patterns))
            }
            return found
        }

        mutating func readWebStatement(_ statement: TrustPolicyDocument.Statement, label: String) {
            let sub = "\(host):sub".lowercased()
            let aud = "\(host):aud".lowercased()
            var admitsNone = false
            guard
                let found = tests(
                    of: statement, label: label, keys: [sub, aud], absentKeys: [externalIDKey, principalARNKey],
                    admitsNone: &admitsNone)
            else {
                unanalysedWeb.append(label)
                return
            }
            guard !admitsNone else { return }
            web.append(WebStatement(label: label, sub: found[sub] ?? [], aud: found[aud] ?? []))
        }

        mutating func readChainStatement(
            _ statement: TrustPolicyDocument.Statement, label: String, assumeRole: Bool, tagSession: Bool
        ) {
            var admitsNone = false
            let webKeys = ["\(host):sub".lowercased(), "\(host):aud".lowercased()]
            guard
                let found = tests(
                    of: statement, label: label, keys: [externalIDKey, principalARNKey], absentKeys: webKeys,
                    admitsNone: &admitsNone)
            else {
                unanalysedChain.append(label)
                if statement.principals.anyone || statement.principals.aws.contains("*") { more.append(Self.everyone(label)) }
                return
            }
            guard !admitsNone else { return }
            chain.append(
                ChainStatement(
                    label: label, principals: statement.principals, assumeRole: assumeRole, tagSession: tagSession,
                    externalID: found[externalIDKey] ?? [], principalARN: found[principalARNKey] ?? []))
        }

        // MARK: Jobs' tokens

        /// A few of the mapping's `sub` patterns, for messages.
        var sentSubjects: String {
            let texts = expected.trust.subjects.map { quoted(TrustPolicy.iamText($0)) }
            let shown = texts.prefix(3).joined(separator: ", ")
            return texts.count > 3 ? "\(shown) and \(texts.count - 3) more" : shown
        }

        var audienceList: String { expected.audiences.map(quoted).joined(separator: ", ") }

        mutating func compareWebIdentity() {
            for audience in expected.audiences where audience.contains("*") {
                unanalysed.append(
                    AuditFinding(
                        .notAnalysed,
                        "the mapping's audience \(quoted(audience)) holds a *, which audit cannot compare with IAM's patterns"))
            }
            for statement in web {
                if statement.aud.isEmpty {
                    more.append(
                        AuditFinding(
                            .admitsMore, statement: statement.label,
                            "has no condition on \(host):aud, so it admits ID tokens of any audience; the mapping sends only \(audienceList)"
                        ))
                } else {
                    let audiences = expected.audiences.map(Pattern.init)
                    switch PatternInclusion.check(statement.aud.map(\.patterns), in: audiences) {
                    case .included: break
                    case let .notIncluded(witness):
                        // Every test of the statement admits the witness; name the first.
                        let test = statement.aud[0]
                        more.append(
                            AuditFinding(
                                .admitsMore, statement: statement.label,
                                "\(test.written) admits aud \(quoted(witness)), which is not an audience of the mapping (\(audienceList))"
                            ))
                    case .undecided:
                        undecided(statement.label, "its aud condition")
                    }
                }
                guard !statement.sub.isEmpty else {
                    more.append(
                        AuditFinding(
                            .admitsMore, statement: statement.label,
                            "has no condition on \(host):sub, so it admits jobs of every project on the instance; the mapping sends only sub \(sentSubjects)"
                        ))
                    continue
                }
                // The common case, a policy as `trust-policy` prints it, needs no search.
                if statement.sub.contains(where: { Self.isSubset($0.patterns, of: expected.trust.subjects) }) { continue }
                // Pattern by pattern of the first test (the others narrow it), so that the
                // finding names the wider pattern, and each search stays small.
                let first = statement.sub[0]
                let narrowing = statement.sub.dropFirst().map(\.patterns)
                let printed = Set(expected.trust.subjects.map(\.pieces))
                var found: (value: String, admitted: [[Pattern]], witness: String)?
                var unsure = false
                for (value, pattern) in zip(first.values, first.patterns) where !printed.contains(pattern.pieces) {
                    var admitted = [[pattern]] + narrowing
                    var answer = PatternInclusion.check(admitted, in: expected.trust.subjects)
                    if case .notIncluded = answer, let shape = expected.subjectShape {
                        // An example in GitLab's format reads better, when there is one.
                        let shaped = PatternInclusion.check(admitted + [shape], in: expected.trust.subjects)
                        if case .notIncluded = shaped {
                            answer = shaped
                            admitted.append(shape)
                        }
                    }
                    if case let .notIncluded(witness) = answer {
                        found = (value, admitted, witness)
                        break
                    }
                    if answer == .undecided { unsure = true }
                }
                if let found {
                    let example = readableSubject(found.witness) { value in
                        found.admitted.allSatisfy { $0.contains { $0.matches(value) } }
                            && !expected.trust.subjects.contains { $0.matches(value) }
                    }
                    more.append(
                        AuditFinding(
                            .admitsMore, statement: statement.label,
                            "sub \(first.operatorName) \(quoted(LogText.oneLine(found.value, limit: 256))) admits \(quoted(example)), which the mapping does not send to this role (it sends \(sentSubjects))"
                        ))
                } else if unsure {
                    undecided(statement.label, "its sub condition")
                }
            }
            compareMissingSubjects()
        }

        /// Finds a `sub` the rules send that no statement admits, for each audience.
        mutating func compareMissingSubjects() {
            let sent = expected.sentSubjects.flatMap(\.subjects)
            for audience in expected.audiences {
                let admitting = web.filter { $0.admitsAudience(audience) }
                var union: [Pattern] = []
                var unclear: [String] = []
                for statement in admitting {
                    if statement.sub.isEmpty {
                        union = [Pattern("**")]
                        break
                    }
                    // Several sub tests of one statement must all hold; use one that the
                    // others include, which is then their intersection.
                    let narrowest = statement.sub.first { candidate in
                        statement.sub.allSatisfy { other in
                            PatternInclusion.isIncluded([candidate.patterns], in: other.patterns)
                        }
                    }
                    if let narrowest {
                        union += narrowest.patterns
                    } else {
                        unclear.append(statement.label)
                        unanalysed.append(
                            AuditFinding(
                                .notAnalysed, statement: statement.label,
                                "tests sub several times with patterns none of which includes the others; audit cannot tell which jobs it admits"
                            ))
                    }
                }
                // `sent` is within the policy `trust-policy` prints; holding all of that
                // policy's patterns settles it without a search.
                if Self.isSubset(expected.trust.subjects, of: union) { continue }
                // Pattern by pattern: each search stays small, and the first gap found is
                // the example.
                let held = Set(union.map(\.pieces))
                var answer = PatternInclusion.Answer.included
                for pattern in sent where !held.contains(pattern.widened.pieces) {
                    let result = PatternInclusion.check([[pattern]], in: union)
                    if case .notIncluded = result {
                        answer = result
                        break
                    }
                    if result == .undecided { answer = result }
                }
                switch answer {
                case .included: continue
                case .undecided:
                    undecided(nil, "whether every sub the mapping sends is admitted")
                    return
                case let .notIncluded(witness):
                    let example = readableSubject(witness) { value in
                        sent.contains { $0.matches(value) } && !union.contains { $0.matches(value) }
                    }
                    let sender = expected.sentSubjects.first { $0.subjects.contains { $0.matches(example) } }
                    let who = sender.map { ", which \($0.rule.reference) sends" } ?? ""
                    let unsure = unanalysedWeb + unclear
                    if !unsure.isEmpty {
                        unanalysed.append(
                            AuditFinding(
                                .notAnalysed,
                                "no statement audit could analyse admits sub \(quoted(example)) with aud \(quoted(audience))\(who); \(unsure.joined(separator: ", ")) may"
                            ))
                    } else if web.isEmpty {
                        less.append(
                            AuditFinding(
                                .admitsLess,
                                "no statement lets \(expected.providerARN) assume this role (sts:AssumeRoleWithWebIdentity): every job the mapping sends here would be denied, e.g. sub \(quoted(example))\(who)"
                            ))
                        return
                    } else {
                        less.append(
                            AuditFinding(
                                .admitsLess,
                                "jobs the mapping sends here would be denied: no statement admits sub \(quoted(example)) with aud \(quoted(audience))\(who)"
                            ))
                    }
                }
            }
        }

        /// `witness` with empty path segments and an empty ref filled with `x`, when that
        /// still shows the same thing (`isExample`): GitLab sends neither.
        func readableSubject(_ witness: String, isExample: (String) -> Bool) -> String {
            let prefix = "project_path:"
            guard witness.hasPrefix(prefix), let typeRange = witness.firstRange(of: ":ref_type:"),
                let refRange = witness[typeRange.upperBound...].firstRange(of: ":ref:")
            else { return witness }
            func filled(_ text: Substring) -> String {
                text.split(separator: "/", omittingEmptySubsequences: false).map { $0.isEmpty ? "x" : String($0) }
                    .joined(separator: "/")
            }
            let path = filled(witness[witness.index(witness.startIndex, offsetBy: prefix.count)..<typeRange.lowerBound])
            let refType = witness[typeRange.upperBound..<refRange.lowerBound]
            let ref = filled(witness[refRange.upperBound...])
            let candidate = "\(prefix)\(path):ref_type:\(refType):ref:\(ref)"
            return isExample(candidate) ? candidate : witness
        }

        /// Whether each of `patterns` is, piece for piece, one of `others`.
        static func isSubset(_ patterns: [Pattern], of others: [Pattern]) -> Bool {
            let pieces = Set(others.map(\.pieces))
            return patterns.allSatisfy { pieces.contains($0.pieces) }
        }

        mutating func undecided(_ label: String?, _ what: String) {
            unanalysed.append(
                AuditFinding(
                    .notAnalysed, statement: label,
                    "audit could not decide \(what) against the mapping (the patterns are too complex to compare)"))
        }

        // MARK: Chain hops

        mutating func compareChain() {
            let entries = expected.trust.chainEntries
            for entry in entries { compareHop(entry) }
            let previous = previousRoles
            for statement in chain {
                comparePrincipals(statement, previous: previous)
                // Per previous role the statement covers: what its hops send.
                for role in previous where statement.covers(role) {
                    let hops = entries.filter { $0.previous == role }
                    if statement.assumeRole, hops.allSatisfy({ $0.hop.externalID != nil }) {
                        compareExternalID(statement, from: role, sent: uniqued(hops.compactMap(\.hop.externalID)))
                    }
                    if statement.tagSession, !hops.contains(where: \.tagsSession) {
                        more.append(
                            AuditFinding(
                                .admitsMore, statement: statement.label,
                                "allows sts:TagSession for \(role), whose hops send no session tags to this role: its sessions can tag themselves"
                            ))
                    }
                }
            }
        }

        /// Reports when `statement` lets `role` assume this role with an external id other
        /// than those its hops send (`sent`), or with none.
        mutating func compareExternalID(_ statement: ChainStatement, from role: RoleARN, sent: [String]) {
            let sentText = sent.map(quoted).joined(separator: " or ")
            guard !statement.externalID.isEmpty else {
                more.append(
                    AuditFinding(
                        .admitsMore, statement: statement.label,
                        "has no sts:ExternalId condition for \(role), whose hops send one (\(sentText))"))
                return
            }
            switch PatternInclusion.check(statement.externalID.map(\.patterns), in: sent.map(Pattern.init)) {
            case .included: break
            case let .notIncluded(witness):
                let test = statement.externalID.first { $0.admits(witness) } ?? statement.externalID[0]
                more.append(
                    AuditFinding(
                        .admitsMore, statement: statement.label,
                        "\(test.written) admits the external id \(quoted(witness)); the hops from \(role) send only \(sentText)"
                    ))
            case .undecided:
                undecided(statement.label, "its sts:ExternalId condition")
            }
        }

        mutating func comparePrincipals(_ statement: ChainStatement, previous: [RoleARN]) {
            let chainedFrom =
                previous.isEmpty
                ? "the mapping never chains to this role"
                : "the mapping chains to it only from \(previous.map(\.description).joined(separator: ", "))"
            if !statement.principalARN.isEmpty {
                let wanted = previous.map { Pattern($0.description) }
                switch PatternInclusion.check(statement.principalARN.map(\.patterns), in: wanted) {
                case .included: return
                case let .notIncluded(witness):
                    more.append(
                        AuditFinding(
                            .admitsMore, statement: statement.label,
                            "admits the principal \(quoted(witness)) (aws:PrincipalArn); \(chainedFrom)"))
                case .undecided:
                    undecided(statement.label, "its aws:PrincipalArn condition")
                }
                return
            }
            if statement.trustsAnyone { more.append(Self.everyone(statement.label)) }
            for principal in statement.principals.aws where principal != "*" {
                if previous.contains(where: { $0.description == principal }) { continue }
                let shown = quoted(LogText.oneLine(principal, limit: 256))
                if let account = Self.wholeAccount(principal) {
                    more.append(
                        AuditFinding(
                            .admitsMore, statement: statement.label,
                            "trusts every principal of account \(account) (\(shown)), which is broader than the previous role; \(chainedFrom)"
                        ))
                } else {
                    more.append(
                        AuditFinding(.admitsMore, statement: statement.label, "trusts \(shown); \(chainedFrom)"))
                }
            }
        }

        static func everyone(_ label: String) -> AuditFinding {
            AuditFinding(.admitsMore, statement: label, "trusts every principal (\"*\")")
        }

        /// The account a principal entry names as a whole: `111122223333` or
        /// `arn:aws:iam::111122223333:root`.
        static func wholeAccount(_ principal: String) -> String? {
            if AWSAccount.isValid(principal) { return principal }
            let fields = principal.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 6, fields[0] == "arn", fields[2] == "iam", AWSAccount.isValid(fields[4]), fields[5] == "root"
            else { return nil }
            return String(fields[4])
        }

        mutating func compareHop(_ entry: ChainEntry) {
            let previous = entry.previous
            let hop = "\(entry.reference) from \(previous)"
            let externalID = entry.hop.externalID
            let allowed = chain.contains { $0.assumeRole && $0.covers(previous) && $0.admitsExternalID(externalID) }
            if !allowed {
                if !unanalysedChain.isEmpty {
                    unanalysed.append(
                        AuditFinding(
                            .notAnalysed,
                            "no statement audit could analyse lets \(hop) assume this role; \(unanalysedChain.joined(separator: ", ")) may"
                        ))
                } else if let statement = chain.first(where: { $0.assumeRole && $0.covers(previous) }) {
                    let wanted = statement.externalID.map(\.written).joined(separator: " and ")
                    let sent = externalID.map { "sends the external id \(quoted($0))" } ?? "sends no external id"
                    less.append(
                        AuditFinding(
                            .admitsLess, statement: statement.label,
                            "wants \(wanted), and \(hop) \(sent), so STS would deny it"))
                } else {
                    less.append(
                        AuditFinding(
                            .admitsLess,
                            "the previous role is not trusted: no statement lets \(previous) assume this role (sts:AssumeRole), so STS would deny \(entry.reference)"
                        ))
                }
            }
            // A hop STS denies anyway gets no second finding about tags.
            guard entry.tagsSession, allowed else { return }
            if !chain.contains(where: { $0.tagSession && $0.covers(previous) && $0.admitsExternalID(externalID) }) {
                let tags = entry.hop.tags.map(\.key)
                let sends =
                    tags.isEmpty
                    ? "passes on transitive session tags" : "sends session tags (\(tags.joined(separator: ", ")))"
                if !unanalysedChain.isEmpty {
                    unanalysed.append(
                        AuditFinding(
                            .notAnalysed,
                            "no statement audit could analyse allows sts:TagSession for \(hop), which \(sends); \(unanalysedChain.joined(separator: ", ")) may"
                        ))
                } else {
                    less.append(
                        AuditFinding(
                            .admitsLess,
                            "sts:TagSession is missing for \(previous): \(entry.reference) \(sends), so STS would deny it"))
                }
            }
        }

        // MARK: Session lengths

        mutating func compareSessionLengths(maximum: Int) {
            for (asker, seconds) in expected.sessionLengths where seconds > maximum {
                less.append(
                    AuditFinding(
                        .admitsLess,
                        "the role's MaxSessionDuration is \(maximum) s, and \(asker) asks for \(seconds) s sessions, so STS would deny them"
                    ))
            }
        }
    }

    static func uniqued(_ values: [String]) -> [String] {
        var seen: [String] = []
        for value in values where !seen.contains(value) { seen.append(value) }
        return seen
    }
}

/// IAM's string wildcards: `*` (any run of characters, `/` included) and `?` (one character),
/// with `${*}`, `${?}` and `${$}` for the literal characters.
public enum IAMWildcard {
    /// Whether `value` matches the IAM pattern `pattern` (as in `Action` and `StringLike`);
    /// no escapes. Linear in practice and at worst O(pattern × value), without recursion.
    public static func matches(_ pattern: String, _ value: String) -> Bool {
        let pattern = Array(pattern.unicodeScalars)
        let value = Array(value.unicodeScalars)
        var p = 0
        var v = 0
        var star: Int?
        var resume = 0
        while v < value.count {
            if p < pattern.count && (pattern[p] == "?" || pattern[p] == value[v]) {
                p += 1
                v += 1
            } else if p < pattern.count && pattern[p] == "*" {
                star = p
                p += 1
                resume = v
            } else if let star {
                p = star + 1
                resume += 1
                v = resume
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    /// A condition value as a pattern of the mapping's language with IAM's meaning: for
    /// `StringLike` (`like`), every `*` becomes `**` and the escapes their characters; for
    /// `StringEquals`, the value as it is. Fails, with the reason, for what that language
    /// cannot hold: IAM's `?`, a literal `*`, and policy variables (`${aws:username}`).
    static func pattern(_ value: String, like: Bool) -> Result<Pattern, PatternProblem> {
        if !like {
            if value.contains("*") { return .failure(PatternProblem("holds a literal *, which audit cannot compare")) }
            if value.contains("${") { return .failure(PatternProblem("uses a policy variable, which audit cannot compare")) }
            return .success(Pattern(value))
        }
        var source = ""
        var rest = Substring(value)
        while let character = rest.first {
            if rest.hasPrefix("${") {
                if rest.hasPrefix("${?}") {
                    source += "?"
                } else if rest.hasPrefix("${$}") {
                    source += "$"
                } else if rest.hasPrefix("${*}") {
                    return .failure(PatternProblem("holds a literal * (${*}), which audit cannot compare"))
                } else {
                    return .failure(PatternProblem("uses a policy variable, which audit cannot compare"))
                }
                rest = rest.dropFirst(4)
                continue
            }
            switch character {
            case "*": source += "**"
            case "?": return .failure(PatternProblem("uses IAM's ? wildcard, which audit does not analyse"))
            default: source.append(character)
            }
            rest = rest.dropFirst()
        }
        return .success(Pattern(source))
    }

    /// Why a condition value has no pattern.
    struct PatternProblem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
