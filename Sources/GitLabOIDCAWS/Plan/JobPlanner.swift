/// Turns a mapping, a verified token's claims, the rules those claims select and a snapshot
/// of the job into a `JobPlan`: a pure function, so every decision of the hook is made (and
/// tested) without a call or a write. Settings are computed once per rule and the session
/// name rendered once; `credential-process` uses `exchange(for:...)` for its rule.
public enum JobPlanner {
    /// Whether the rule pass must go on past `first` to find every match: only for profiles,
    /// which come from every matching rule.
    public static func needsEveryMatch(after first: Rule, mapping: Mapping) -> Bool {
        guard let assumption = first.assumption else { return false }
        return EffectiveSettings(assumption, of: first, mapping: mapping).output == .profile
    }

    /// The plan for a job whose token has `claims`. Throws what the mapping refuses
    /// (`on_no_match = "fail"`, the account guard, a chain with web identity) and what cannot
    /// be put in place (no path of this program for profiles, a path that cannot go into the
    /// AWS config file).
    public static func plan(mapping: Mapping, claims: Claims, selection: RuleSelection, job: JobSnapshot)
        throws(HookFailure) -> JobPlan
    {
        func plan(_ action: JobPlan.Action) -> JobPlan {
            JobPlan(
                mode: mapping.mode, action: action,
                trailingEntries: mapping.blockInstanceMetadata ? [EnvLines.instanceMetadataDisabled] : [],
                help: mapping.help, tokenExpiry: claims.seconds("exp"))
        }
        switch selection {
        case let .none(closest):
            let project = claims.string("project_path") ?? "?"
            let ref = claims.string("ref") ?? "?"
            if mapping.onNoMatch == .fail {
                throw .refused(.noMatchingRule(project: project, ref: ref, closest: closest))
            }
            return plan(.skip(.noMatch(project: project, ref: ref, closest: closest)))
        case let .matched(rule, later):
            guard case let .assume(assumption) = rule.action else { return plan(.skip(.rule(rule))) }
            let settings = EffectiveSettings(assumption, of: rule, mapping: mapping)
            let exchange = exchange(for: rule, assumption, settings: settings, mapping: mapping, claims: claims)
            switch settings.output {
            case .env:
                try checkAccount(of: exchange.finalRole, allowed: exchange.allowedAccounts)
                if let expiration = reusableExpiration(
                    in: job.envFileEntries, role: exchange.finalRole.description, now: job.now)
                {
                    return plan(.reuse(exchange, expiration: expiration))
                }
                return plan(.exchange(exchange))
            case .webIdentity:
                guard exchange.chain.isEmpty else { throw .refused(.webIdentityChain(rule: rule.label)) }
                try checkAccount(of: exchange.finalRole, allowed: exchange.allowedAccounts)
                return plan(.place(webIdentity(exchange, mapping: mapping, job: job)))
            case .profile:
                let profiles = JobProfiles.resolve(matches: [rule] + later, mapping: mapping)
                let grants = profiles.map { profile in
                    Placement.Grant(
                        profile: profile.name,
                        exchange: profile.rule == rule
                            ? exchange
                            : self.exchange(
                                for: profile.rule, profile.assumption, settings: profile.settings, mapping: mapping,
                                claims: claims))
                }
                for grant in grants {
                    try checkAccount(of: grant.exchange.finalRole, allowed: grant.exchange.allowedAccounts)
                }
                return plan(.place(try profilePlacement(grants, job: job)))
            }
        }
    }

    /// The STS calls for `rule`'s role (`assumption`, with `settings`) and the job's `claims`:
    /// the web-identity hop, then each chain hop with its session name, tags and duration.
    public static func exchange(
        for rule: Rule, _ assumption: RoleAssumption, settings: EffectiveSettings, mapping: Mapping, claims: Claims
    ) -> Exchange {
        let sessionName = SessionName.render(settings.sessionNameTemplate, claims: claims)
        let chain = assumption.chain.enumerated().map { index, hop in
            let (tags, transitive) = SessionTags.render(
                hop.tags, transitiveKeys: hop.transitiveTagKeys, claims: claims)
            return ChainedHop(
                number: index + 2, role: hop.role,
                sessionName: hop.sessionName.map { SessionName.render($0, claims: claims) } ?? sessionName,
                duration: hop.effectiveDuration(ruleDuration: settings.duration), externalID: hop.externalID,
                policy: hop.sessionPolicy, policyARNs: hop.policyARNs, tags: tags, transitiveTagKeys: transitive)
        }
        return Exchange(
            rule: rule,
            endpoint: STS.endpoint(region: settings.region, fips: mapping.stsFIPS, override: mapping.stsEndpoint),
            region: settings.region,
            webIdentity: WebIdentityHop(
                role: assumption.role, sessionName: sessionName, duration: settings.duration,
                policy: assumption.sessionPolicy, policyARNs: assumption.policyARNs),
            chain: chain, allowedAccounts: settings.allowedAccounts)
    }

