/// The job asked for nothing the hook could give, and the mapping says that is an error.
public enum HookError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `on_no_token = "fail"` and none of `token_variables` holds a token.
    case noToken(variables: [String])
    /// `on_no_match = "fail"` and no rule matches the token.
    case noMatchingRule(project: String, ref: String)
    /// The rule assumes roles after the first, which this hook cannot do yet.
    case chainUnsupported(rule: String)

    public var description: String {
        switch self {
        case let .noToken(variables):
            return "the job has no ID token in \(variables.joined(separator: ", ")) and the mapping requires one (on_no_token = \"fail\"); add to the job: id_tokens: { \(variables.first ?? "AWS_ID_TOKEN"): { aud: sts.amazonaws.com } }"
        case let .noMatchingRule(project, ref):
            return "no rule of the mapping matches this job (project \(project), ref \(ref)) and the mapping requires one (on_no_match = \"fail\"); run `gitlab-oidc-aws explain` with the job's claims to see why"
        case let .chainUnsupported(rule):
            return "\(rule) has a [[rule.chain]], and this version of the hook cannot assume chained roles; nothing was written"
        }
    }
}

/// What a hook run did.
public enum HookOutcome: Equatable, Sendable {
    case skippedNoToken
    case skippedNoMatch
    /// The first matching rule is a `skip` rule.
    case skippedByRule(rule: String)
    /// Fresh credentials (or web-identity / profile settings) were appended to the env file.
    case wrote(role: String, rule: String, sessionName: String)
    /// Credentials written earlier in this job are still valid for long enough.
    case reused(role: String)
}

/// The inputs of one hook run; the process environment is passed in, never read directly,
/// so that tests and the executable agree on what the hook sees.
public struct HookContext {
    public var configPath: String
    public var envFileOverride: String?
    public var environment: (String) -> String?
    public var clock: Clock
    /// Sends every HTTP request of the run.
    public var transport: any HTTPTransport
    /// Gets every line meant for the job log (stderr); never given a secret.
    public var log: (String) -> Void
    /// The absolute path of this program, which `output = "profile"` writes into the AWS
    /// config file.
    public var executablePath: () -> String?

    public init(
        configPath: String, envFileOverride: String?, environment: @escaping (String) -> String?,
        clock: Clock = .system, transport: (any HTTPTransport)? = nil, log: @escaping (String) -> Void,
        executablePath: @escaping () -> String? = FileSystem.executablePath
    ) {
        self.configPath = configPath
        self.envFileOverride = envFileOverride
        self.environment = environment
        self.clock = clock
        self.transport = transport ?? CurlTransport(environment: environment)
        self.log = log
        self.executablePath = executablePath
    }

    /// The variable's value, with set-but-empty counted as unset.
    func variable(_ name: String) -> String? {
        guard let value = environment(name), !value.isEmpty else { return nil }
        return value
    }
}

/// Credentials still valid for more than this many seconds are reused by a later hook run in
/// the same job instead of asking STS again.
public let reuseMargin: Int64 = 15 * 60

/// The pre-build hook: ID token in, credentials in the job environment file out.
public enum Hook {
    /// Runs the hook. Throws `ConfigError`, `OutputError`, `TokenError`, `KeySetError`,
    /// `STSError`, `TransportError` or `HookError`; on any error the env file is unchanged.
    public static func run(_ context: HookContext) throws -> HookOutcome {
        let loaded = try HookMapping.load(path: context.configPath, log: context.log)
        let mapping = loaded.mapping
        guard let envFile = context.envFileOverride ?? context.variable("GITLAB_ENV") else {
            throw OutputError.noEnvFile
        }
        guard let (variable, token) = mapping.tokenVariables.lazy.compactMap({ name in
            context.variable(name).map { (name, $0) }
        }).first else {
            if mapping.onNoToken == .fail { throw HookError.noToken(variables: mapping.tokenVariables) }
            context.log(
                "no ID token in \(mapping.tokenVariables.joined(separator: ", ")); skipping (declare id_tokens in the job to get AWS credentials)")
            return .skippedNoToken
        }

        let session = HookSession(
            mapping: mapping, transport: context.transport, clock: context.clock, environment: context.variable,
            log: context.log)
        let verified = try session.verifier().verify(token)
        let claims = verified.claims
        guard let rule = try loaded.firstMatch(claims: claims, log: context.log) else {
            let project = claims.string("project_path") ?? "?"
            let ref = claims.string("ref") ?? "?"
            if mapping.onNoMatch == .fail { throw HookError.noMatchingRule(project: project, ref: ref) }
            context.log("no rule matches project \(project), ref \(ref) (token from \(variable)); skipping")
            return .skippedNoMatch
        }
        guard let assumption = rule.assumption else {
            context.log("\(rule.label) gives this job no AWS credentials (skip = true)")
            return .skippedByRule(rule: rule.label)
        }
        guard assumption.chain.isEmpty else { throw HookError.chainUnsupported(rule: rule.label) }
        let settings = EffectiveSettings(assumption, of: rule, mapping: mapping)
        let role = assumption.role.description
        var jobMapping = mapping
        if settings.output == .profile {
            // Profiles come from every matching rule; a compiled mapping holds no decoded rules.
            jobMapping.rules = try loaded.allMatches(claims: claims, log: context.log)
        }
        let job = MatchedJob(
            mapping: jobMapping, configPath: context.configPath, envFile: envFile, variable: variable, token: token,
            claims: claims, rule: rule, assumption: assumption)
        switch settings.output {
        case .env: break
        case .webIdentity: return try putWebIdentityInPlace(job, context: context)
        case .profile: return try putProfilesInPlace(job, context: context)
        }

        if let expiration = reusableExpiration(in: EnvFile.entries(at: envFile), role: role, now: context.clock.now()) {
            context.log("reusing credentials for \(role) written earlier in this job (\(rule.label), expire \(Timestamp.format(expiration)))")
            return .reused(role: role)
        }

        let (credentials, sessionName) = try session.assumeRole(
            assumption, of: rule, claims: claims, token: token)
        var entries = EnvLines.credentials(credentials, role: role, region: settings.region)
        if mapping.blockInstanceMetadata { entries.append(("AWS_EC2_METADATA_DISABLED", "true")) }
        try EnvFile.append(try EnvFile.render(entries), to: envFile)
        context.log(
            "assumed \(role) via \(rule.label) as session \(sessionName); credentials expire \(Timestamp.format(credentials.expiration)) (region \(settings.region))"
        )
        return .wrote(role: role, rule: rule.label, sessionName: sessionName)
    }

