@testable import GitLabOIDCAWS

/// Loads mapping text as `check`, `explain` and `trust-policy` do; the issuer and path are fixed.
func loadMapping(_ rules: String, settings: String = "") throws -> LoadedMapping {
    try MappingLoader.parse(
        source: "issuer = \"https://gitlab.example.com\"\n\(settings)\n\(rules)", path: "mapping.toml")
}

/// A rule with `match` written as an inline table, e.g. `rule("project_path = \"g/p\"")`.
func rule(_ match: String, role: String = "deploy", name: String? = nil, profile: String? = nil) -> String {
    var text = "[[rule]]\n"
    if let name { text += "name = \"\(name)\"\n" }
    if let profile { text += "profile = \"\(profile)\"\n" }
    text += "role = \"arn:aws:iam::111122223333:role/\(role)\"\nmatch = { \(match) }\n"
    return text
}

/// The rule parsed from `match` alone.
func parsedRule(_ match: String) throws -> Rule {
    try loadMapping(rule(match)).mapping.rules[0]
}

/// A deterministic pseudo-random generator, so that property tests fail reproducibly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
