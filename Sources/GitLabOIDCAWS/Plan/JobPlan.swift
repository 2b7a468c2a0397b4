/// What the planner knows about the job besides the mapping and the token's claims, read
/// once before planning.
public struct JobSnapshot: Sendable {
    /// The variable the token came from.
    public let tokenVariable: String
    /// The verified token.
    public let token: String
    /// The env file, absolute.
    public let envFile: String
    /// The env file's `KEY=VALUE` entries now (what earlier hook runs of the job wrote).
    public let envFileEntries: [String: String]
    /// The hook's folder inside the job's temporary folder.
    public let folder: JobFolder
    /// This program, which the AWS config file of `output = "profile"` runs; nil when unknown.
    public let executablePath: String?
    /// The mapping file, absolute.
    public let configPath: String
    /// Seconds since 1970.
    public let now: Int64

    public init(
        tokenVariable: String, token: String, envFile: String, envFileEntries: [String: String], folder: JobFolder,
        executablePath: String?, configPath: String, now: Int64
    ) {
        self.tokenVariable = tokenVariable
        self.token = token
        self.envFile = envFile
        self.envFileEntries = envFileEntries
        self.folder = folder
        self.executablePath = executablePath
        self.configPath = configPath
        self.now = now
    }
}

/// The first STS call of an exchange: `AssumeRoleWithWebIdentity` with the job's token.
public struct WebIdentityHop: Equatable, Sendable {
    public let role: RoleARN
    public let sessionName: String
    public let duration: Int
    /// Compact JSON of the inline session policy.
    public let policy: String?
    public let policyARNs: [String]
}

/// A chained STS call: `AssumeRole`, signed with the previous hop's credentials.
public struct ChainedHop: Equatable, Sendable {
    /// The hop's position among the rule's hops, the web-identity hop being 1: 2 for the
    /// first `[[rule.chain]]` entry (as STS errors name it).
    public let number: Int
    public let role: RoleARN
    public let sessionName: String
    /// Seconds, 900..3600.
    public let duration: Int
    public let externalID: String?
    /// Compact JSON of the inline session policy.
    public let policy: String?
    public let policyARNs: [String]
    /// Rendered from verified claims; tags whose claim is missing are left out.
    public let tags: [SessionTag]
    public let transitiveTagKeys: [String]
}

/// The STS calls that get one rule's credentials, in order, and the account check after them.
public struct Exchange: Equatable, Sendable {
    public let rule: Rule
    /// The STS endpoint of the rule's region (or `sts_endpoint`).
    public let endpoint: String
    public let region: String
    public let webIdentity: WebIdentityHop
    /// The chain after the web-identity hop; empty for most rules.
    public let chain: [ChainedHop]
    /// The accounts the final credentials may belong to; nil: any.
    public let allowedAccounts: AccountAllowList?

    /// The role whose credentials the job gets: the last hop's.
    public var finalRole: RoleARN { chain.last?.role ?? webIdentity.role }

    /// Every role, in the order they are assumed.
    public var roles: [RoleARN] { [webIdentity.role] + chain.map(\.role) }

    /// `ROLE via RULE as session NAME`, then `, then ROLE as session NAME` for each chain hop.
    public var hops: String {
        var text = "\(webIdentity.role) via \(rule.label) as session \(webIdentity.sessionName)"
        for hop in chain { text += ", then \(hop.role) as session \(hop.sessionName)" }
        return text
    }
}

/// A file the plan puts in the job folder: written atomically, mode 0600.
public struct JobFile: Equatable, Sendable {
    public let path: String
    public let contents: [UInt8]

    public init(path: String, contents: [UInt8]) {
        self.path = path
        self.contents = contents
    }
}

/// What `web-identity` and `profile` put in place: files in the job folder and lines for the
/// env file. The SDKs (or `credential-process`) call STS when they need credentials.
public struct Placement: Equatable, Sendable {
    /// A role the job's SDKs will assume, and the profile that names it (nil for web identity).
    public struct Grant: Equatable, Sendable {
        public let profile: String?
        public let exchange: Exchange
    }

    /// `.webIdentity` or `.profile`.
    public let output: OutputMode
    /// The job folder, created with mode 0700 when missing.
    public let folder: String
    public let files: [JobFile]
    /// The plan's own `KEY=VALUE` lines, in order.
    public let entries: [EnvEntry]
    /// What the job can assume with what is put in place; the first one is the job's default.
    public let grants: [Grant]
    /// Where the AWS config file is (`profile`), for the log.
    public let configFile: String?
}

/// Why the job gets nothing although it holds a token.
public enum SkipReason: Equatable, Sendable {
    /// No rule matches (`on_no_match = "skip"`); the rule that came closest, if any.
    case noMatch(project: String, ref: String, closest: RuleMiss?)
    /// The first matching rule says `skip = true`.
    case rule(Rule)
}

/// The decision of one hook run, made by `JobPlanner` before any call or write. `Hook.apply`
/// carries it out; in `mode = "shadow"` it is only described.
public struct JobPlan: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        /// Nothing to assume.
        case skip(SkipReason)
        /// `output = "env"`, with credentials from earlier in this job that are still valid
        /// long enough (`expiration`).
        case reuse(Exchange, expiration: Int64)
        /// `output = "env"`: the STS calls, then the credentials as env lines.
        case exchange(Exchange)
        /// `output = "web-identity"` or `"profile"`: files and env lines, no STS call.
        case place(Placement)
    }

    public let mode: HookMode
    public let action: Action
    /// Lines every append of this plan ends with (`AWS_EC2_METADATA_DISABLED=true`).
    public let trailingEntries: [EnvEntry]
    /// The mapping's `help`, for every line about a job that gets no credentials.
    public let help: String?
    /// The token's `exp`, for the log of placements (the SDKs use the token until then).
    public let tokenExpiry: Int64?

    /// `own` lines followed by the plan's trailing ones: the one place every env-file line
    /// of a plan is put together.
    public func envEntries(_ own: [EnvEntry]) -> [EnvEntry] {
        own + trailingEntries
    }
}