    /// The expiry of credentials for `role` already in the env file, when they are complete
    /// and valid for more than `reuseMargin`.
    static func reusableExpiration(in entries: [String: String], role: String, now: Int64) -> Int64? {
        guard entries["GITLAB_OIDC_AWS_ROLE_ARN"] == role, entries["AWS_ACCESS_KEY_ID"] != nil,
            entries["AWS_SECRET_ACCESS_KEY"] != nil, entries["AWS_SESSION_TOKEN"] != nil,
            let expiration = entries["AWS_CREDENTIAL_EXPIRATION"].flatMap(Timestamp.parse),
            expiration - now > reuseMargin
        else { return nil }
        return expiration
    }
}

/// The network side of one run: the transport, the retry policy, and the key-set source,
/// shared by token verification and STS.
public final class HookSession {
    public let mapping: Mapping
    public let retrier: Retrier
    public let transport: any HTTPTransport
    private let clock: Clock
    private let environment: (String) -> String?
    private let log: (String) -> Void

    /// `environment` is used only to find the default key-set cache folder.
    public init(
        mapping: Mapping, transport: any HTTPTransport, clock: Clock = .system,
        environment: @escaping (String) -> String?, log: @escaping (String) -> Void
    ) {
        self.mapping = mapping
        self.transport = transport
        self.clock = clock
        self.environment = environment
        self.log = log
        self.retrier = Retrier(settings: mapping.retry, clock: clock, log: log)
    }

    /// The connection settings of every request: the mapping's connect timeout and CAs.
    public var transportSettings: TransportSettings {
        TransportSettings(connectTimeout: mapping.retry.connectTimeout, caFile: mapping.caFile)
    }

    /// Calls STS `AssumeRoleWithWebIdentity` for `rule`'s role with `token`: the rule's
    /// session name (rendered from `claims`), duration and policies, at the mapping's endpoint
    /// for the rule's region.
    public func assumeRole(_ assumption: RoleAssumption, of rule: Rule, claims: Claims, token: String) throws(STSError)
        -> (credentials: AWSCredentials, sessionName: String)
    {
        let settings = EffectiveSettings(assumption, of: rule, mapping: mapping)
        let sessionName = SessionName.render(settings.sessionNameTemplate, claims: claims)
        let credentials = try STS.assumeRole(
            STS.Request(
                roleARN: assumption.role.description, sessionName: sessionName, token: token,
                duration: settings.duration, policy: assumption.sessionPolicy, policyARNs: assumption.policyARNs),
            endpoint: STS.endpoint(region: settings.region, fips: mapping.stsFIPS, override: mapping.stsEndpoint),
            transport: transport, settings: transportSettings, retrier: retrier)
        return (credentials, sessionName)
    }

    /// A verifier for the mapping's issuer and audiences, with the key-set cache.
    public func verifier() -> TokenVerifier {
        let cacheDirectory = mapping.cacheDirectory ?? KeySetSource.defaultCacheDirectory(environment: environment)
        let keys = KeySetSource(
            issuer: mapping.issuer, keySetURL: mapping.jwksURL, cacheDirectory: cacheDirectory,
            transport: transport, transportSettings: transportSettings, retrier: retrier, clock: clock, log: log)
        return TokenVerifier(
            policy: ClaimPolicy(issuer: mapping.issuer, audiences: mapping.audiences), keys: keys, clock: clock)
    }
}
