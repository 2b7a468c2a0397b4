/// `trust-policy --role` named a role that no rule maps.
public struct UnmappedRoleError: UserFacingError, Equatable, Sendable {
    public let role: String
    public var exitCategory: ExitCategory { .credentialsUnavailable }
    public var responsibility: Responsibility { .runnerAdministrator }
    public var description: String {
        "no rule of the mapping assumes \(role); `trust-policy` without --role lists every mapped role"
    }
}

/// One chain hop that assumes a role: the rule, the hop, and the role whose session signs it.
public struct ChainEntry: Equatable, Sendable {
    public let rule: Rule
    /// 0-based position in the rule's `chain`.
    public let index: Int
    /// The role whose credentials sign the hop: the rule's web-identity role for the first
    /// hop, else the role of the hop before.
    public let previous: RoleARN
    public let hop: ChainHop
    /// Whether the hop needs `sts:TagSession`: it sends tags, or an earlier hop of the chain
    /// names transitive tags, which STS passes on.
    public let tagsSession: Bool

    /// The hop's number as the job log counts them: the web-identity hop is 1.
    public var number: Int { index + 2 }

    /// `rule 2 "deploy" (line 5), chain hop 2`.
    public var reference: String { "\(rule.reference), chain hop \(number)" }
}

/// One statement of a chained role's policy: the roles whose sessions may assume it, with
/// `sts:TagSession` when their hops send tags, and the external id their hops send.
public struct ChainGrant: Equatable, Sendable {
    /// Previous roles, in order of first use.
    public let principals: [RoleARN]
    public let externalID: String?
    public let tagSession: Bool
}

/// The trust policy one role needs: the `sub` patterns of the rules that assume it with a
/// job's token, the chain hops that assume it, and notes on what the policy cannot enforce
/// or admits beyond those rules.
public struct RoleTrust: Sendable {
    public let role: RoleARN
    /// The rules that assume the role with a job's token (`AssumeRoleWithWebIdentity`), in
    /// file order.
    public let rules: [Rule]
    /// `sub` patterns with IAM's meaning (every wildcard crosses `/`), none included in
    /// another; empty when no rule assumes the role with a job's token.
    public let subjects: [Pattern]
    /// Every chain hop that assumes the role, in file order.
    public let chainEntries: [ChainEntry]
    /// Conditions the policy cannot enforce and places where it admits more than the rules.
    public let notes: [ConfigDiagnostic]

    /// Whether IAM's `StringLike` test of this policy admits `sub`.
    public func admits(sub: String) -> Bool {
        subjects.contains { $0.matches(sub) }
    }

    /// Whether jobs reach the role with their ID token.
    public var isWebIdentityRole: Bool { !rules.isEmpty }

    /// The statements for the chain hops: one per distinct external id and need for
    /// `sts:TagSession`, each naming every previous role that needs it.
    public var grants: [ChainGrant] {
        var grants: [ChainGrant] = []
        for entry in chainEntries {
            if let index = grants.firstIndex(where: {
                $0.externalID == entry.hop.externalID && $0.tagSession == entry.tagsSession
            }) {
                let grant = grants[index]
                if !grant.principals.contains(entry.previous) {
                    grants[index] = ChainGrant(
                        principals: grant.principals + [entry.previous], externalID: grant.externalID,
                        tagSession: grant.tagSession)
                }
            } else {
                grants.append(
                    ChainGrant(
                        principals: [entry.previous], externalID: entry.hop.externalID, tagSession: entry.tagsSession))
            }
        }
        return grants
    }

    /// The numbers of every rule that uses the role, with its token or in a chain, ascending.
    public var ruleNumbers: [Int] {
        Array(Set(rules.map(\.number) + chainEntries.map(\.rule.number))).sorted()
    }

    /// The line notes about the whole document refer to.
    var firstLine: Int { rules.first?.line ?? chainEntries.first?.hop.line ?? 1 }
}

/// The IAM trust policies the mapped roles need.
///
/// For GitLab ID tokens AWS can test only `sub` and `aud`. GitLab's default `sub` is
/// `project_path:<path>:ref_type:<branch|tag>:ref:<ref>`, so each rule becomes the `sub`
/// patterns of its `project_path` (or `namespace_path`), `ref_type` and `ref` conditions, and
/// every other condition is reported as one the policy cannot enforce. IAM's `*` also matches
/// `/` where ours does not; each place where that makes the policy broader is reported too.
/// The policy is never narrower than the rules for tokens with GitLab's default `sub`.
public enum TrustPolicy {
    /// How `trust-policy` prints the policies.
    public enum Format: String, Sendable, CaseIterable {
        /// IAM policy JSON.
        case json
        /// `data "aws_iam_policy_document"` blocks (HCL).
        case terraform
    }

