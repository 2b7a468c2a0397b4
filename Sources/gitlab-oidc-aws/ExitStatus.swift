import GitLabOIDCAWS

/// The one place where failures become exit codes.
///
/// 0 = done or nothing to do; 1 = the job wanted credentials and could not get them;
/// 2 = the mapping file (or the job environment file's location) is unusable; 64 = bad usage.
enum ExitStatus {
    static func code(for category: ExitCategory) -> Int32 {
        switch category {
        case .credentialsUnavailable: return 1
        case .invalidConfiguration: return 2
        case .usage: return 64
        }
    }

    /// `explain`: the claims match no rule.
    static let noRuleMatches: Int32 = 1

    /// `check --strict`: the file is valid but has warnings.
    static let strictWarnings: Int32 = 1
}

/// What `explain` and `trust-policy` can end with.
enum AdminFailure: UserFacingError {
    case configuration(ConfigError)
    /// `explain --token-file` names a file that cannot be read.
    case tokenFile(FileError)
    case token(TokenError)
    case unmappedRole(UnmappedRoleError)

    var exitCategory: ExitCategory {
        switch self {
        case let .configuration(error): return error.exitCategory
        case .tokenFile: return .credentialsUnavailable
        case let .token(error): return error.exitCategory
        case let .unmappedRole(error): return error.exitCategory
        }
    }

    var responsibility: Responsibility { .runnerAdministrator }

    var description: String {
        switch self {
        case let .configuration(error): return error.description
        case let .tokenFile(error): return error.description
        case let .token(error): return error.description
        case let .unmappedRole(error): return error.description
        }
    }
}
