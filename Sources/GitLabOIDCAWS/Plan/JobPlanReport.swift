/// The job-log lines of a plan: what was done, what was reused, what would be done. Every
/// line is for people who may not know the hook exists; none holds a secret.
extension JobPlan {
    /// Why the job gets nothing, with the mapping's `help`.
    public func skipLine(_ reason: SkipReason) -> String {
        let line: String
        switch reason {
        case let .noMatch(project, ref, closest):
            let nearest = closest.map { "; closest: \($0)" } ?? ""
            line =
                "no AWS credentials for this job: no rule of the mapping matches it (project \(LogText.oneLine(project, limit: 256)), ref \(LogText.oneLine(ref, limit: 256)))\(nearest)"
        case let .rule(rule):
            line = "no AWS credentials for this job: \(rule.label) matches it first and says skip = true"
        }
        return withHelp(line)
    }

    /// Credentials written: every hop, the rule, the session names and the expiry.
    public func exchangeLine(_ exchange: Exchange, expiration: Int64) -> String {
        "assumed \(exchange.hops); credentials expire \(Timestamp.format(expiration)) (region \(exchange.region))"
    }

    /// Credentials from an earlier run of this job are still good.
    public func reuseLine(_ exchange: Exchange, expiration: Int64) -> String {
        "reusing credentials for \(exchange.finalRole) written earlier in this job (\(exchange.rule.label), expire \(Timestamp.format(expiration)))"
    }

    /// What a placement put in place (`written`), or that an earlier run did.
    public func placementLine(_ placement: Placement, written: Bool) -> String {
        let validUntil = tokenExpiry.map { "; the ID token is valid until \(Timestamp.format($0))" } ?? ""
        let first = placement.grants[0].exchange
        guard written else {
            return
                "reusing the \(placement.output.rawValue) settings for \(first.finalRole) written earlier in this job (\(first.rule.label))\(validUntil)"
        }
        switch placement.output {
        case .profile:
            let profiles = placement.grants.map { grant in
                "\(grant.profile ?? JobProfiles.defaultName) (\(grant.exchange.roles.map(\.description).joined(separator: " -> ")))"
            }
            return
                "AWS config \(placement.configFile ?? placement.folder) with profiles \(profiles.joined(separator: ", ")): credentials are fetched when first used\(validUntil)"
        case .env, .webIdentity:
            return
                "web identity for \(first.webIdentity.role) via \(first.rule.label) as session \(first.webIdentity.sessionName): AWS SDKs assume the role themselves with the job's ID token\(validUntil)"
        }
    }

    /// `mode = "shadow"`: what an enforcing run would do; nothing was called or written.
    public var shadowLine: String {
        let would: String
        switch action {
        case let .skip(reason):
            would = "would give this job nothing: " + skipLine(reason)
        case let .reuse(exchange, _):
            would = "would reuse the credentials for \(exchange.finalRole) written earlier in this job"
        case let .exchange(exchange):
            would = "would assume \(exchange.hops)"
        case let .place(placement):
            let grants = placement.grants.map { grant in
                grant.exchange.hops + (grant.profile.map { " (profile \($0))" } ?? "")
            }
            would =
                "would assume \(grants.joined(separator: "; ")) (output = \"\(placement.output.rawValue)\": AWS SDKs assume the roles)"
        }
        return "shadow mode: \(would); nothing was called or written (mode = \"shadow\")"
    }

    /// `line` with the mapping's `help` after it.
    func withHelp(_ line: String) -> String {
        guard let help, !help.isEmpty else { return line }
        return "\(line). \(help)"
    }
}
