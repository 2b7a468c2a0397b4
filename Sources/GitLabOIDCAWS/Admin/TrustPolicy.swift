/// `trust-policy --role` named a role that no rule maps.
public struct UnmappedRoleError: Error, Equatable, Sendable, CustomStringConvertible {
    public let role: String
    public var description: String {
        "no rule of the mapping assumes \(role); `trust-policy` without --role lists every mapped role"
    }
}

/// The IAM trust policies the mapped roles need.
public enum TrustPolicy {
    /// The issuer as IAM names its OIDC provider: without scheme and trailing slash.
    public static func providerHost(issuer: String) -> String {
        var host = Substring(issuer)
        if let range = host.range(of: "://") { host = host[range.upperBound...] }
        if host.hasSuffix("/") { host = host.dropLast() }
        return String(host)
    }

    /// The trust policy document for `role`, from every rule that maps it.
    public static func document(for role: RoleARN, mapping: Mapping) -> JSONValue {
        let host = providerHost(issuer: mapping.issuer)
        let rules = mapping.rules.filter { $0.role == role }
        let subjects = Array(Set(rules.flatMap { subjectPatterns(for: $0) })).sorted()
        let audience: JSONValue =
            mapping.audiences.count == 1 ? .string(mapping.audiences[0]) : .array(mapping.audiences.map { .string($0) })
        return .object([
            ("Version", .string("2012-10-17")),
            (
                "Statement",
                .array([
                    .object([
                        ("Effect", .string("Allow")),
                        (
                            "Principal",
                            .object([
                                ("Federated", .string("arn:\(role.partition):iam::\(role.account):oidc-provider/\(host)"))
                            ])
                        ),
                        ("Action", .string("sts:AssumeRoleWithWebIdentity")),
                        (
                            "Condition",
                            .object([
                                ("StringEquals", .object([("\(host):aud", audience)])),
                                (
                                    "StringLike",
                                    .object([
                                        ("\(host):sub", subjects.count == 1 ? .string(subjects[0]) : .array(subjects.map { .string($0) }))
                                    ])
                                ),
                            ])
                        ),
                    ])
                ])
            ),
        ])
    }

    /// IAM `StringLike` patterns for the `sub` claim that a rule's tokens can have:
    /// `project_path:<path>:ref_type:<type>:ref:<ref>`, with `*` where the rule allows any value.
    public static func subjectPatterns(for rule: Rule) -> [String] {
        func patterns(_ claim: String) -> [String] {
            guard let condition = rule.conditions.first(where: { $0.claim == claim }) else { return ["*"] }
            return condition.patterns.map { iamPattern($0) }
        }
        var result: [String] = []
        for path in patterns("project_path") {
            for refType in patterns("ref_type") {
                for ref in patterns("ref") {
                    result.append("project_path:\(path):ref_type:\(refType):ref:\(ref)")
                }
            }
        }
        return result
    }

    /// Our pattern in IAM's syntax: both wildcards become `*` (IAM's `*` also crosses `/`, so
    /// IAM may be broader than the rule); IAM's own `?` and `*` in literals are escaped.
    static func iamPattern(_ pattern: Pattern) -> String {
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

    /// One policy document for `role`, or with no role a JSON object of every mapped role's.
    public static func render(mapping: Mapping, role: String?) throws(UnmappedRoleError) -> String {
        if let role {
            guard let arn = mapping.rules.first(where: { $0.role.description == role })?.role else {
                throw UnmappedRoleError(role: role)
            }
            return document(for: arn, mapping: mapping).prettyText
        }
        var seen: [RoleARN] = []
        for rule in mapping.rules where !seen.contains(rule.role) { seen.append(rule.role) }
        return JSONValue.object(seen.map { ($0.description, document(for: $0, mapping: mapping)) }).prettyText
    }
}
