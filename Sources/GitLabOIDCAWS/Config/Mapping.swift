/// What the hook does when a job has no ID token, or when no rule matches its token.
public enum MissPolicy: String, Sendable, CaseIterable {
    /// Exit 0 and write nothing: the job runs without AWS credentials from the hook.
    case skip
    /// Exit 1: the job fails before its script runs.
    case fail
}

/// How the credentials reach the job.
public enum OutputMode: String, Sendable, CaseIterable {
    /// Static keys in the env file.
    case env
    /// The token in a file plus `AWS_ROLE_ARN` / `AWS_WEB_IDENTITY_TOKEN_FILE`: SDKs assume the
    /// role themselves and refresh it.
    case webIdentity = "web-identity"
    /// An AWS config file whose profiles call `gitlab-oidc-aws credential-process`.
    case profile
}

/// Retry and timeout settings for every HTTPS call (STS and the issuer's keys).
public struct RetrySettings: Equatable, Sendable {
    /// Attempts per call, the first one included.
    public var maxAttempts: Int = 5
    /// Seconds for all attempts of one call together.
    public var deadline: Double = 60
    /// Seconds to establish a connection.
    public var connectTimeout: Double = 5
    /// Seconds for one attempt, connection included.
    public var requestTimeout: Double = 15
    /// First backoff step in seconds; each later step doubles (full jitter).
    public var initialBackoff: Double = 0.2

    public init() {}

    /// The values the mapping file accepts for `max_attempts`, `deadline`, `connect_timeout`
    /// and `request_timeout`.
    public static let attemptLimits = 1...20
    public static let deadlineLimits = 1.0...3600
    public static let connectTimeoutLimits = 0.1...300.0
    public static let requestTimeoutLimits = 0.1...3600.0

    /// Whether every value is one a mapping file can give (finite, in range, the connect
    /// timeout not longer than the request timeout, a backoff step of at most 20 s).
    public var isWithinLimits: Bool {
        RetrySettings.attemptLimits.contains(maxAttempts) && RetrySettings.deadlineLimits.contains(deadline)
            && RetrySettings.connectTimeoutLimits.contains(connectTimeout)
            && RetrySettings.requestTimeoutLimits.contains(requestTimeout) && connectTimeout <= requestTimeout
            && (0...20).contains(initialBackoff)
    }
}

/// The session lengths, in seconds, that STS and the mapping file accept for `duration`.
public let durationLimits = 900...43200

/// One `match` condition: the claim must equal one of the patterns.
public struct Condition: Equatable, Sendable {
    /// The token claim the condition tests.
    public let claim: String
    /// The patterns, any of which may match (OR).
    public let patterns: [Pattern]
    /// Line of the condition in the mapping file.
    public let line: Int

    public init(claim: String, patterns: [Pattern], line: Int) {
        self.claim = claim
        self.patterns = patterns
        self.line = line
    }
}

/// Whether the hook acts on what it decides, or only says what it would do.
public enum HookMode: String, Sendable, CaseIterable {
    /// Assume roles and write the job's environment.
    case enforce
    /// Verify and match, log `would assume ROLE via RULE`, call no STS, write nothing, exit 0:
    /// for rolling a mapping out on a live fleet.
    case shadow
}

/// One session tag of a chain hop: a key, and a template over the token's verified claims
/// for the value (`{ project = "{project_path}" }`).
public struct SessionTagTemplate: Equatable, Sendable {
    public let key: String
    /// `{claim}` placeholders render the claim's value.
    public let value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// One `[[rule.chain]]` entry: a role assumed with STS `AssumeRole`, signed with the
/// credentials of the hop before it.
public struct ChainHop: Equatable, Sendable {
    /// The session lengths, in seconds, AWS allows for a chained session (at most one hour).
    public static let durationLimits = 900...3600
    /// AWS's limit on session tags per `AssumeRole` call.
    public static let maximumTags = 50

