/// `JobFileAccess` that writes nothing: `Hook.apply` runs as in a job, and what it would append
/// to the env file or put in the job folder ends here. Only the names of the env lines are
/// kept, and the values of the two that hold no secret (the role and the expiry).
final class DiscardingJobFiles: JobFileAccess {
    /// The keys of the env lines the hook would have appended, in order.
    private(set) var appendedKeys: [String] = []
    /// `GITLAB_OIDC_AWS_ROLE_ARN` of the lines the hook would have appended.
    private(set) var role: String?
    /// The job-folder files the hook would have written.
    private(set) var jobFiles: [String] = []

    func readJobFile(_ path: String, limit: Int) -> [UInt8]? { nil }

    func appendToEnvFile(_ text: String, path: String) throws(OutputError) {
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            appendedKeys.append(key)
            if key == "GITLAB_OIDC_AWS_ROLE_ARN" { role = String(line[line.index(after: equals)...]) }
        }
    }

    func writeJobFile(_ bytes: [UInt8], to path: String) throws(FileError) {
        jobFiles.append(path)
    }

    func makeJobFolder(_ path: String) throws(FileError) {}
}

/// With `--token-file`: the token verified like the hook verifies it, the rule it selects,
/// and one real exchange through the hook's own planner and `Hook.apply`, which writes
/// nothing (not the env file, not the job folder, not the key-set cache).
enum ExchangeCheck {
    /// The most bytes read from the token file (a token has at most 20000 characters).
    static let tokenFileLimit = 64 << 10

    /// The checks for the token in `tokenFile`: `token`, then (when it verifies) `rule` and
    /// `exchange`. Without the issuer's keys (`keysAvailable` false) the token is not verified.
    static func run(
        tokenFile: String, mapping: Mapping, session: HookSession, transport: DoctorTransport, keysAvailable: Bool,
        context: DoctorContext
    ) -> [DoctorCheck] {
        let path = FileSystem.absolute(tokenFile, workingDirectory: context.workingDirectory)
        let token: String
        do throws(FileError) {
            token = String(decoding: try context.files.read(path, limit: tokenFileLimit), as: UTF8.self).trimmingSpaces
        } catch {
            return [
                .fail(
                    "token", "token \(tokenFile): cannot be read: \(error.reason)",
                    advice:
                        "give --token-file a file holding one job's ID token (e.g. printf '%s' \"$AWS_ID_TOKEN\" > FILE in a job)"
                )
            ]
        }
        guard keysAvailable else {
            return [
                .fail(
                    "token",
                    "token \(tokenFile): not verified: the issuer's signing keys could not be fetched (see above)",
                    advice: "fix the issuer check first")
            ]
        }
        let verifier = TokenVerifier(
            policy: ClaimPolicy(issuer: mapping.issuer, audiences: mapping.audiences),
            keys: KeySetSource(
                issuer: mapping.issuer, keySetURL: mapping.jwksURL, cacheDirectory: nil, transport: transport,
                transportSettings: session.transportSettings, retrier: session.retrier, clock: context.clock,
                log: context.log),
            clock: context.clock)
        let claims: Claims
        do throws(TokenError) {
            claims = try verifier.verify(token).claims
        } catch {
            return [
                .fail(
                    "token", "token \(tokenFile): refused: \(error.description)",
                    advice: error.responsibility == .pipeline
                        ? "take a fresh token from a job that declares id_tokens with aud: \(mapping.audiences.first ?? "sts.amazonaws.com") (a token lives only as long as its job)"
                        : "fix the mapping or this host as the message says")
            ]
        }
        var checks = [tokenLine(tokenFile, token: token, claims: claims, mapping: mapping, now: context.clock.now())]
        checks += plannedExchange(token: token, claims: claims, mapping: mapping, session: session, context: context)
        return checks
    }

