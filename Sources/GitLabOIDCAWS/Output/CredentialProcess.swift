/// `credential-process` could not produce credentials. It printed nothing on stdout.
public enum CredentialProcessError: UserFacingError, Equatable, Sendable {
    /// The token file the AWS config file names is missing, not a regular file, or unreadable.
    case unreadableToken(path: String)
    /// The mapping has no rule with that number (it changed since the hook ran).
    case noSuchRule(number: Int, count: Int, path: String)
    /// The rule no longer matches the job's token (the mapping changed since the hook ran).
    case ruleDoesNotMatch(rule: String, claim: String, path: String)
    /// The rule is a `skip` rule now (the mapping changed since the hook ran).
    case ruleSkips(rule: String, path: String)

    public var exitCategory: ExitCategory { .credentialsUnavailable }
    public var responsibility: Responsibility { .runnerAdministrator }

    public var description: String {
        switch self {
        case let .unreadableToken(path):
            return "cannot read the ID token file \(path) (missing, not a regular file, or unreadable); the hook writes this file in the job's temporary folder, so run credential-process only in the job the hook ran for"
        case let .noSuchRule(number, count, path):
            return "\(path) has \(count) rules, not a rule \(number): the mapping changed since the hook wrote the AWS config file; retry the job"
        case let .ruleDoesNotMatch(rule, claim, path):
            return "\(rule) of \(path) does not match this job's token (`match.\(claim)` fails): the mapping changed since the hook wrote the AWS config file; retry the job"
        case let .ruleSkips(rule, path):
            return "\(rule) of \(path) is a skip rule, which gives no credentials: the mapping changed since the hook wrote the AWS config file; retry the job"
        }
    }
}

/// The inputs of one `credential-process` run.
public struct CredentialProcessContext {
    public var configPath: String
    public var tokenFile: String
    /// The rule's number (1 = the first `[[rule]]`).
    public var rule: Int
    /// The credential cache; nil: no cache.
    public var cacheFile: String?
    public var environment: (String) -> String?
    public var clock: Clock
    /// Sends every HTTP request of the run.
    public var transport: any HTTPTransport
    /// The token file and the cache are in the job's folder, which the job controls.
    public var files: any JobFileAccess
    /// Gets lines for stderr (never a secret); stdout carries only the credentials.
    public var log: (String) -> Void

    public init(
        configPath: String, tokenFile: String, rule: Int, cacheFile: String?,
        environment: @escaping (String) -> String?, clock: Clock, transport: any HTTPTransport,
        files: any JobFileAccess = LocalJobFiles(), log: @escaping (String) -> Void
    ) {
        self.configPath = configPath
        self.tokenFile = tokenFile
        self.rule = rule
        self.cacheFile = cacheFile
        self.environment = environment
        self.clock = clock
        self.transport = transport
        self.files = files
        self.log = log
    }
}

/// The `credential_process` helper of `output = "profile"`: credentials for one rule's role
/// (and its chain) from the job's ID token, in the JSON format every AWS SDK reads, cached
/// until shortly before they expire.
public enum CredentialProcess {
    /// Cached credentials are handed out until this many seconds before they expire.
    public static let refreshMargin: Int64 = 5 * 60