    public let role: RoleARN
    public let externalID: String?
    /// Seconds, within `durationLimits`; nil: the smaller of 3600 and the rule's duration.
    public let duration: Int?
    /// Template of the hop's session name; nil: the rule's.
    public let sessionName: String?
    /// Session tags, in file order.
    public let tags: [SessionTagTemplate]
    /// Keys of `tags` that are transitive (passed on to later hops).
    public let transitiveTagKeys: [String]
    /// Compact JSON of the inline session policy.
    public let sessionPolicy: String?
    public let policyARNs: [String]
    /// Line of the entry's `[[rule.chain]]` header.
    public let line: Int

    public init(
        role: RoleARN, externalID: String? = nil, duration: Int? = nil, sessionName: String? = nil,
        tags: [SessionTagTemplate] = [], transitiveTagKeys: [String] = [], sessionPolicy: String? = nil,
        policyARNs: [String] = [], line: Int
    ) {
        self.role = role
        self.externalID = externalID
        self.duration = duration
        self.sessionName = sessionName
        self.tags = tags
        self.transitiveTagKeys = transitiveTagKeys
        self.sessionPolicy = sessionPolicy
        self.policyARNs = policyARNs
        self.line = line
    }

    /// The hop's session length for a rule whose duration is `ruleDuration`.
    public func effectiveDuration(ruleDuration: Int) -> Int {
        duration ?? min(ChainHop.durationLimits.upperBound, ruleDuration)
    }
}

/// What a rule gives the jobs it matches first: a role (and any chain after it), or
/// deliberately nothing.
public enum RuleAction: Equatable, Sendable {
    /// `skip = true`: no credentials, exit 0, one log line naming the rule.
    case skip
    /// Assume a role with the job's token, then each hop of its chain.
    case assume(RoleAssumption)
}

/// The role a rule assumes, its chain, and the rule's overrides of the top-level settings.
public struct RoleAssumption: Equatable, Sendable {
    /// The role assumed with `AssumeRoleWithWebIdentity`.
    public let role: RoleARN
    /// Roles assumed after it, in order; empty for most rules.
    public let chain: [ChainHop]
    public let region: String?
    public let duration: Int?
    public let sessionName: String?
    /// Compact JSON of the inline session policy.
    public let sessionPolicy: String?
    public let policyARNs: [String]
    public let output: OutputMode?
    /// The AWS profile name this rule provides when the output is `profile`.
    public let profile: String?
    /// Accounts the credentials may belong to; replaces the top-level list. Nil: the top-level one.
    public let allowedAccountIDs: [String]?

    public init(
        role: RoleARN, chain: [ChainHop] = [], region: String? = nil, duration: Int? = nil,
        sessionName: String? = nil, sessionPolicy: String? = nil, policyARNs: [String] = [],
        output: OutputMode? = nil, profile: String? = nil, allowedAccountIDs: [String]? = nil
    ) {
        self.role = role
        self.chain = chain
        self.region = region
        self.duration = duration
        self.sessionName = sessionName
        self.sessionPolicy = sessionPolicy
        self.policyARNs = policyARNs
        self.output = output
        self.profile = profile
        self.allowedAccountIDs = allowedAccountIDs
    }

    /// The role whose credentials the job finally gets: the last hop's.
    public var finalRole: RoleARN { chain.last?.role ?? role }

    /// Every role assumed, in order: the web-identity role, then the chain.
    public var roles: [RoleARN] { [role] + chain.map(\.role) }
}

/// One `[[rule]]` of the mapping file.
public struct Rule: Equatable, Sendable {
    /// 1-based position among the rules.
    public let number: Int
    /// Line of the rule's `[[rule]]` header.
    public let line: Int
    /// The optional `name`.
    public let name: String?
    /// Every condition must hold (AND), in file order.
    public let conditions: [Condition]
    /// What the jobs the rule matches first get.
    public let action: RuleAction

    public init(number: Int, line: Int, name: String?, conditions: [Condition], action: RuleAction) {
        self.number = number
        self.line = line
        self.name = name
        self.conditions = conditions
        self.action = action
    }

