/// The pre-build hook: ID token in, credentials in the job environment file out.
///
/// In order: a job without an ID token is left alone (before the mapping is read); the
/// mapping is loaded, the token taken and verified, the rules matched once; `JobPlanner`
/// decides everything; `apply` carries the plan out (STS hops, account check, job files,
/// one append to the env file, one log line). In `mode = "shadow"` the plan is described
/// instead. On any failure the env file is unchanged.
public enum Hook {
    /// Runs the hook. A failure has been logged (with whose problem it is and the mapping's
    /// `help`) when it is thrown; the caller only turns it into an exit status.
    public static func run(_ context: HookContext) throws(HookFailure) -> HookOutcome {
        guard JobToken.isPresent(in: context.environment) else { return .skippedNoToken }
        let mapping: Mapping
        do throws(ConfigError) {
            mapping = try context.loadMapping(context.configPath)
        } catch {
            return try fail(.configuration(error), help: nil, context: context)
        }
        do {
            return try decide(mapping, context: context)
        } catch {
            guard mapping.mode == .shadow else { return try fail(error, help: mapping.help, context: context) }
            let line =
                "shadow mode: would fail this job: \(error.description); nothing was called or written (mode = \"shadow\")"
            context.log(line)
            return .shadowed(line)
        }
    }

    private static func fail(_ failure: HookFailure, help: String?, context: HookContext) throws(HookFailure)
        -> HookOutcome
    {
        for line in failure.logLines(help: help) { context.log(line) }
        throw failure
    }

    /// Everything after loading the mapping: the token, the rules, the plan, and then the
    /// plan applied (or, in shadow mode, described).
    private static func decide(_ mapping: Mapping, context: HookContext) throws(HookFailure) -> HookOutcome {
        guard let envFile = context.envFileOverride ?? context.environment.value("GITLAB_ENV") else {
            throw .output(.noEnvFile)
        }
        guard let (variable, token) = mapping.tokenVariables.lazy.compactMap({ name in
            context.environment.value(name).map { (name, $0) }
        }).first else {
            if mapping.onNoToken == .fail { throw .refused(.noToken(variables: mapping.tokenVariables)) }
            return .skippedNoToken
        }
        let session = HookSession(
            mapping: mapping, transport: context.transport, clock: context.clock,
            environment: context.environment.lookup, log: context.log)
        let claims: Claims
        do throws(TokenError) {
            claims = try session.verifier().verify(token).claims
        } catch {
            throw .token(error)
        }
        let selection = RuleMatcher.select(
            in: mapping.rules, claims: claims, continuingPast: { JobPlanner.needsEveryMatch(after: $0, mapping: mapping) })
        let absoluteEnvFile = FileSystem.absolute(envFile, workingDirectory: context.workingDirectory)
        let job = JobSnapshot(
            tokenVariable: variable, token: token, envFile: absoluteEnvFile,
            envFileEntries: EnvFile.parse(context.files.readJobFile(absoluteEnvFile, limit: EnvFile.readLimit) ?? []),
            folder: JobFolder.locate(
                runnerTempProjectDir: context.environment.value("RUNNER_TEMP_PROJECT_DIR"), envFile: absoluteEnvFile,
                workingDirectory: context.workingDirectory),
            executablePath: context.executablePath,
            configPath: FileSystem.absolute(context.configPath, workingDirectory: context.workingDirectory),
            now: context.clock.now())
        let plan = try JobPlanner.plan(mapping: mapping, claims: claims, selection: selection, job: job)
        if plan.mode == .shadow {
            context.log(plan.shadowLine)
            return .shadowed(plan.shadowLine)
        }
        return try apply(plan, job: job, session: session, context: context)
    }

    /// Carries out `plan`: the STS hops and the account check, then the job files, then one
    /// append to the env file, then one log line. Nothing is written before every call
    /// succeeded, and the env file is changed last.
    public static func apply(_ plan: JobPlan, job: JobSnapshot, session: HookSession, context: HookContext)
        throws(HookFailure) -> HookOutcome
    {
        switch plan.action {
        case let .skip(reason):
            _ = try appendUnlessCurrent(plan.envEntries([]), job: job, context: context)
            context.log(plan.skipLine(reason))
            switch reason {
            case let .noMatch(_, _, closest): return .skippedNoMatch(closest: closest)
            case let .rule(rule): return .skippedByRule(rule: rule.label)
            }
        case let .reuse(exchange, expiration):
            context.log(plan.reuseLine(exchange, expiration: expiration))
            return .reused(role: exchange.finalRole.description)
        case let .exchange(exchange):
            let credentials = try session.obtain(exchange, token: job.token)
            let entries = plan.envEntries(
                EnvLines.credentials(credentials, role: exchange.finalRole.description, region: exchange.region))
            do throws(OutputError) {
                try context.files.appendToEnvFile(try EnvFile.render(entries), path: job.envFile)
            } catch {
                throw .output(error)
            }
            context.log(plan.exchangeLine(exchange, expiration: credentials.expiration))
            return .wrote(
                roles: exchange.roles.map(\.description), rule: exchange.rule.label,
                sessionName: exchange.webIdentity.sessionName)
        case let .place(placement):
            let stale = placement.files.filter { context.files.readJobFile($0.path, limit: 1 << 20) != $0.contents }
            if !stale.isEmpty {
                do throws(FileError) {
                    try context.files.makeJobFolder(placement.folder)
                    for file in stale { try context.files.writeJobFile(file.contents, to: file.path) }
                } catch {
                    throw .output(.jobFile(error))
                }
            }
            let appended = try appendUnlessCurrent(plan.envEntries(placement.entries), job: job, context: context)
            let written = appended || !stale.isEmpty
            context.log(plan.placementLine(placement, written: written))
            let first = placement.grants[0].exchange
            guard written else { return .reused(role: first.finalRole.description) }
            return .wrote(
                roles: first.roles.map(\.description), rule: first.rule.label,
                sessionName: first.webIdentity.sessionName)
        }
    }

    /// Appends `entries` unless the env file, read as the runner would export it, already
    /// gives each of them its value. Returns whether it appended.
    private static func appendUnlessCurrent(_ entries: [EnvEntry], job: JobSnapshot, context: HookContext)
        throws(HookFailure) -> Bool
    {
        guard entries.contains(where: { job.envFileEntries[$0.key] != $0.value }) else { return false }
        do throws(OutputError) {
            try context.files.appendToEnvFile(try EnvFile.render(entries), path: job.envFile)
        } catch {
            throw .output(error)
        }
        return true
    }
}
