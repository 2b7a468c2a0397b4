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

/// One `[[rule]]` of the mapping file.
public struct Rule: Equatable, Sendable {
    /// 1-based position among the rules.
    public let number: Int
    /// Line of the rule's `[[rule]]` header.
    public let line: Int
    /// The optional `name`.
    public let name: String?
    /// The IAM role to assume.
    public let role: RoleARN
    /// Every condition must hold (AND), in file order.
    public let conditions: [Condition]
    public let region: String?
    public let duration: Int?
    public let sessionName: String?
    /// Compact JSON of the inline session policy.
    public let sessionPolicy: String?
    public let policyARNs: [String]
    public let output: OutputMode?
    /// The AWS profile name this rule provides when the output is `profile`.
    public let profile: String?

    public init(
        number: Int, line: Int, name: String?, role: RoleARN, conditions: [Condition],
        region: String? = nil, duration: Int? = nil, sessionName: String? = nil,
        sessionPolicy: String? = nil, policyARNs: [String] = [], output: OutputMode? = nil,
        profile: String? = nil
    ) {
        self.number = number
        self.line = line
        self.name = name
        self.role = role
        self.conditions = conditions
        self.region = region
        self.duration = duration
        self.sessionName = sessionName
        self.sessionPolicy = sessionPolicy
        self.policyARNs = policyARNs
        self.output = output
        self.profile = profile
    }

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
    public var rules: [Rule] = []

    public init(issuer: String, rules: [Rule] = []) {
        self.issuer = issuer
        self.rules = rules
    }
}

/// The settings that apply to one rule: its overrides over the top-level defaults.
public struct EffectiveSettings: Equatable, Sendable {
    public let region: String
    public let duration: Int
    public let sessionNameTemplate: String
    public let output: OutputMode

    public init(rule: Rule, mapping: Mapping) {
        region = rule.region ?? mapping.region
        duration = rule.duration ?? mapping.duration
        sessionNameTemplate = rule.sessionName ?? mapping.sessionName
        output = rule.output ?? mapping.output
    }
}