    /// IAM's default quota for the length of a role trust policy, in characters without
    /// whitespace.
    public static let defaultSizeQuota = 2048

    /// The issuer as IAM names its OIDC provider: without scheme and trailing slash.
    public static func providerHost(issuer: String) -> String {
        var host = Substring(issuer)
        if let range = host.firstRange(of: "://") { host = host[range.upperBound...] }
        if host.hasSuffix("/") { host = host.dropLast() }
        return String(host)
    }

    /// The ARN of the IAM OIDC provider for the mapping's issuer, in the role's account.
    public static func providerARN(for role: RoleARN, mapping: Mapping) -> String {
        "arn:\(role.partition):iam::\(role.account):oidc-provider/\(providerHost(issuer: mapping.issuer))"
    }

    /// Every role the mapping assumes, with a job's token or in a chain, in the order of first
    /// use; `skip` rules assume none.
    public static func roles(in mapping: Mapping) -> [RoleARN] {
        var seen: [RoleARN] = []
        var known: Set<RoleARN> = []
        for rule in mapping.rules {
            for role in rule.assumption?.roles ?? [] where known.insert(role).inserted { seen.append(role) }
        }
        return seen
    }

    // MARK: Deriving the policy

    /// The policy `role` needs, from every rule that assumes it with a job's token and every
    /// chain hop that assumes it.
    public static func trust(for role: RoleARN, mapping: Mapping) -> RoleTrust {
        let rules = mapping.rules.filter { $0.role == role }
        var subjects: [Pattern] = []
        var notes: [ConfigDiagnostic] = []
        for rule in rules {
            var derivation = RuleSubjects(rule: rule, role: role, file: mapping.path)
            subjects += derivation.derive().map(\.widened)
            notes += derivation.notes
        }
        subjects = narrowest(subjects)
        let entries = chainEntries(into: role, mapping: mapping)
        notes += chainNotes(entries, role: role, mapping: mapping)
        let trust = RoleTrust(
            role: role, rules: rules, subjects: subjects, chainEntries: entries, notes: notes)
        return RoleTrust(
            role: role, rules: rules, subjects: subjects, chainEntries: entries,
            notes: (notes + documentNotes(trust, mapping: mapping)).sortedByLine())
    }

    /// Every chain hop of the mapping that assumes `role`, in file order.
    static func chainEntries(into role: RoleARN, mapping: Mapping) -> [ChainEntry] {
        var entries: [ChainEntry] = []
        for rule in mapping.rules {
            guard let assumption = rule.assumption else { continue }
            var passesTransitiveTags = false
            for (index, hop) in assumption.chain.enumerated() {
                if hop.role == role {
                    entries.append(
                        ChainEntry(
                            rule: rule, index: index, previous: assumption.roles[index], hop: hop,
                            tagsSession: !hop.tags.isEmpty || passesTransitiveTags))
                }
                if !hop.transitiveTagKeys.isEmpty { passesTransitiveTags = true }
            }
        }
        return entries
    }

    /// Notes on what a chained role's policy cannot enforce: session tags are advisory, and
    /// every session of the previous role may take the hop, including sessions of rules that
    /// do not chain to the role.
    static func chainNotes(_ entries: [ChainEntry], role: RoleARN, mapping: Mapping) -> [ConfigDiagnostic] {
        var notes: [ConfigDiagnostic] = []
        for entry in entries {
            let previous = entry.previous.name
            if entry.tagsSession {
                let what = entry.hop.tags.isEmpty ? "the transitive tags earlier hops pass on to it" : "its session tags"
                let who =
                    entry.index == 0
                    ? "any job that can assume \(previous) with its own ID token (every job \(previous)'s trust policy admits)"
                    : "any job that gets a session of \(previous)"
                notes.append(
                    ConfigDiagnostic(
                        file: mapping.path, line: entry.hop.line, severity: .note,
                        message:
                            "\(entry.reference) to \(role.name): \(what) are advisory: \(role.name) trusts every session of \(previous) with sts:TagSession, so \(who) can repeat this hop with tags of its choosing; do not rely on ABAC with these tags to tell such jobs apart"
                    ))
            }
            let others = mapping.rules.filter { rule in
                guard rule.number != entry.rule.number, let roles = rule.assumption?.roles else { return false }
                // The previous role, not followed by this hop's role.
                return roles.indices.contains { index in
                    roles[index] == entry.previous && (index + 1 == roles.count || roles[index + 1] != role)
                }
            }
            if !others.isEmpty {
                let labels = others.map(\.label).joined(separator: ", ")
                notes.append(
                    ConfigDiagnostic(
                        file: mapping.path, line: entry.hop.line, severity: .note,
                        message:
                            "\(entry.reference) to \(role.name): the policy can only name the previous role, so every session of \(previous) can assume \(role.name); \(labels) also \(others.count == 1 ? "gives" : "give") jobs a session of \(previous) without this hop, and those jobs can take it themselves"
                    ))
            }
        }
        return notes
    }

