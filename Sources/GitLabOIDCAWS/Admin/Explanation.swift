/// GitLab's default `sub` claim, which AWS tests against a role's trust policy.
public enum GitLabSubject {
    /// The claims GitLab's default `sub` is built from, in order.
    public static let components = ["project_path", "ref_type", "ref"]

    /// `project_path:<path>:ref_type:<type>:ref:<ref>` from the claims, or nil when one is missing.
    public static func defaultSubject(_ claims: Claims) -> String? {
        var parts: [String] = []
        for name in components {
            guard let value = claims.string(name) else { return nil }
            parts.append("\(name):\(value)")
        }
        return parts.joined(separator: ":")
    }
}

/// The answer of `explain`: every rule tried in order, why it did or did not match, and
/// what the hook would do.
public struct Explanation {
    /// One rule tried and how it fared.
    public struct Attempt {
        public let rule: Rule
        public let outcome: RuleOutcome
    }

    /// The `sub` AWS will test against the role's trust policy.
    public struct Subject: Equatable {
        public let value: String
        /// True when the claims had no `sub` and it was built from `project_path`, `ref_type`
        /// and `ref` the way GitLab does by default.
        public let derived: Bool
    }

    public let mapping: Mapping
    public let claims: Claims
    /// Each rule tried, up to and including the winner.
    public let tried: [Attempt]
    public let winner: Rule?
    /// The `sub` AWS will see, when the claims give or imply it.
    public let subject: Subject?
    /// The trust policy `trust-policy` prints for the winner's role.
    public let trust: RoleTrust?
    /// The STS calls the hook would make for the winner, as `JobPlanner` plans them; nil
    /// without a winner and for a skip rule.
    public let exchange: Exchange?

    public init(mapping: Mapping, claims: Claims) {
        self.mapping = mapping
        self.claims = claims
        var tried: [Attempt] = []
        var winner: Rule?
        for rule in mapping.rules {
            let outcome = RuleMatcher.evaluate(rule, claims: claims)
            tried.append(Attempt(rule: rule, outcome: outcome))
            if outcome == .matched {
                winner = rule
                break
            }
        }
        self.tried = tried
        self.winner = winner
        if let sub = claims.string("sub") {
            subject = Subject(value: sub, derived: false)
        } else {
            subject = GitLabSubject.defaultSubject(claims).map { Subject(value: $0, derived: true) }
        }
        trust = winner?.role.map { TrustPolicy.trust(for: $0, mapping: mapping) }
        exchange = winner.flatMap { rule in
            rule.assumption.map { assumption in
                JobPlanner.exchange(
                    for: rule, assumption, settings: EffectiveSettings(assumption, of: rule, mapping: mapping),
                    mapping: mapping, claims: claims)
            }
        }
    }

    /// Whether the winner's trust policy admits the `sub`; nil without a winner or a `sub`.
    public var trustAdmitsSubject: Bool? {
        guard let trust, let subject else { return nil }
        return trust.admits(sub: subject.value)
    }

    // MARK: Text

    /// The report for people.
    public var text: String {
        var lines: [String] = []
        for attempt in tried {
            switch attempt.outcome {
            case .matched:
                lines.append("\(attempt.rule.reference): matches")
            case let .failed(condition, actual):
                let wanted = condition.patterns.map { quoted($0.source) }.joined(separator: " or ")
                let found = actual.map { "is \(quoted($0))" } ?? "is missing from the token"
                lines.append(
                    "\(attempt.rule.reference): no match: \(condition.claim) \(found), wanted \(wanted) (line \(condition.line))")
            }
        }
        guard let winner else {
            lines.append("no rule matches; \(noMatchConsequence)")
            return lines.joined(separator: "\n")
        }
        guard let exchange, let assumption = winner.assumption else {
            lines.append("skip: \(winner.label) gives the jobs it matches no AWS credentials; the hook writes nothing and exits 0")
            return lines.joined(separator: "\n")
        }
        let settings = EffectiveSettings(assumption, of: winner, mapping: mapping)
        lines.append("role: \(exchange.webIdentity.role)")
        lines.append("session name: \(exchange.webIdentity.sessionName)")
        lines.append("duration: \(exchange.webIdentity.duration) s")
        for hop in exchange.chain { lines.append(Explanation.describe(hop)) }
        lines.append("region: \(settings.region)")
        lines.append("output: \(settings.output.rawValue)")
        lines += JobProfiles.explanation(mapping: mapping, claims: claims)
        if let subject {
            lines.append(
                "sub seen by AWS: \(subject.value)"
                    + (subject.derived ? " (no sub claim given; built from project_path, ref_type and ref as GitLab does)" : ""))
        } else {
            lines.append("sub seen by AWS: unknown; give --claim sub=... or project_path, ref_type and ref")
        }
        let printed = "as `trust-policy --role \(exchange.webIdentity.role)` prints it"
        switch trustAdmitsSubject {
        case true?:
            lines.append("trust policy: admits this sub (\(printed))")
        case false?:
            lines.append(
                "trust policy: does NOT admit this sub (\(printed)), so AWS would refuse the role (AccessDenied); a project that changed its sub claim components needs a policy of its own"
            )
        case nil:
            break
        }
        return lines.joined(separator: "\n")
    }

