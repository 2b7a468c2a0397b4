/// The answer of `explain`: every rule tried in order, why it did or did not match, and
/// what the hook would do.
public struct Explanation {
    public let mapping: Mapping
    public let claims: Claims
    /// Each rule tried, up to and including the winner.
    public let tried: [(rule: Rule, outcome: RuleOutcome)]
    public let winner: Rule?

    public init(mapping: Mapping, claims: Claims) {
        self.mapping = mapping
        self.claims = claims
        var tried: [(Rule, RuleOutcome)] = []
        var winner: Rule?
        for rule in mapping.rules {
            let outcome = RuleMatcher.evaluate(rule, claims: claims)
            tried.append((rule, outcome))
            if outcome == .matched {
                winner = rule
                break
            }
        }
        self.tried = tried
        self.winner = winner
    }

    /// The report for people.
    public var text: String {
        var lines: [String] = []
        for (rule, outcome) in tried {
            switch outcome {
            case .matched:
                lines.append("\(rule.label): matches")
            case let .failed(condition, actual):
                let wanted = condition.patterns.map { "\"\($0.source)\"" }.joined(separator: " or ")
                let found = actual.map { "is \"\($0)\"" } ?? "is missing from the token"
                lines.append("\(rule.label): no match: \(condition.claim) \(found), wanted \(wanted) (line \(condition.line))")
            }
        }
        guard let winner else {
            lines.append(
                "no rule matches; the hook will \(mapping.onNoMatch == .fail ? "fail the job (on_no_match = \"fail\")" : "skip: the job gets no credentials (on_no_match = \"skip\")")")
            return lines.joined(separator: "\n")
        }
        let settings = EffectiveSettings(rule: winner, mapping: mapping)
        lines.append("role: \(winner.role)")
        lines.append("session name: \(SessionName.render(settings.sessionNameTemplate, claims: claims))")
        lines.append("duration: \(settings.duration) s")
        lines.append("region: \(settings.region)")
        lines.append("output: \(settings.output.rawValue)")
        lines += JobProfiles.explanation(mapping: mapping, claims: claims)
        if let sub = claims.string("sub") { lines.append("sub seen by AWS: \(sub)") }
        return lines.joined(separator: "\n")
    }
}
