/// One line of `doctor`'s checklist: what was checked, how it went, the one fact that
/// matters, and, when it did not pass, what to do.
public struct DoctorCheck: Equatable, Sendable {
    public enum Status: String, Equatable, Sendable {
        /// As the hook needs it.
        case ok
        /// Jobs still get credentials, but something is worth a look.
        case warn
        /// The hook would fail (or give nothing) where it should not.
        case fail

        /// The mark at the start of the line: `ok`, `warn`, `FAIL`.
        public var mark: String {
            switch self {
            case .ok: return "ok"
            case .warn: return "warn"
            case .fail: return "FAIL"
            }
        }
    }

    /// What was checked, as a stable word for scripts: `mapping`, `mode`, `ca`, `proxy`,
    /// `issuer`, `clock`, `cache`, `sts`, `token`, `rule`, `exchange`.
    public let name: String
    public let status: Status
    /// What was checked and the one fact that matters, on one line.
    public let summary: String
    /// Lines that belong to the finding (the mapping's errors with their line numbers).
    public let details: [String]
    /// What to do; nil when there is nothing to do.
    public let advice: String?

    public init(name: String, status: Status, summary: String, details: [String] = [], advice: String? = nil) {
        self.name = name
        self.status = status
        self.summary = summary
        self.details = details
        self.advice = advice
    }

    static func ok(_ name: String, _ summary: String) -> DoctorCheck {
        DoctorCheck(name: name, status: .ok, summary: summary)
    }

    static func warn(_ name: String, _ summary: String, advice: String? = nil) -> DoctorCheck {
        DoctorCheck(name: name, status: .warn, summary: summary, advice: advice)
    }

    static func fail(_ name: String, _ summary: String, advice: String?) -> DoctorCheck {
        DoctorCheck(name: name, status: .fail, summary: summary, advice: advice)
    }
}

/// What `doctor` found: the checklist in order, and what it means for the exit status.
public struct DoctorReport: Sendable {
    /// The mapping file as given.
    public let configPath: String
    public let checks: [DoctorCheck]
    /// The mapping file could not be loaded, so only what needs no mapping was checked.
    public let mappingInvalid: Bool
    /// Whether a token was given (`--token-file`), so that an exchange was tried.
    public let tokenGiven: Bool

    public init(configPath: String, checks: [DoctorCheck], mappingInvalid: Bool, tokenGiven: Bool) {
        self.configPath = configPath
        self.checks = checks
        self.mappingInvalid = mappingInvalid
        self.tokenGiven = tokenGiven
    }

    public var failures: Int { checks.filter { $0.status == .fail }.count }
    public var warnings: Int { checks.filter { $0.status == .warn }.count }

    /// Nil when every check passed (warnings allowed); otherwise the category of the exit
    /// status: an invalid mapping first (exit 2), then any failed check (exit 1).
    public var exitCategory: ExitCategory? {
        if mappingInvalid { return .invalidConfiguration }
        return failures > 0 ? .credentialsUnavailable : nil
    }

    /// The checklist for people: one line per check (`ok  `, `warn`, `FAIL`, then what was
    /// checked and the fact), indented lines under it with details and what to do, and a
    /// last line with the verdict.
    public var text: String {
        var lines: [String] = []
        for check in checks {
            let mark = check.status.mark
            lines.append(
                mark + String(repeating: " ", count: 5 - mark.count) + LogText.oneLine(check.summary, limit: 2048))
            for detail in check.details { lines.append("     " + LogText.oneLine(detail, limit: 2048)) }
            if let advice = check.advice { lines.append("     " + LogText.oneLine(advice, limit: 2048)) }
        }
        lines.append(verdict)
        return lines.joined(separator: "\n")
    }

    /// The last line: whether the hook can work here, and how many checks said what.
    public var verdict: String {
        let warned = warnings == 0 ? "" : " (\(DoctorText.count(warnings, "warning")))"
        if mappingInvalid {
            return
                "the mapping cannot be loaded: every job that holds an ID token would fail (exit 2); fix it and run doctor again"
        }
        if failures > 0 {
            return
                "\(failures) of \(DoctorText.count(checks.count, "check")) failed\(warned): jobs on this runner would not get their credentials"
        }
        let next = tokenGiven ? "" : "; add --token-file FILE with a job's ID token to try one real exchange"
        return "all \(DoctorText.count(checks.count, "check")) passed\(warned)\(next)"
    }

    /// The checklist for scripts: `{"config", "result", "checks": [{"check", "status",
    /// "summary", "details", "advice"}]}`, `result` being `ok`, `failed` or `invalid-mapping`.
    public var json: JSONValue {
        let result: String
        switch exitCategory {
        case nil: result = "ok"
        case .invalidConfiguration?: result = "invalid-mapping"
        case .credentialsUnavailable?, .usage?: result = "failed"
        }
        return .object([
            ("config", .string(configPath)),
            ("result", .string(result)),
            (
                "checks",
                .array(
                    checks.map { check in
                        .object([
                            ("check", .string(check.name)), ("status", .string(check.status.rawValue)),
                            ("summary", .string(check.summary)), ("details", .array(check.details.map { .string($0) })),
                            ("advice", check.advice.map { .string($0) } ?? .null),
                        ])
                    })
            ),
        ])
    }
}

/// Small wording helpers of the checklist.
enum DoctorText {
    /// `1 rule`, `2 rules`.
    static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }

    /// `45 s`, `12 min`, `2 h 5 min` for a positive number of seconds.
    static func duration(_ seconds: Int64) -> String {
        if seconds < 120 { return "\(seconds) s" }
        let minutes = seconds / 60
        if minutes < 120 { return "\(minutes) min" }
        let rest = minutes % 60
        return rest == 0 ? "\(minutes / 60) h" : "\(minutes / 60) h \(rest) min"
    }

    /// `rule 1`, `rules 1, 3`.
    static func rules(_ numbers: [Int]) -> String {
        (numbers.count == 1 ? "rule " : "rules ") + numbers.map(String.init).joined(separator: ", ")
    }
}
