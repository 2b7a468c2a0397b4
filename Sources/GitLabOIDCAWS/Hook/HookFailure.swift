/// Why a hook run (or `credential-process`) ended without the credentials the job wanted,
/// by the domain that failed. Each wrapped error declares its message, exit category and
/// whose problem it is; this type only passes them on.
public enum HookFailure: UserFacingError, Equatable, Sendable {
    /// The mapping file is unreadable or invalid.
    case configuration(ConfigError)
    /// The env file (or a file in the job folder) cannot be used or written.
    case output(OutputError)
    /// The token was refused.
    case token(TokenError)
    /// STS refused, answered nonsense, or could not be reached.
    case sts(STSError)
    /// The mapping's rules refuse, or something the plan needs is missing.
    case refused(HookError)
    /// `credential-process` cannot act on what the hook wrote.
    case credentialProcess(CredentialProcessError)

    /// The error this failure wraps.
    public var underlying: any UserFacingError {
        switch self {
        case let .configuration(error): return error
        case let .output(error): return error
        case let .token(error): return error
        case let .sts(error): return error
        case let .refused(error): return error
        case let .credentialProcess(error): return error
        }
    }

    public var exitCategory: ExitCategory { underlying.exitCategory }
    public var responsibility: Responsibility { underlying.responsibility }
    public var description: String { underlying.description }

    /// The job-log lines (without the `gitlab-oidc-aws: ` prefix each gets): the error, whose
    /// problem it is, and the mapping's `help`. A broken mapping gets one line per error in it
    /// first (its warnings are for `check`), then one saying what it means for the job.
    public func logLines(help: String?) -> [String] {
        var lines: [String] = []
        let message: String
        if case let .configuration(error) = self {
            lines += error.errors.map(\.description)
            let file = error.diagnostics.first?.file ?? "the mapping file"
            message = "the runner's mapping file \(file) cannot be used, so this job gets no AWS credentials"
        } else {
            message = description
        }
        var last = "error: \(message) \(responsibility.advice)"
        if let help, !help.isEmpty { last += " \(help)" }
        return lines + [last]
    }
}

/// What a hook run did.
public enum HookOutcome: Equatable, Sendable {
    /// The job holds no ID token: nothing was read, written or logged.
    case skippedNoToken
    /// No rule matches the token (`on_no_match = "skip"`); the closest rule, when one came near.
    case skippedNoMatch(closest: RuleMiss?)
    /// The first matching rule is a `skip` rule.
    case skippedByRule(rule: String)
    /// Credentials (`env`) or what SDKs need (`web-identity`, `profile`) were written for
    /// `roles` (every hop, in order) through `rule`.
    case wrote(roles: [String], rule: String, sessionName: String)
    /// What an earlier run in this job wrote for `role` is still good; nothing was written.
    case reused(role: String)
    /// `mode = "shadow"`: nothing was called or written; the line says what would have been.
    case shadowed(String)
}
