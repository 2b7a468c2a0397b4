import GitLabOIDCAWS

/// Mappings for tests: as mapping-file text through the real loader, or built in code (for
/// the keys the loader does not read yet).
public enum MappingFixtures {
    /// Loads mapping text as `check`, `explain` and `trust-policy` do; the issuer and path are fixed.
    public static func load(_ rules: String, settings: String = "") throws -> LoadedMapping {
        try MappingLoader.parse(
            source: "issuer = \"https://gitlab.example.com\"\n\(settings)\n\(rules)", path: "mapping.toml")
    }

    /// A `[[rule]]` with `match` written as an inline table, e.g. `rule("project_path = \"g/p\"")`.
    public static func rule(_ match: String, role: String = "deploy", name: String? = nil, profile: String? = nil)
        -> String
    {
        var text = "[[rule]]\n"
        if let name { text += "name = \"\(name)\"\n" }
        if let profile { text += "profile = \"\(profile)\"\n" }
        text += "role = \"arn:aws:iam::111122223333:role/\(role)\"\nmatch = { \(match) }\n"
        return text
    }

    /// The rule parsed from `match` alone.
    public static func parsedRule(_ match: String) throws -> Rule {
        try load(rule(match)).mapping.rules[0]
    }

    /// `arn:aws:iam::<account>:role/<name>`.
    public static func role(_ name: String, account: String = "111122223333") -> RoleARN {
        RoleARN("arn:aws:iam::\(account):role/\(name)")!
    }

    /// A condition on `claim` with `patterns` (any may match).
    public static func condition(_ claim: String, _ patterns: String..., line: Int = 1) -> Condition {
        Condition(claim: claim, patterns: patterns.map(Pattern.init), line: line)
    }

    /// A mapping for `TokenFixtures.issuer` with `rules`.
    public static func mapping(_ rules: [Rule]) -> Mapping {
        var mapping = Mapping(issuer: TokenFixtures.issuer, rules: rules)
        mapping.path = "/etc/gitlab-runner/oidc-aws.toml"
        return mapping
    }
}

/// A deterministic pseudo-random generator, so that property tests fail reproducibly.
public struct SeededGenerator: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) {
        self.state = state
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
