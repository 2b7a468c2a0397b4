/// The network side of one run: the transport, the retry policy, the key-set source, and the
/// STS calls of an exchange. Shared by `hook`, `credential-process` and `explain`.
public final class HookSession {
    public let mapping: Mapping
    public let retrier: Retrier
    public let transport: any HTTPTransport
    private let clock: Clock
    private let environment: (String) -> String?
    private let log: (String) -> Void

    /// `environment` is used only to find the default key-set cache folder.
    public init(
        mapping: Mapping, transport: any HTTPTransport, clock: Clock, environment: @escaping (String) -> String?,
        log: @escaping (String) -> Void
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

    /// A verifier for the mapping's issuer and audiences, with the key-set cache.
    public func verifier() -> TokenVerifier {
        let cacheDirectory = mapping.cacheDirectory ?? KeySetSource.defaultCacheDirectory(environment: environment)
        let keys = KeySetSource(
            issuer: mapping.issuer, keySetURL: mapping.jwksURL, cacheDirectory: cacheDirectory,
            transport: transport, transportSettings: transportSettings, retrier: retrier, clock: clock, log: log)
        return TokenVerifier(
            policy: ClaimPolicy(issuer: mapping.issuer, audiences: mapping.audiences), keys: keys, clock: clock)
    }

    /// Performs `exchange` with the job's `token`: `AssumeRoleWithWebIdentity`, then each
    /// chain hop with `AssumeRole` signed by the previous hop's credentials, each with
    /// retries; then checks that the final credentials belong to an allowed account. Returns
    /// the final credentials; a refused hop is reported with its number, role and AWS's
    /// message, and nothing of the hops before it is kept.
    public func obtain(_ exchange: Exchange, token: String) throws(HookFailure) -> AWSCredentials {
        let first = exchange.webIdentity
        var credentials: AWSCredentials
        do throws(STSError) {
            credentials = try STS.assumeRole(
                STS.Request(
                    roleARN: first.role.description, sessionName: first.sessionName, token: token,
                    duration: first.duration, policy: first.policy, policyARNs: first.policyARNs),
                hop: exchange.chain.isEmpty ? nil : 1, endpoint: exchange.endpoint, transport: transport,
                settings: transportSettings, retrier: retrier)
            for hop in exchange.chain {
                credentials = try STS.assumeRole(
                    STS.AssumeRoleRequest(
                        roleARN: hop.role.description, sessionName: hop.sessionName, duration: hop.duration,
                        externalID: hop.externalID, policy: hop.policy, policyARNs: hop.policyARNs, tags: hop.tags,
                        transitiveTagKeys: hop.transitiveTagKeys),
                    hop: hop.number, endpoint: exchange.endpoint, region: exchange.region,
                    credentials: SigV4.Credentials(credentials), transport: transport, settings: transportSettings,
                    retrier: retrier)
            }
        } catch {
            throw .sts(error)
        }
        let role = exchange.finalRole
        try JobPlanner.checkAccount(
            credentials.accountID(assumedRole: role.description) ?? role.account, of: role.description,
            allowed: exchange.allowedAccounts)
        return credentials
    }
}
