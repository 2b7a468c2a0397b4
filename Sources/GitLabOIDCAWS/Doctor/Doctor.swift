/// `gitlab-oidc-aws doctor`: checks, from the runner host or from inside a job image,
/// everything the hook needs, and says what to do about what fails.
///
/// In order: the mapping (as `check` loads it) and what `mode = "shadow"` means; the CA
/// certificates HTTPS trusts; the proxy variables; the issuer's discovery and key set,
/// fetched fresh through the proxy with the mapping's CAs, retries and timeouts; this host's
/// clock against the issuer's HTTP `Date`; the key-set cache folder; every STS endpoint the
/// mapping uses; and with a token, the token verified as the hook verifies it, the rule it
/// selects, and one real exchange through the hook's own planner and `Hook.apply`, which
/// writes nothing. The key-set cache is neither read nor written.
public enum Doctor {
    /// Runs every check that can run; a mapping that does not load leaves only the checks
    /// that need none.
    public static func run(_ context: DoctorContext) -> DoctorReport {
        var checks: [DoctorCheck] = []
        let (mappingCheck, loaded) = LocalChecks.mapping(context)
        checks.append(mappingCheck)
        guard let mapping = loaded?.mapping else {
            checks.append(LocalChecks.certificates(caFile: nil, context: context))
            checks.append(LocalChecks.proxies(context.environment))
            return DoctorReport(
                configPath: context.configPath, checks: checks, mappingInvalid: true,
                tokenGiven: context.tokenFile != nil)
        }
        if let mode = LocalChecks.mode(mapping) { checks.append(mode) }
        checks.append(LocalChecks.certificates(caFile: mapping.caFile, context: context))
        checks.append(LocalChecks.proxies(context.environment))

        let transport = DoctorTransport(context.transport, clock: context.clock)
        let session = HookSession(
            mapping: mapping, transport: transport, clock: context.clock, environment: context.environment.lookup,
            log: context.log)
        let (issuerCheck, keysAvailable) = NetworkChecks.issuer(
            mapping, session: session, transport: transport, context: context)
        let stsChecks = NetworkChecks.stsEndpoints(mapping).map { endpoint in
            NetworkChecks.sts(endpoint, mapping: mapping, session: session, context: context)
        }
        checks.append(issuerCheck)
        checks.append(NetworkChecks.clock(transport.answers, issuer: mapping.issuer))
        checks.append(LocalChecks.cache(mapping, context: context))
        if stsChecks.isEmpty {
            checks.append(.warn("sts", "STS: no rule assumes a role, so no endpoint to check"))
        }
        checks += stsChecks
        if let tokenFile = context.tokenFile {
            checks += ExchangeCheck.run(
                tokenFile: tokenFile, mapping: mapping, session: session, transport: transport,
                keysAvailable: keysAvailable, context: context)
        }
        return DoctorReport(
            configPath: context.configPath, checks: checks, mappingInvalid: false, tokenGiven: context.tokenFile != nil)
    }
}
