/// How one rule fared against a token's claims.
public enum RuleOutcome: Equatable, Sendable {
    case matched
    /// The first condition that did not hold, and the claim's value (nil when the token lacks it).
    case failed(Condition, actual: String?)
}

/// Which rules a job's claims match, from one pass over the rules.
public enum RuleSelection: Equatable, Sendable {
    /// The first matching rule, then (when the pass was asked to go on) every later match,
    /// in file order. Never empty.
    case matched(first: Rule, later: [Rule])
    /// No rule matches; the rule that came closest, when a rule assumes a role at all.
    case none(closest: RuleMiss?)
}

/// A rule that did not match, and why: for telling a job which rule came closest.
public struct RuleMiss: Equatable, Sendable, CustomStringConvertible {
    public let rule: Rule
    /// The first condition, in file order, that does not hold.
    public let condition: Condition
    /// The job's value of the condition's claim; nil when the token lacks it.
    public let actual: String?
    /// How many of the rule's conditions hold.
    public let satisfied: Int

    /// `rule 3 "infra prod" wants ref_protected = true; this job has false`.
    public var description: String {
        let wanted = condition.patterns.map { RuleMiss.shown($0.source) }.joined(separator: " or ")
        let found = actual.map { "this job has \(RuleMiss.shown($0))" } ?? "this job's token has no \(condition.claim)"
        return "\(rule.label) wants \(condition.claim) = \(wanted); \(found)"
    }

    /// A value as the mapping file writes it: booleans and integers bare, text quoted; on
    /// one line and cut short, since claim values come from outside.
    static func shown(_ value: String) -> String {
        let bare =
            value == "true" || value == "false"
            || (!value.isEmpty && value.utf8.count <= 20 && value.utf8.allSatisfy { $0 >= 48 && $0 <= 57 })
        return bare ? value : quoted(LogText.oneLine(value, limit: 128))
    }
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
    public static func firstMatch(in rules: some Collection<Rule>, claims: Claims) -> Rule? {
        rules.first { evaluate($0, claims: claims) == .matched }
    }

    /// Every rule whose conditions all hold, in file order.
    public static func allMatches(in rules: some Collection<Rule>, claims: Claims) -> [Rule] {
        rules.filter { evaluate($0, claims: claims) == .matched }
    }

    /// One pass over `rules`: the first match and, when `continuingPast(first)` is true,
    /// every later match. No match: the closest rule (`closestMiss`). Rules of a loaded
    /// mapping file are matched in its document, without building the rules that fail.
    public static func select(in rules: RuleList, claims: Claims, continuingPast: (Rule) -> Bool) -> RuleSelection {
        if case let .document(document) = rules.storage {
            return document.select(claims: claims, continuingPast: continuingPast)
        }
        return select(in: Array(rules), claims: claims, continuingPast: continuingPast)
    }

    /// `select` over rule values.
    public static func select(in rules: [Rule], claims: Claims, continuingPast: (Rule) -> Bool) -> RuleSelection {
        var index = rules.startIndex
        while index < rules.endIndex {
            let rule = rules[index]
            index += 1
            guard evaluate(rule, claims: claims) == .matched else { continue }
            var later: [Rule] = []
            if continuingPast(rule) {
                for candidate in rules[index...] where evaluate(candidate, claims: claims) == .matched {
                    later.append(candidate)
                }
            }
            return .matched(first: rule, later: later)
        }
        return .none(closest: closestMiss(in: rules, claims: claims))
    }

    /// The rule that assumes a role and comes closest to matching: the most conditions
    /// holding, ties going to the earlier rule. Skip rules are left out (they give nothing),
    /// and so are matching rules. Nil when no rule assumes a role.
    public static func closestMiss(in rules: some Collection<Rule>, claims: Claims) -> RuleMiss? {
        var best: RuleMiss?
        for rule in rules where rule.assumption != nil {
            var satisfied = 0
            var firstFailure: (Condition, String?)?
            for condition in rule.conditions {
                let value = claims.string(condition.claim)
                if let value, condition.patterns.contains(where: { $0.matches(value) }) {
                    satisfied += 1
                } else if firstFailure == nil {
                    firstFailure = (condition, value)
                }
            }
            guard let (condition, actual) = firstFailure else { continue }
            if satisfied > (best?.satisfied ?? -1) {
                best = RuleMiss(rule: rule, condition: condition, actual: actual, satisfied: satisfied)
            }
        }
        return best
    }
}
