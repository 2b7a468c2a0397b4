/// How one rule fared against a token's claims.
public enum RuleOutcome: Equatable, Sendable {
    case matched
    /// The first condition that did not hold, and the claim's value (nil when the token lacks it).
    case failed(Condition, actual: String?)
}

/// Rule matching: first match wins; within a rule every condition must hold; within a
/// condition any pattern may match; a missing claim never matches.
public enum RuleMatcher {
    /// Tests `rule` against `claims`, stopping at the first failed condition.
    public static func evaluate(_ rule: Rule, claims: Claims) -> RuleOutcome {
        for condition in rule.conditions {
            guard let value = claims.string(condition.claim) else { return .failed(condition, actual: nil) }
            if !condition.patterns.contains(where: { $0.matches(value) }) { return .failed(condition, actual: value) }
        }
        return .matched
    }

    /// The first rule, in file order, whose conditions all hold.
    public static func firstMatch(in rules: [Rule], claims: Claims) -> Rule? {
        rules.first { evaluate($0, claims: claims) == .matched }
    }

    /// Every rule whose conditions all hold, in file order.
    public static func allMatches(in rules: [Rule], claims: Claims) -> [Rule] {
        rules.filter { evaluate($0, claims: claims) == .matched }
    }
}
