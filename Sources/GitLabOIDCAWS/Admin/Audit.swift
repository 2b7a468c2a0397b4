/// Why `audit` could not audit at all. Never holds a secret.
public enum AuditError: UserFacingError, Equatable, Sendable {
    /// `AWS_ACCESS_KEY_ID` or `AWS_SECRET_ACCESS_KEY` is unset or empty.
    case noCredentials
    /// `--account` names an account none of the mapping's roles belongs to.
    case noRoleInAccount(account: String, accounts: [String])
    /// STS did not say whose the credentials are.
    case callerIdentity(STSError, accessKeyID: String)
    /// IAM could not be reached (after retries); every other role would fail alike.
    case iamUnreachable(IAMError)

    /// No credentials is a setup problem (exit 2), like an invalid mapping; the rest mean the
    /// roles could not be read (exit 1).
    public var exitCategory: ExitCategory {
        self == .noCredentials ? .invalidConfiguration : .credentialsUnavailable
    }

    public var responsibility: Responsibility { .runnerAdministrator }

    public var description: String {
        switch self {
        case .noCredentials:
            return "no AWS credentials: audit reads IAM with the credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (for temporary ones) AWS_SESSION_TOKEN; set them to credentials that may call iam:GetRole on the mapped roles"
        case let .noRoleInAccount(account, accounts):
            let known = accounts.isEmpty ? "it assumes no role" : "its roles are in \(accounts.joined(separator: ", "))"
            return "no role of the mapping is in account \(account) (\(known)); check --account"
        case let .callerIdentity(error, accessKeyID):
            let key = LogText.oneLine(accessKeyID, limit: 32)
            switch error.attemptError {
            case let .service(status, code, message, requestID):
                var text = "STS refused GetCallerIdentity for access key \(key): \(LogText.oneLine(code, limit: 64)): \(LogText.oneLine(message, limit: 512)) (HTTP \(status)"
                if let requestID { text += ", request ID \(LogText.oneLine(requestID, limit: 64))" }
                return text
                    + "); check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the clock (AWS allows 5 minutes of skew)"
            case let .unexpectedAnswer(status, reason):
                return "STS answered HTTP \(status) to GetCallerIdentity with something that is not an STS response (\(LogText.oneLine(reason, limit: 256))); check --sts-endpoint-url (or --endpoint-url)"
            case let .transport(transportError):
                return "cannot reach STS for GetCallerIdentity: \(transportError)"
            case .failed:
                return "STS GetCallerIdentity failed"
            }
        case let .iamUnreachable(error):
            return "\(error); nothing more was audited"
        }
    }
}

/// What `audit` says about one role.
public struct RoleAudit: Equatable, Sendable {
    /// The verdict, most of them from the comparison's findings.
    public enum Verdict: String, Sendable, CaseIterable {
        case inLine = "in-line"
        case admitsMore = "admits-more"
        case admitsLess = "admits-less"
        case admitsMoreAndLess = "admits-more-and-less"
        case notAnalysed = "not-analysed"
        case missing
        case notReadable = "not-readable"
        case failed

        /// How the report says it.
        public var phrase: String {
            switch self {
            case .inLine: return "in line"
            case .admitsMore: return "admits more than the mapping"
            case .admitsLess: return "admits less than the mapping"
            case .admitsMoreAndLess: return "admits more and less than the mapping"
            case .notAnalysed: return "could not be fully analysed"
            case .missing: return "missing"
            case .notReadable: return "not readable with these credentials"
            case .failed: return "could not be audited"
            }
        }
    }

    public let role: RoleARN
    public let verdict: Verdict
    /// Why the role is missing, not readable, could not be audited or analysed; nil otherwise.
    public let detail: String?
    public let findings: [AuditFinding]

    public init(role: RoleARN, verdict: Verdict, detail: String? = nil, findings: [AuditFinding] = []) {
        self.role = role
        self.verdict = verdict
        self.detail = detail
        self.findings = findings
    }

    /// The verdict of a comparison's findings: drift when any admits more or less, else not
    /// analysed when anything could not be, else in line.
    public init(role: RoleARN, findings: [AuditFinding]) {
        let more = findings.contains { $0.kind == .admitsMore }
        let less = findings.contains { $0.kind == .admitsLess }
        let verdict: Verdict
        switch (more, less) {
        case (true, true): verdict = .admitsMoreAndLess
        case (true, false): verdict = .admitsMore
        case (false, true): verdict = .admitsLess
        case (false, false): verdict = findings.isEmpty ? .inLine : .notAnalysed
        }
        self.init(role: role, verdict: verdict, findings: findings)
    }
}

