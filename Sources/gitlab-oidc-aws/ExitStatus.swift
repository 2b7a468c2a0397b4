import GitLabOIDCAWS

/// The one place where errors become exit codes.
///
/// 0 = done or nothing to do; 1 = the job wanted credentials and could not get them;
/// 2 = the mapping file (or the job environment file's location) is unusable; 64 = bad usage.
enum ExitStatus {
    static func code(for error: Error) -> Int32 {
        switch error {
        case is ConfigError: return 2
        case let error as OutputError: return error == .noEnvFile ? 2 : 1
        case is TokenError, is KeySetError, is STSError, is TransportError, is HookError, is UnmappedRoleError,
            is CredentialProcessError:
            return 1
        case is UsageError: return 64
        default: return 1
        }
    }

    /// `explain`: the claims match no rule.
    static let noRuleMatches: Int32 = 1

    /// `check --strict`: the file is valid but has warnings.
    static let strictWarnings: Int32 = 1
}

/// A command line that parses but cannot be acted on.
struct UsageError: Error, CustomStringConvertible {
    let description: String
}
