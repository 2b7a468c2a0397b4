/// The hook refused to give the job credentials, by the mapping's rules or for lack of what
/// it needs. Nothing was written.
public enum HookError: UserFacingError, Equatable, Sendable {
    /// `on_no_token = "fail"` and none of `token_variables` holds a token.
    case noToken(variables: [String])
    /// `on_no_match = "fail"` and no rule matches the token.
    case noMatchingRule(project: String, ref: String, closest: RuleMiss?)
    /// A rule with a chain and `output = "web-identity"`: SDKs would stop at the first role.
    case webIdentityChain(rule: String)
    /// The credentials (or a role handed to the job) belong to an account the mapping does
    /// not allow.
    case accountNotAllowed(account: String, role: String, setting: String)
    /// `output = "profile"` needs this program's path for the AWS config file.
    case unknownExecutablePath

    public var exitCategory: ExitCategory {
        switch self {
        case .webIdentityChain: return .invalidConfiguration
        case .noToken, .noMatchingRule, .accountNotAllowed, .unknownExecutablePath:
            return .credentialsUnavailable
        }
    }

    public var responsibility: Responsibility {
        switch self {
        case .noToken: return .pipeline
        case .noMatchingRule, .webIdentityChain, .accountNotAllowed, .unknownExecutablePath:
            return .runnerAdministrator
        }
    }

    public var description: String {
        switch self {
        case let .noToken(variables):
            return "the job has no ID token in \(variables.joined(separator: ", ")) and the mapping requires one (on_no_token = \"fail\"); add to the job: id_tokens: { \(variables.first ?? JobToken.defaultVariable): { aud: sts.amazonaws.com } }"
        case let .noMatchingRule(project, ref, closest):
            let nearest = closest.map { "; closest: \($0)" } ?? ""
            return "no rule of the mapping matches this job (project \(LogText.oneLine(project, limit: 256)), ref \(LogText.oneLine(ref, limit: 256)))\(nearest), and the mapping requires one (on_no_match = \"fail\"); `gitlab-oidc-aws explain` with the job's claims shows why"
        case let .webIdentityChain(rule):
            return "\(rule) has a [[rule.chain]] and output = \"web-identity\", which cannot carry one (AWS SDKs would stop at the first role); use output = \"env\" or \"profile\" for this rule"
        case let .accountNotAllowed(account, role, setting):
            return "refusing credentials for \(role): its account \(account) is not in \(setting); nothing was written"
        case .unknownExecutablePath:
            return "cannot find this program's own path (/proc/self/exe is unreadable), which the AWS config file must name for credential_process; mount /proc, or use output = \"web-identity\" or \"env\""
        }
    }
}