    /// `patterns` without duplicates and without any pattern another one already includes.
    static func narrowest(_ patterns: [Pattern]) -> [Pattern] {
        var unique: [Pattern] = []
        for pattern in patterns where !unique.contains(pattern) { unique.append(pattern) }
        func includes(_ outer: Pattern, _ inner: Pattern) -> Bool {
            // Most pairs differ in a literal: the value with every wildcard empty tells at once.
            outer.matches(inner.shortestValue) && PatternInclusion.isIncluded([[inner]], in: [outer])
        }
        return unique.enumerated().filter { index, pattern in
            !unique.enumerated().contains { other, candidate in
                other != index && includes(candidate, pattern) && (other < index || !includes(pattern, candidate))
            }
        }.map(\.element)
    }

    /// Notes on the document as a whole: size and characters IAM refuses.
    static func documentNotes(_ trust: RoleTrust, mapping: Mapping) -> [ConfigDiagnostic] {
        let line = trust.firstLine
        var notes: [ConfigDiagnostic] = []
        let size = document(for: trust, mapping: mapping).compactText.unicodeScalars.count
        if size > defaultSizeQuota {
            notes.append(
                ConfigDiagnostic(
                    file: mapping.path, line: line, severity: .note,
                    message:
                        "the trust policy of \(trust.role) is \(size) characters; IAM's default quota for a role trust policy is \(defaultSizeQuota): raise the quota or map the role with fewer patterns"
                ))
        }
        for subject in trust.subjects where subject.source.unicodeScalars.contains(where: { $0.value > 0xFF }) {
            notes.append(
                ConfigDiagnostic(
                    file: mapping.path, line: line, severity: .note,
                    message:
                        "the sub pattern \(quoted(iamText(subject))) of \(trust.role) has characters IAM policies cannot hold (only U+0020 to U+00FF): IAM will refuse the policy; use a wildcard in their place"
                ))
        }
        return notes
    }

    /// The `sub` patterns of one rule, in the rule's own pattern language, and the notes on
    /// what IAM cannot do with them.
    struct RuleSubjects {
        let rule: Rule
        /// The role the rule assumes with the job's token.
        let role: RoleARN
        let file: String
        var notes: [ConfigDiagnostic] = []
        /// The claims whose conditions the `sub` patterns carry.
        var enforced: Set<String> = []
        /// The patterns for a claim the rule does not test: everything, for the policy (IAM
        /// cannot say less); what GitLab can send, for `audit`'s examples.
        let everyValue: (String) -> [Pattern]

        init(rule: Rule, role: RoleARN, file: String, everyValue: @escaping (String) -> [Pattern] = { _ in [Pattern("**")] }) {
            self.rule = rule
            self.role = role
            self.file = file
            self.everyValue = everyValue
        }

        mutating func derive() -> [Pattern] {
            let subjects: [Pattern]
            var projectPaths: [Pattern]? = nil
            if let sub = rule.condition(on: "sub") {
                subjects = sub.patterns
                enforced.insert("sub")
                reportBreadth(of: sub.patterns, as: "sub", condition: sub)
            } else {
                projectPaths = projectPathPatterns()
                let refs = refPatterns()
                subjects = projectPaths!.flatMap { path in
                    refs.map { refType, ref in
                        Pattern("project_path:\(path.source):ref_type:\(refType.source):ref:\(ref.source)")
                    }
                }
            }
            reportInstanceWide(projectPaths: projectPaths, subjects: subjects)
            for condition in rule.conditions where !enforced.contains(condition.claim) {
                note(
                    condition.line,
                    "\(rule.reference): \(condition.written) cannot be part of the trust policy (for GitLab tokens AWS tests only sub and aud); any job whose sub the policy admits can assume \(role.name) with its own ID token, whatever its \(condition.claim)"
                )
            }
            return subjects
        }