/// The outcome of `audit`: one verdict per audited role.
public struct AuditReport: Sendable {
    /// Whose credentials read IAM; nil when there was no role to audit.
    public let caller: CallerIdentity?
    /// `--account`, when given.
    public let account: String?
    public let roles: [RoleAudit]

    public init(caller: CallerIdentity?, account: String?, roles: [RoleAudit]) {
        self.caller = caller
        self.account = account
        self.roles = roles
    }

    /// Whether every audited role is in line (`audit` exits 0).
    public var isInLine: Bool { roles.allSatisfy { $0.verdict == .inLine } }

    /// `2 in line, 1 missing`, in the order of `Verdict.allCases`.
    public var counts: String {
        RoleAudit.Verdict.allCases.compactMap { verdict in
            let count = roles.filter { $0.verdict == verdict }.count
            return count == 0 ? nil : "\(count) \(verdict.phrase)"
        }.joined(separator: ", ")
    }

    /// One line per role (`ROLE: verdict`), each detail and finding indented below it, then
    /// a summary line.
    public var text: String {
        var lines: [String] = []
        for role in roles {
            lines.append("\(role.role): \(role.verdict.phrase)")
            if let detail = role.detail { lines.append("  - \(LogText.oneLine(detail, limit: 4096))") }
            for finding in role.findings { lines.append("  - \(LogText.oneLine(finding.description, limit: 4096))") }
        }
        guard let caller else {
            lines.append("audit: the mapping assumes no role; nothing to audit")
            return lines.joined(separator: "\n")
        }
        let scope = account.map { " of account \($0)" } ?? ""
        let noun = roles.count == 1 ? "role" : "roles"
        lines.append("audit: \(roles.count) \(noun)\(scope), read with the credentials of \(caller.arn): \(counts)")
        return lines.joined(separator: "\n")
    }

    /// `--format json`.
    public var json: JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        let roleValues: [JSONValue] = roles.map { role in
            .object([
                ("role", .string(role.role.description)),
                ("account", .string(role.role.account)),
                ("verdict", .string(role.verdict.rawValue)),
                ("summary", .string(role.verdict.phrase)),
                ("detail", optional(role.detail)),
                (
                    "findings",
                    .array(
                        role.findings.map { finding in
                            .object([
                                ("kind", .string(finding.kind.rawValue)),
                                ("statement", optional(finding.statement)),
                                ("message", .string(finding.message)),
                            ])
                        })
                ),
            ])
        }
        return .object([
            (
                "credentials",
                caller.map { .object([("account", .string($0.account)), ("arn", .string($0.arn))]) } ?? .null
            ),
            ("account", optional(account)),
            ("in_line", .bool(isInLine)),
            ("roles", .array(roleValues)),
        ])
    }
}

/// `audit`: reads each mapped role's live trust policy with IAM `GetRole` and compares it with
/// what the mapping sends to the role (`TrustPolicyComparison`).
public enum Audit {
    /// How `audit` prints its report.
    public enum Format: String, Sendable, CaseIterable {
        case text
        case json
    }