    /// `token FILE: verified (...): project P, ref R`.
    static func tokenLine(_ file: String, token: String, claims: Claims, mapping: Mapping, now: Int64) -> DoctorCheck {
        var checked = ["iss", "aud \(claims.audiences.first { mapping.audiences.contains($0) } ?? "?")"]
        if let expiry = claims.seconds("exp") {
            checked.append(
                expiry > now
                    ? "expires in \(DoctorText.duration(expiry - now))"
                    : "expired \(now - expiry) s ago, within the \(ClaimPolicy.clockSkew) s clock skew")
        }
        if let jwt = try? JWT(token) {
            checked.append(
                "\(jwt.algorithm.rawValue) signature"
                    + (jwt.keyID.map { " by key \"\(LogText.oneLine($0, limit: 64))\"" } ?? ""))
        }
        var job: [String] = []
        for (label, claim) in [("project", "project_path"), ("ref", "ref"), ("environment", "environment")] {
            if let value = claims.string(claim) { job.append("\(label) \(LogText.oneLine(value, limit: 256))") }
        }
        let described = job.isEmpty ? "" : ": " + job.joined(separator: ", ")
        return .ok("token", "token \(file): verified (\(checked.joined(separator: ", ")))\(described)")
    }

    /// The rule the claims select and the plan the hook makes for them, carried out with the
    /// hook's own `apply` into a sink that writes nothing.
    static func plannedExchange(
        token: String, claims: Claims, mapping: Mapping, session: HookSession, context: DoctorContext
    )
        -> [DoctorCheck]
    {
        let selection = RuleMatcher.select(
            in: mapping.rules, claims: claims,
            continuingPast: { JobPlanner.needsEveryMatch(after: $0, mapping: mapping) })
        let envFile = FileSystem.absolute(
            context.environment.value("GITLAB_ENV") ?? "gitlab_runner_env", workingDirectory: context.workingDirectory)
        let job = JobSnapshot(
            tokenVariable: mapping.tokenVariables.first ?? JobToken.defaultVariable, token: token, envFile: envFile,
            envFileEntries: [:],
            folder: JobFolder.locate(
                runnerTempProjectDir: context.environment.value("RUNNER_TEMP_PROJECT_DIR"), envFile: envFile,
                workingDirectory: context.workingDirectory),
            executablePath: context.executablePath,
            configPath: FileSystem.absolute(context.configPath, workingDirectory: context.workingDirectory),
            now: context.clock.now())
        let plan: JobPlan
        do throws(HookFailure) {
            plan = try JobPlanner.plan(mapping: mapping, claims: claims, selection: selection, job: job)
        } catch {
            return [.fail("rule", "rule: \(error.description)", advice: advice(for: error, mapping: mapping))]
        }
        switch plan.action {
        case let .skip(.noMatch(project, ref, closest)):
            let nearest = closest.map { "; closest: \($0)" } ?? ""
            return [
                .fail(
                    "rule",
                    "rule: none matches this token (project \(LogText.oneLine(project, limit: 256)), ref \(LogText.oneLine(ref, limit: 256)))\(nearest); the hook would give the job nothing",
                    advice:
                        "`gitlab-oidc-aws explain --config \(context.configPath) --token-file FILE` shows every rule; add or widen a rule if such jobs should get credentials"
                )
            ]
        case let .skip(.rule(rule)):
            return [
                .warn(
                    "rule",
                    "rule: \(rule.label) matches first and says skip = true: the job gets no credentials, no exchange tried"
                )
            ]
        case let .reuse(exchange, _), let .exchange(exchange):
            return [ruleLine(exchange, output: .env)] + [apply(plan, job: job, session: session, context: context)]
        case let .place(placement):
            let first = placement.grants[0].exchange
            return [ruleLine(first, output: placement.output)]
                + [apply(plan, job: job, session: session, context: context)]
                + placement.grants.map { grant in sdkExchange(grant, token: token, mapping: mapping, session: session) }
        }
    }

    /// `rule: rule 2 "deploy" matches first: role R, region us-east-1, output env`.
    static func ruleLine(_ exchange: Exchange, output: OutputMode) -> DoctorCheck {
        let chain = exchange.chain.isEmpty ? "" : " then \(DoctorText.count(exchange.chain.count, "chain hop"))"
        return .ok(
            "rule",
            "rule: \(exchange.rule.label) matches first: role \(exchange.webIdentity.role)\(chain), region \(exchange.region), output \(output.rawValue)"
        )
    }