        /// The project part of `sub`: the `project_path` condition, else the `namespace_path`
        /// condition followed by `/*` (a project path is its namespace path, `/`, a name
        /// without `/`), else everything.
        mutating func projectPathPatterns() -> [Pattern] {
            if rule.condition(on: "project_path") != nil { return component("project_path") }
            guard let namespace = rule.condition(on: "namespace_path") else { return everyValue("project_path") }
            enforced.insert("namespace_path")
            let paths = namespace.patterns.map { Pattern($0.source + "/*") }
            reportBreadth(
                of: paths, as: "project_path", condition: namespace,
                prefix: "\(namespace.written) becomes project_path \(paths.map { quoted($0.source) }.joined(separator: " or ")) in the trust policy, and ")
            return paths
        }

        /// The `ref_type` and `ref` parts of `sub`: every pair of the rule's `ref_type` and
        /// `ref` patterns; for a rule that tests neither but `ref_path`, the pairs its
        /// patterns spell (`refs/heads/<ref>` is a branch, `refs/tags/<ref>` a tag), when each
        /// of them starts so.
        mutating func refPatterns() -> [(Pattern, Pattern)] {
            let kinds = [("refs/heads/", "branch"), ("refs/tags/", "tag")]
            if rule.condition(on: "ref_type") == nil, rule.condition(on: "ref") == nil,
                let refPath = rule.condition(on: "ref_path")
            {
                let pairs = refPath.patterns.compactMap { pattern -> (Pattern, Pattern)? in
                    guard let (prefix, kind) = kinds.first(where: { pattern.source.hasPrefix($0.0) }) else { return nil }
                    return (Pattern(kind), Pattern(String(pattern.source.dropFirst(prefix.count))))
                }
                if pairs.count == refPath.patterns.count {
                    enforced.insert("ref_path")
                    let refs = pairs.map(\.1)
                    reportBreadth(
                        of: refs, as: "ref", condition: refPath,
                        prefix: "\(refPath.written) becomes ref \(refs.map { quoted($0.source) }.joined(separator: " or ")) in the trust policy, and ")
                    return pairs
                }
            }
            let refTypes = component("ref_type")
            let refs = component("ref")
            return refTypes.flatMap { refType in refs.map { (refType, $0) } }
        }

        /// The patterns of the rule's condition on `claim`, or everything.
        mutating func component(_ claim: String) -> [Pattern] {
            guard let condition = rule.condition(on: claim) else { return everyValue(claim) }
            enforced.insert(claim)
            reportBreadth(of: condition.patterns, as: claim, condition: condition)
            return condition.patterns
        }

        /// Reports when IAM's reading of `patterns` (every `*` crossing `/`) admits a value
        /// of `claim` that the patterns themselves do not.
        mutating func reportBreadth(of patterns: [Pattern], as claim: String, condition: Condition, prefix: String = "") {
            let answer = ClaimDomain.inclusion(of: claim, given: [patterns.map(\.widened)], in: patterns)
            let admits: String
            switch answer {
            case .included: return
            case let .notIncluded(witness): admits = "it admits \(claim) \(quoted(witness)), which the rule does not match"
            case .undecided: admits = "it may admit values of \(claim) that the rule does not match"
            }
            let opening = prefix.isEmpty ? "\(condition.written): " : prefix
            note(
                condition.line,
                "\(rule.reference): \(opening)IAM's * also matches \"/\" where the rule's * does not, so \(admits)"
            )
        }

        /// Reports when nothing in the `sub` patterns narrows the projects.
        mutating func reportInstanceWide(projectPaths: [Pattern]?, subjects: [Pattern]) {
            let everyProject: Bool
            if let projectPaths {
                everyProject = ClaimDomain.coversEveryValue(of: "project_path", projectPaths)
            } else {
                everyProject = PatternInclusion.isIncluded([], in: subjects)
            }
            guard everyProject else { return }
            let projectCondition = rule.conditions.first { ClaimDomain.projectClaims.contains($0.claim) || $0.claim == "sub" }
            note(
                projectCondition?.line ?? rule.line,
                "\(rule.reference): nothing the trust policy can test narrows the projects, so it admits jobs of every project on the instance (project_path:*): any of them can assume \(role.name) with its own ID token; add a project_path or namespace_path condition"
            )
        }