    /// Refuses `role` when `allowed` does not list its account.
    public static func checkAccount(of role: RoleARN, allowed: AccountAllowList?) throws(HookFailure) {
        try checkAccount(role.account, of: role.description, allowed: allowed)
    }

    /// Refuses credentials of `account` (for the role `role`) when `allowed` does not list it.
    public static func checkAccount(_ account: String, of role: String, allowed: AccountAllowList?)
        throws(HookFailure)
    {
        guard let allowed, !allowed.allows(account: account) else { return }
        throw .refused(.accountNotAllowed(account: account, role: role, setting: allowed.setting))
    }

    /// Credentials still valid for more than this many seconds are reused by a later hook run
    /// in the same job instead of asking STS again.
    public static let reuseMargin: Int64 = 15 * 60

    /// The expiry of credentials for `role` already in the env file, when they are complete
    /// and valid for more than `reuseMargin`.
    public static func reusableExpiration(in entries: [String: String], role: String, now: Int64) -> Int64? {
        guard entries["GITLAB_OIDC_AWS_ROLE_ARN"] == role, entries["AWS_ACCESS_KEY_ID"] != nil,
            entries["AWS_SECRET_ACCESS_KEY"] != nil, entries["AWS_SESSION_TOKEN"] != nil,
            let expiration = entries["AWS_CREDENTIAL_EXPIRATION"].flatMap(Timestamp.parse),
            expiration - now > reuseMargin
        else { return nil }
        return expiration
    }

    /// `output = "web-identity"`: the token file, and the variables with which SDKs assume
    /// the role themselves. `AWS_ENDPOINT_URL_STS` is written when the mapping sets
    /// `sts_endpoint` or `sts_fips`, so that SDKs call the same STS as the hook would.
    static func webIdentity(_ exchange: Exchange, mapping: Mapping, job: JobSnapshot) -> Placement {
        let tokenFile = job.folder.tokenFile(variable: job.tokenVariable)
        let entries = EnvLines.webIdentity(
            role: exchange.webIdentity.role.description, tokenFile: tokenFile,
            sessionName: exchange.webIdentity.sessionName, region: exchange.region,
            stsEndpoint: mapping.stsEndpoint != nil || mapping.stsFIPS ? exchange.endpoint : nil)
        return Placement(
            output: .webIdentity, folder: job.folder.path,
            files: [JobFile(path: tokenFile, contents: Array(job.token.utf8))], entries: entries,
            grants: [Placement.Grant(profile: nil, exchange: exchange)], configFile: nil)
    }

    /// `output = "profile"`: the token file, the AWS config file with one section per
    /// profile (each calling this program's `credential-process` for its rule), an empty
    /// shared credentials file, and the variables that point SDKs at them.
    static func profilePlacement(_ grants: [Placement.Grant], job: JobSnapshot) throws(HookFailure) -> Placement {
        guard let executable = job.executablePath else { throw .refused(.unknownExecutablePath) }
        let folder = job.folder
        let tokenFile = folder.tokenFile(variable: job.tokenVariable)
        let sections = grants.map { grant in
            AWSConfigFile.Section(
                profile: grant.profile ?? JobProfiles.defaultName,
                credentialProcess: CredentialProcessInvocation(
                    executable: executable, configPath: job.configPath, tokenFile: tokenFile,
                    rule: grant.exchange.rule.number, cacheFile: folder.cacheFile(rule: grant.exchange.rule.number)),
                region: grant.exchange.region)
        }
        let config: String
        do throws(OutputError) {
            config = try AWSConfigFile.render(sections)
        } catch {
            throw .output(error)
        }
        return Placement(
            output: .profile, folder: folder.path,
            files: [
                JobFile(path: tokenFile, contents: Array(job.token.utf8)),
                JobFile(path: folder.configFile, contents: Array(config.utf8)),
                JobFile(path: folder.credentialsFile, contents: Array(AWSConfigFile.emptyCredentialsFile.utf8)),
            ],
            entries: EnvLines.profile(
                configFile: folder.configFile, credentialsFile: folder.credentialsFile,
                role: grants[0].exchange.finalRole.description),
            grants: grants, configFile: folder.configFile)
    }
}