    /// What the hook does when no rule matches.
    var noMatchConsequence: String {
        switch mapping.onNoMatch {
        case .skip: return "on_no_match = \"skip\": the hook writes nothing and the job runs without AWS credentials from it"
        case .fail: return "on_no_match = \"fail\": the hook fails the job (exit 1)"
        }
    }

    // MARK: JSON

    /// The report for scripts.
    public var json: JSONValue {
        let rules: [JSONValue] = tried.map { attempt in
            var members = ruleMembers(attempt.rule)
            switch attempt.outcome {
            case .matched:
                members.append(("matched", .bool(true)))
            case let .failed(condition, actual):
                members.append(("matched", .bool(false)))
                members.append(
                    (
                        "failed",
                        .object([
                            ("claim", .string(condition.claim)),
                            ("actual", actual.map(JSONValue.string) ?? .null),
                            ("wanted", .array(condition.patterns.map { .string($0.source) })),
                            ("line", .integer(Int64(condition.line))),
                        ])
                    ))
            }
            return .object(members)
        }
        var match: JSONValue = .null
        if let winner, let exchange, let assumption = winner.assumption {
            let settings = EffectiveSettings(assumption, of: winner, mapping: mapping)
            match = .object(
                ruleMembers(winner) + [
                    ("chain", .array(exchange.chain.map(Explanation.json))),
                    ("session_name", .string(exchange.webIdentity.sessionName)),
                    ("duration", .integer(Int64(exchange.webIdentity.duration))),
                    ("region", .string(settings.region)),
                    ("output", .string(settings.output.rawValue)),
                    (
                        "profiles",
                        .array(
                            JobProfiles.resolve(mapping: mapping, claims: claims).map { profile in
                                .object([
                                    ("name", .string(profile.name)), ("rule", .integer(Int64(profile.rule.number))),
                                    ("role", .string(profile.assumption.role.description)),
                                ])
                            })
                    ),
                    ("sub", subject.map { .string($0.value) } ?? .null),
                    ("sub_derived", subject.map { .bool($0.derived) } ?? .null),
                    ("trust_policy_admits_sub", trustAdmitsSubject.map(JSONValue.bool) ?? .null),
                ])
        } else if let winner {
            match = .object(ruleMembers(winner) + [("skip", .bool(true))])
        }
        return .object([
            ("config", .string(mapping.path)),
            ("rules", .array(rules)),
            ("match", match),
            ("on_no_match", .string(mapping.onNoMatch.rawValue)),
        ])
    }

    /// `chain hop 2: ROLE as session S, 3600 s, with an external id, tags k=v, ... (transitive: k)`.
    static func describe(_ hop: ChainedHop) -> String {
        var text = "chain hop \(hop.number): \(hop.role) as session \(hop.sessionName), \(hop.duration) s"
        if hop.externalID != nil { text += ", with an external id" }
        if hop.policy != nil || !hop.policyARNs.isEmpty { text += ", with session policies" }
        if !hop.tags.isEmpty {
            text += ", tags " + hop.tags.map { "\($0.key)=\(LogText.oneLine($0.value, limit: 256))" }.joined(separator: ", ")
        }
        if !hop.transitiveTagKeys.isEmpty { text += " (transitive: \(hop.transitiveTagKeys.joined(separator: ", ")))" }
        return text
    }

    static func json(_ hop: ChainedHop) -> JSONValue {
        .object([
            ("role", .string(hop.role.description)),
            ("session_name", .string(hop.sessionName)),
            ("duration", .integer(Int64(hop.duration))),
            ("external_id", .bool(hop.externalID != nil)),
            ("tags", .object(hop.tags.map { ($0.key, .string($0.value)) })),
            ("transitive_tag_keys", .array(hop.transitiveTagKeys.map { .string($0) })),
        ])
    }

    private func ruleMembers(_ rule: Rule) -> [(String, JSONValue)] {
        [
            ("number", .integer(Int64(rule.number))),
            ("name", rule.name.map(JSONValue.string) ?? .null),
            ("line", .integer(Int64(rule.line))),
            ("role", rule.role.map { .string($0.description) } ?? .null),
        ]
    }
}