        mutating func note(_ line: Int, _ message: String) {
            notes.append(ConfigDiagnostic(file: file, line: line, severity: .note, message: message))
        }
    }

    // MARK: Rendering

    /// A pattern in IAM's `StringLike` syntax: every wildcard is `*`; IAM's special
    /// characters `*`, `?` and `$` in literals are written `${*}`, `${?}`, `${$}`.
    public static func iamText(_ pattern: Pattern) -> String {
        var text = ""
        for piece in pattern.pieces {
            switch piece {
            case let .literal(bytes):
                for character in String(decoding: bytes, as: UTF8.self) {
                    switch character {
                    case "*": text += "${*}"
                    case "?": text += "${?}"
                    case "$": text += "${$}"
                    default: text.append(character)
                    }
                }
            case .segmentWildcard, .anyWildcard:
                text += "*"
            }
        }
        return text
    }

    /// One value, or a list when there are several (IAM accepts both).
    static func valueOrList(_ values: [String]) -> JSONValue {
        values.count == 1 ? .string(values[0]) : .array(values.map { .string($0) })
    }

    /// The IAM policy document of `trust`: the web-identity statement when jobs assume the
    /// role with their token, then one statement per chain grant.
    public static func document(for trust: RoleTrust, mapping: Mapping) -> JSONValue {
        var statements: [JSONValue] = []
        if trust.isWebIdentityRole {
            let host = providerHost(issuer: mapping.issuer)
            statements.append(
                .object([
                    ("Effect", .string("Allow")),
                    ("Principal", .object([("Federated", .string(providerARN(for: trust.role, mapping: mapping)))])),
                    ("Action", .string(webIdentityAction)),
                    (
                        "Condition",
                        .object([
                            ("StringEquals", .object([("\(host):aud", valueOrList(mapping.audiences))])),
                            ("StringLike", .object([("\(host):sub", valueOrList(trust.subjects.map(iamText)))])),
                        ])
                    ),
                ]))
        }
        for grant in trust.grants {
            var members: [(String, JSONValue)] = [
                ("Effect", .string("Allow")),
                ("Principal", .object([("AWS", valueOrList(grant.principals.map(\.description)))])),
                ("Action", valueOrList(chainActions(grant))),
            ]
            if let externalID = grant.externalID {
                members.append(("Condition", .object([("StringEquals", .object([(externalIDKey, .string(externalID))]))])))
            }
            statements.append(.object(members))
        }
        return .object([("Version", .string("2012-10-17")), ("Statement", .array(statements))])
    }

    /// The action of the web-identity statement.
    static let webIdentityAction = "sts:AssumeRoleWithWebIdentity"
    /// The condition key STS sets to a request's `ExternalId`.
    static let externalIDKey = "sts:ExternalId"

    /// `sts:AssumeRole`, and `sts:TagSession` when the grant's hops send tags.
    static func chainActions(_ grant: ChainGrant) -> [String] {
        grant.tagSession ? ["sts:AssumeRole", "sts:TagSession"] : ["sts:AssumeRole"]
    }

    /// Terraform `aws_iam_policy_document` data sources, one per role, each named after its
    /// role's ARN (`terraformName`), so that names stay the same when rules move.
    public static func terraform(_ trusts: [RoleTrust], mapping: Mapping) -> String {
        let host = providerHost(issuer: mapping.issuer)
        return trusts.map { trust in
            let numbers = trust.ruleNumbers.map(String.init).joined(separator: ", ")
            let rules = trust.ruleNumbers.count == 1 ? "rule \(numbers)" : "rules \(numbers)"
            var statements: [String] = []
            if trust.isWebIdentityRole {
                statements.append(
                    """
                      statement {
                        effect  = "Allow"
                        actions = [\(hclString(webIdentityAction))]

                        principals {
                          type        = "Federated"
                          identifiers = [\(hclString(providerARN(for: trust.role, mapping: mapping)))]
                        }

                        condition {
                          test     = "StringEquals"
                          variable = \(hclString("\(host):aud"))
                          \(hclValues(mapping.audiences))
                        }

                        condition {
                          test     = "StringLike"
                          variable = \(hclString("\(host):sub"))
                          \(hclValues(trust.subjects.map(iamText)))
                        }
                      }
                    """)
            }
            for grant in trust.grants {
                var block = """
                      statement {
                        effect  = "Allow"
                        actions = [\(chainActions(grant).map(hclString).joined(separator: ", "))]

                        principals {
                          type        = "AWS"
                          identifiers = [\(grant.principals.map { hclString($0.description) }.joined(separator: ", "))]
                        }
                    """
                if let externalID = grant.externalID {
                    block += """


                            condition {
                              test     = "StringEquals"
                              variable = \(hclString(externalIDKey))
                              \(hclValues([externalID]))
                            }
                        """
                }
                statements.append(block + "\n  }")
            }
            return """
                # Trust policy of \(trust.role), for \(rules) of the mapping
                data "aws_iam_policy_document" "\(terraformName(trust.role))" {
                \(statements.joined(separator: "\n\n"))
                }
                """
        }.joined(separator: "\n\n")
    }