    /// A rule that assumes `role` (then `chain`), with the given overrides.
    public init(
        number: Int, line: Int, name: String?, role: RoleARN, conditions: [Condition],
        region: String? = nil, duration: Int? = nil, sessionName: String? = nil,
        sessionPolicy: String? = nil, policyARNs: [String] = [], output: OutputMode? = nil,
        profile: String? = nil, chain: [ChainHop] = [], allowedAccountIDs: [String]? = nil
    ) {
        self.init(
            number: number, line: line, name: name, conditions: conditions,
            action: .assume(
                RoleAssumption(
                    role: role, chain: chain, region: region, duration: duration, sessionName: sessionName,
                    sessionPolicy: sessionPolicy, policyARNs: policyARNs, output: output, profile: profile,
                    allowedAccountIDs: allowedAccountIDs)))
    }

    /// The role the rule assumes and its settings; nil for a `skip` rule.
    public var assumption: RoleAssumption? {
        guard case let .assume(assumption) = action else { return nil }
        return assumption
    }

    /// The web-identity role of the rule; nil for a `skip` rule.
    public var role: RoleARN? { assumption?.role }

    /// How logs and `explain` refer to the rule: its name, or its number and line.
    public var label: String {
        if let name { return "rule \(number) \"\(name)\"" }
        return "rule \(number) (line \(line))"
    }
}

/// The administrator's mapping file, loaded and validated.
public struct Mapping: Equatable, Sendable {
    /// The file it was loaded from, for messages.
    public var path: String = "<memory>"
    public var issuer: String
    public var audiences: [String] = ["sts.amazonaws.com"]
    public var tokenVariables: [String] = ["AWS_ID_TOKEN"]
    public var jwksURL: String?
    public var cacheDirectory: String?
    public var region: String = "us-east-1"
    public var stsEndpoint: String?
    public var stsFIPS: Bool = false
    public var caFile: String?
    public var duration: Int = 3600
    public var sessionName: String = "gitlab-{project_id}-{job_id}"
    public var output: OutputMode = .env
    public var blockInstanceMetadata: Bool = false
    public var onNoToken: MissPolicy = .skip
    public var onNoMatch: MissPolicy = .skip
    public var retry = RetrySettings()
    public var mode: HookMode = .enforce
    /// Appended to every message for a job that wanted credentials and did not get them.
    public var help: String?
    /// Accounts the credentials may belong to (12-digit ids); nil: any account.
    public var allowedAccountIDs: [String]?
    /// The rules, in file order.
    public var rules: RuleList = []

    public init(issuer: String, rules: [Rule] = []) {
        self.issuer = issuer
        self.rules = RuleList(rules)
    }
}

/// Which accounts a rule's credentials may belong to, and which setting says so.
public struct AccountAllowList: Equatable, Sendable {
    /// 12-digit account ids.
    public let accounts: [String]
    /// The setting that gave the list, for messages: `allowed_account_ids` or
    /// `allowed_account_ids of rule 3 "deploy"`.
    public let setting: String

    public init(accounts: [String], setting: String) {
        self.accounts = accounts
        self.setting = setting
    }

    public func allows(account: String) -> Bool { accounts.contains(account) }
}

/// The settings that apply to one rule's role: its overrides over the top-level defaults.
public struct EffectiveSettings: Equatable, Sendable {
    public let region: String
    public let duration: Int
    public let sessionNameTemplate: String
    public let output: OutputMode
    /// The accounts the credentials may belong to; nil: any.
    public let allowedAccounts: AccountAllowList?

    /// The settings of `rule`'s role, which `assumption` is.
    public init(_ assumption: RoleAssumption, of rule: Rule, mapping: Mapping) {
        region = assumption.region ?? mapping.region
        duration = assumption.duration ?? mapping.duration
        sessionNameTemplate = assumption.sessionName ?? mapping.sessionName
        output = assumption.output ?? mapping.output
        if let accounts = assumption.allowedAccountIDs {
            allowedAccounts = AccountAllowList(accounts: accounts, setting: "allowed_account_ids of \(rule.label)")
        } else {
            allowedAccounts = mapping.allowedAccountIDs.map {
                AccountAllowList(accounts: $0, setting: "allowed_account_ids")
            }
        }
    }

    /// The settings of `rule`; nil for a `skip` rule, which assumes nothing.
    public init?(rule: Rule, mapping: Mapping) {
        guard let assumption = rule.assumption else { return nil }
        self.init(assumption, of: rule, mapping: mapping)
    }
}