    /// Performs the rule's exchange, as `JobPlanner` plans it for the hook (or takes the
    /// credentials from the cache), and returns the JSON to print.
    ///
    /// The token was verified by the hook when it wrote the file; here its `iss`, `aud`,
    /// `exp` and `nbf` are checked again and the rule must still match its claims, so that a
    /// mapping changed during the job is not applied to the wrong job. The signature is left
    /// to STS, which checks it before it issues anything.
    public static func run(_ context: CredentialProcessContext) throws(HookFailure) -> String {
        let mapping: Mapping
        do throws(ConfigError) {
            mapping = try MappingLoader.load(path: context.configPath, rules: .document).mapping
        } catch {
            throw .configuration(error)
        }
        guard context.rule >= 1, context.rule <= mapping.rules.count else {
            throw .credentialProcess(
                .noSuchRule(number: context.rule, count: mapping.rules.count, path: context.configPath))
        }
        let rule = mapping.rules[context.rule - 1]
        guard let assumption = rule.assumption else {
            throw .credentialProcess(.ruleSkips(rule: rule.label, path: context.configPath))
        }
        let role = assumption.finalRole.description
        if let cacheFile = context.cacheFile, let bytes = context.files.readJobFile(cacheFile, limit: 1 << 20),
            let cached = cachedCredentials(bytes, role: role, now: context.clock.now())
        {
            return render(cached)
        }

        guard let tokenBytes = context.files.readJobFile(context.tokenFile, limit: 64 << 10) else {
            throw .credentialProcess(.unreadableToken(path: context.tokenFile))
        }
        let token = String(decoding: tokenBytes, as: UTF8.self).trimmingSpaces
        let claims: Claims
        do throws(TokenError) {
            claims = try JWT(token).claims
            try ClaimPolicy(issuer: mapping.issuer, audiences: mapping.audiences)
                .check(claims, now: context.clock.now())
        } catch {
            throw .token(error)
        }
        if case let .failed(condition, _) = RuleMatcher.evaluate(rule, claims: claims) {
            throw .credentialProcess(
                .ruleDoesNotMatch(rule: rule.label, claim: condition.claim, path: context.configPath))
        }

        let exchange = JobPlanner.exchange(
            for: rule, assumption, settings: EffectiveSettings(assumption, of: rule, mapping: mapping),
            mapping: mapping, claims: claims)
        let session = HookSession(
            mapping: mapping, transport: context.transport, clock: context.clock, environment: context.environment,
            log: context.log)
        let credentials = try session.obtain(exchange, token: token)
        if let cacheFile = context.cacheFile {
            do throws(FileError) {
                try context.files.writeJobFile(Array(cacheText(credentials, role: role).utf8), to: cacheFile)
            } catch {
                context.log("cannot cache the credentials (\(error)); the next call will ask STS again")
            }
        }
        return render(credentials)
    }

    /// The `credential_process` answer:
    /// `{"Version":1,"AccessKeyId":…,"SecretAccessKey":…,"SessionToken":…,"Expiration":…}`,
    /// with `Expiration` in RFC 3339.
    public static func render(_ credentials: AWSCredentials) -> String {
        JSONValue.object(fields(credentials)).compactText
    }

    /// The cache file's text: the answer's fields plus the role they are for.
    public static func cacheText(_ credentials: AWSCredentials, role: String) -> String {
        JSONValue.object(fields(credentials) + [("RoleArn", .string(role))]).compactText
    }

    private static func fields(_ credentials: AWSCredentials) -> [(String, JSONValue)] {
        [
            ("Version", .integer(1)),
            ("AccessKeyId", .string(credentials.accessKeyID)),
            ("SecretAccessKey", .string(credentials.secretAccessKey)),
            ("SessionToken", .string(credentials.sessionToken)),
            ("Expiration", .string(Timestamp.format(credentials.expiration))),
        ]
    }

    /// The credentials in a cache file, when it is complete, for `role`, and valid for more
    /// than `refreshMargin` seconds after `now`.
    public static func cachedCredentials(_ bytes: [UInt8], role: String, now: Int64) -> AWSCredentials? {
        guard let json = try? JSONValue.parse(bytes), json["Version"] == .integer(1),
            json["RoleArn"]?.stringValue == role,
            let accessKeyID = json["AccessKeyId"]?.stringValue, !accessKeyID.isEmpty,
            let secretAccessKey = json["SecretAccessKey"]?.stringValue, !secretAccessKey.isEmpty,
            let sessionToken = json["SessionToken"]?.stringValue, !sessionToken.isEmpty,
            let expiration = json["Expiration"]?.stringValue.flatMap(Timestamp.parse),
            Timestamp.seconds(from: now, to: expiration) > refreshMargin
        else { return nil }
        return AWSCredentials(
            accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken,
            expiration: expiration, assumedRoleARN: nil)
    }
}