    /// The Terraform label of a role's policy document, from the role's ARN alone:
    /// `<name>_<account>_trust` for a role of the `aws` partition without a path whose name
    /// starts with a letter or `_` and holds only letters, digits, `_` and `-` (the
    /// characters Terraform allows). Any other role gets `role_<name with _ for the rest>_<account>_<hash>_trust`,
    /// the hash (FNV-1a of the ARN, 8 hex digits) telling apart ARNs that read alike. IAM
    /// role names are unique in an account, so labels are unique in any mapping.
    public static func terraformName(_ role: RoleARN) -> String {
        let name = role.name
        let allowed = name.unicodeScalars.allSatisfy { isASCIILetterOrDigit($0) || $0 == "_" || $0 == "-" }
        let startsWell = name.unicodeScalars.first.map { !("0"..."9").contains($0) && $0 != "-" } ?? false
        if allowed && startsWell && role.partition == "aws" && role.resource == name {
            return "\(name)_\(role.account)_trust"
        }
        let hash = String(fnv1a(role.description), radix: 16)
        let padded = String(repeating: "0", count: 8 - hash.count) + hash
        return "role_\(hclIdentifier(name))_\(role.account)_\(padded)_trust"
    }

    static func isASCIILetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    /// 32-bit FNV-1a of the UTF-8 bytes of `text`.
    static func fnv1a(_ text: String) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }

    /// The `values` attribute of a `condition` block, as `terraform fmt` writes it: on one
    /// line, aligned with `test` and `variable`, when it holds one value; else one value per
    /// line (and then `terraform fmt` does not align its `=`).
    static func hclValues(_ values: [String]) -> String {
        if values.count == 1 { return "values   = [\(hclString(values[0]))]" }
        return "values = [\n" + values.map { "        \(hclString($0)),\n" }.joined() + "      ]"
    }

    /// A quoted HCL string: `"` and `\` escaped, and `${` / `%{` doubled so that Terraform
    /// keeps IAM's `${*}` as written instead of reading a template.
    static func hclString(_ text: String) -> String {
        var result = "\""
        var previous: Character?
        for character in text {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "{" where previous == "$" || previous == "%": result += String(previous!) + "{"
            default: result.append(character)
            }
            previous = character
        }
        return result + "\""
    }

    /// `text` with every character but ASCII letters, digits, `_` and `-` replaced by `_`.
    static func hclIdentifier(_ text: String) -> String {
        String(
            text.unicodeScalars.map { scalar -> Character in
                isASCIILetterOrDigit(scalar) || scalar == "-" ? Character(scalar) : "_"
            })
    }

    /// What `trust-policy` prints: the policies and the notes for the roles printed.
    public struct Rendered: Sendable {
        public let text: String
        public let notes: [ConfigDiagnostic]
    }

    /// One role's policy (`role` given), or every mapped role's: a JSON object from role ARN
    /// to document, or one Terraform data source per role.
    public static func render(mapping: Mapping, role: String?, format: Format) throws(UnmappedRoleError) -> Rendered {
        var roles = roles(in: mapping)
        if let role {
            guard let arn = roles.first(where: { $0.description == role }) else { throw UnmappedRoleError(role: role) }
            roles = [arn]
        }
        let trusts = roles.map { trust(for: $0, mapping: mapping) }
        let text: String
        switch format {
        case .json where role != nil:
            text = document(for: trusts[0], mapping: mapping).prettyText
        case .json:
            text = JSONValue.object(trusts.map { ($0.role.description, document(for: $0, mapping: mapping)) }).prettyText
        case .terraform:
            text = terraform(trusts, mapping: mapping)
        }
        return Rendered(text: text, notes: trusts.flatMap(\.notes))
    }
}