    /// The plan carried out by `Hook.apply` as in a job, into `DiscardingJobFiles`: for
    /// `output = "env"` the STS hops and the account check; for the other outputs, what
    /// would be put in place (they make no STS call in the hook).
    static func apply(_ plan: JobPlan, job: JobSnapshot, session: HookSession, context: DoctorContext) -> DoctorCheck {
        let sink = DiscardingJobFiles()
        var lines: [String] = []
        var hookContext = HookContext(
            configPath: context.configPath, envFileOverride: job.envFile, environment: context.environment,
            clock: context.clock, transport: session.transport, files: sink, log: { lines.append($0) },
            executablePath: context.executablePath, workingDirectory: context.workingDirectory)
        hookContext.loadMapping = { (_) throws(ConfigError) in session.mapping }
        let shadow =
            plan.mode == .shadow ? "; with mode = \"shadow\" the hook itself would not call STS" : ""
        do throws(HookFailure) {
            _ = try Hook.apply(plan, job: job, session: session, context: hookContext)
        } catch {
            return .fail(
                "exchange", "exchange: \(error.description)", advice: advice(for: error, mapping: session.mapping))
        }
        let said = lines.last.map { LogText.oneLine($0, limit: 1024) } ?? "done"
        guard case let .exchange(exchange) = plan.action else {
            return .ok(
                "exchange",
                "put in place: \(said); nothing written (\(DoctorText.count(sink.appendedKeys.count, "env line")), \(DoctorText.count(sink.jobFiles.count, "job file")) kept back)"
            )
        }
        let account = (sink.role.flatMap(RoleARN.init) ?? exchange.finalRole).account
        let guardNote = exchange.allowedAccounts.map { "in \($0.setting)" } ?? "any account allowed"
        return .ok(
            "exchange",
            "exchange: \(said); account \(account) (\(guardNote)); nothing written (\(DoctorText.count(sink.appendedKeys.count, "env line")) kept back)\(shadow)"
        )
    }

    /// For `web-identity` and `profile`: the exchange an AWS SDK (or `credential-process`)
    /// makes with what the hook put in place, made once here.
    static func sdkExchange(_ grant: Placement.Grant, token: String, mapping: Mapping, session: HookSession)
        -> DoctorCheck
    {
        let exchange = grant.exchange
        let profile = grant.profile.map { " (profile \($0))" } ?? ""
        do throws(HookFailure) {
            let credentials = try session.obtain(exchange, token: token)
            let account =
                credentials.accountID(assumedRole: exchange.finalRole.description) ?? exchange.finalRole.account
            let guardNote = exchange.allowedAccounts.map { "in \($0.setting)" } ?? "any account allowed"
            let shadow = mapping.mode == .shadow ? "; with mode = \"shadow\" jobs get no such settings" : ""
            return .ok(
                "exchange",
                "exchange\(profile) as an AWS SDK would make it: assumed \(exchange.hops); credentials expire \(Timestamp.format(credentials.expiration)); account \(account) (\(guardNote))\(shadow)"
            )
        } catch {
            return .fail(
                "exchange", "exchange\(profile): \(error.description)", advice: advice(for: error, mapping: mapping))
        }
    }

    /// What to do about a failed plan or exchange.
    static func advice(for failure: HookFailure, mapping: Mapping) -> String {
        switch failure {
        case let .sts(error):
            let role = error.call?.roleARN ?? "ROLE"
            switch error.code {
            case "AccessDenied":
                return
                    "the role's trust policy does not admit this \(error.call?.action == .assumeRole ? "caller (the previous hop's role)" : "token"): `gitlab-oidc-aws trust-policy --role \(role)` prints what it needs"
            case "InvalidIdentityToken", "IDPCommunicationError":
                return
                    "AWS could not check the token: create the IAM OIDC identity provider for \(mapping.issuer), and let AWS reach its keys from the internet"
            case "ExpiredTokenException":
                return "take a fresh token from a running job"
            case nil:
                if case let .transport(transport) = error.attemptError {
                    return NetworkChecks.advice(
                        for: transport, host: ProxyRoute.schemeAndHost(of: transport.url)?.host ?? "STS")
                }
                return "check `sts_endpoint`: the answer is not STS's"
            default:
                return "see docs/troubleshooting.md for \(error.code ?? "this error")"
            }
        case let .refused(error):
            switch error {
            case .accountNotAllowed:
                return "fix the role ARN, or add its account to the allowed_account_ids the message names"
            case .noMatchingRule:
                return
                    "`gitlab-oidc-aws explain --token-file FILE` shows every rule; add or widen a rule if such jobs should get credentials"
            case .webIdentityChain:
                return "use output = \"env\" or \"profile\" for this rule"
            case .unknownExecutablePath, .noToken:
                return "see docs/troubleshooting.md"
            }
        case .configuration, .output, .token, .credentialProcess:
            return "see docs/troubleshooting.md"
        }
    }
}