    /// Audits every role of `mapping` (those of `account` only, when given) with the
    /// credentials of `environment`: first STS `GetCallerIdentity` (at `stsEndpoint`, else
    /// `iamEndpoint`, else the partition's global STS endpoint), then IAM `GetRole` (at
    /// `iamEndpoint`, else the partition's global IAM endpoint) for each role of the
    /// credentials' account. Retries, timeouts and extra CAs follow the mapping's settings;
    /// `log` gets one line per failed attempt.
    public static func run(
        mapping: Mapping, account: String?, iamEndpoint: String?, stsEndpoint: String?,
        environment: (String) -> String?, transport: any HTTPTransport, clock: Clock = .system,
        log: @escaping (String) -> Void
    ) throws(AuditError) -> AuditReport {
        guard let credentials = SigV4.Credentials.fromEnvironment(environment) else { throw .noCredentials }
        let allRoles = TrustPolicy.roles(in: mapping)
        var roles = allRoles
        if let account {
            roles = roles.filter { $0.account == account }
            guard !roles.isEmpty else {
                let accounts = TrustPolicyComparison.uniqued(allRoles.map(\.account))
                throw .noRoleInAccount(account: account, accounts: accounts)
            }
        }
        guard let first = roles.first else { return AuditReport(caller: nil, account: account, roles: []) }
        let settings = TransportSettings(connectTimeout: mapping.retry.connectTimeout, caFile: mapping.caFile)
        // IAM's refusals (a missing role, one these credentials may not read) are verdicts
        // of the report; the retrier's line that it does not retry them would only repeat it.
        let notRetried = Retrier.line(
            "", attempt: 1, of: mapping.retry, step: .giveUp(.notRetryable), error: "", elapsed: 0)
        let retrier = Retrier(settings: mapping.retry, clock: clock) { line in
            if !line.hasSuffix(notRetried) { log(line) }
        }
        let sts = CallerIdentity.endpoint(partition: first.partition, override: stsEndpoint ?? iamEndpoint)
        let caller: CallerIdentity
        do {
            caller = try CallerIdentity.fetch(
                endpoint: sts.url, region: sts.region, credentials: credentials, transport: transport,
                settings: settings, retrier: retrier)
        } catch {
            throw .callerIdentity(error, accessKeyID: credentials.accessKeyID)
        }
        let iam = IAM.endpoint(partition: caller.partition, override: iamEndpoint)
        var audits: [RoleAudit] = []
        for role in roles {
            guard role.account == caller.account, role.partition == caller.partition else {
                audits.append(assess(role: role, answer: nil, mapping: mapping, caller: caller))
                continue
            }
            let answer: Result<IAM.Role, IAMError>
            do {
                answer = .success(
                    try IAM.getRole(
                        role, endpoint: iam.url, region: iam.region, credentials: credentials, transport: transport,
                        settings: settings, retrier: retrier))
            } catch {
                if case .transport = error.kind { throw .iamUnreachable(error) }
                answer = .failure(error)
            }
            audits.append(assess(role: role, answer: answer, mapping: mapping, caller: caller))
        }
        return AuditReport(caller: caller, account: account, roles: audits)
    }

    /// The verdict on `role` from IAM's answer to `GetRole` (nil: not asked, because the
    /// role is not in the account of the credentials of `caller`).
    public static func assess(
        role: RoleARN, answer: Result<IAM.Role, IAMError>?, mapping: Mapping, caller: CallerIdentity
    ) -> RoleAudit {
        guard let answer else {
            return RoleAudit(
                role: role, verdict: .notReadable,
                detail:
                    "these credentials act in account \(caller.account) (\(caller.arn)), and IAM shows a role only to its own account (\(role.account)); audit it with credentials of account \(role.account) and --account \(role.account)"
            )
        }
        switch answer {
        case let .success(live):
            let findings = TrustPolicyComparison.findings(
                live.trustPolicy, maxSessionDuration: live.maxSessionDuration,
                expected: TrustExpectation(role: role, mapping: mapping))
            return RoleAudit(role: role, findings: findings)
        case let .failure(error):
            switch error.kind {
            case .noSuchRole:
                return RoleAudit(
                    role: role, verdict: .missing,
                    detail: "IAM has no role named \(role.name) in account \(role.account)")
            case let .otherRole(returned):
                return RoleAudit(
                    role: role, verdict: .missing,
                    detail:
                        "IAM's role named \(role.name) in account \(role.account) is \(LogText.oneLine(returned, limit: 256)), whose path differs from the mapping's ARN: the role the mapping names does not exist"
                )
            case let .accessDenied(message):
                return RoleAudit(
                    role: role, verdict: .notReadable,
                    detail:
                        "IAM refused GetRole in account \(role.account) (\(LogText.oneLine(message, limit: 512))): these credentials (\(caller.arn)) need iam:GetRole on the role"
                )
            case let .unreadableTrustPolicy(reason):
                return RoleAudit(
                    role: role, verdict: .notAnalysed,
                    detail: "its trust policy uses something audit cannot analyse: \(LogText.oneLine(reason, limit: 512))")
            case .service, .unexpectedAnswer, .transport:
                return RoleAudit(role: role, verdict: .failed, detail: error.description)
            }
        }
    }
}
