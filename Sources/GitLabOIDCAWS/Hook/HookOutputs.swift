/// A job whose token was verified and matched a rule.
struct MatchedJob {
    let mapping: Mapping
    let configPath: String
    let envFile: String
    /// The environment variable the token came from.
    let variable: String
    let token: String
    let claims: Claims
    let rule: Rule
    let assumption: RoleAssumption

    var sessionName: String {
        SessionName.render(
            EffectiveSettings(assumption, of: rule, mapping: mapping).sessionNameTemplate, claims: claims)
    }

    func folder(_ context: HookContext) -> JobFolder {
        JobFolder.locate(
            runnerTempProjectDir: context.variable("RUNNER_TEMP_PROJECT_DIR"), envFile: envFile,
            workingDirectory: FileSystem.currentDirectory() ?? "/")
    }
}

/// What a `web-identity` or `profile` hook run puts in place: files in the job folder and
/// lines for the env file. Built by pure functions; the hook compares it with what an earlier
/// run in the same job left, and writes only what differs.
public struct OutputPlan {
    /// A file to write atomically with mode 0600.
    public struct File: Equatable, Sendable {
        public let path: String
        public let contents: [UInt8]

        public init(path: String, contents: [UInt8]) {
            self.path = path
            self.contents = contents
        }
    }

    /// The folder the files live in (created with mode 0700 when missing).
    public let folder: String
    public let files: [File]
    /// `KEY=VALUE` lines for the env file, in order.
    public let entries: [(String, String)]

    public init(folder: String, files: [File], entries: [(String, String)]) {
        self.folder = folder
        self.files = files
        self.entries = entries
    }

    /// The files whose current contents (`current(path)`, nil when missing or unreadable)
    /// differ from the plan.
    public func filesToWrite(current: (String) -> [UInt8]?) -> [File] {
        files.filter { current($0.path) != $0.contents }
    }

    /// Whether the env file, read as the runner would export it, already gives every
    /// variable of the plan its value; then nothing is appended.
    public func envFileIsCurrent(_ existing: [String: String]) -> Bool {
        entries.allSatisfy { existing[$0.0] == $0.1 }
    }

    /// `output = "web-identity"`: the token file, and the variables with which SDKs assume
    /// `rule`'s role themselves. `AWS_ENDPOINT_URL_STS` is written when the mapping sets
    /// `sts_endpoint` or `sts_fips`, so that SDKs call the same STS as the hook would.
    public static func webIdentity(
        rule: Rule, assumption: RoleAssumption, mapping: Mapping, sessionName: String, folder: JobFolder,
        variable: String, token: String
    ) -> OutputPlan {
        let settings = EffectiveSettings(assumption, of: rule, mapping: mapping)
        let tokenFile = folder.tokenFile(variable: variable)
        let endpoint =
            mapping.stsEndpoint != nil || mapping.stsFIPS
            ? STS.endpoint(region: settings.region, fips: mapping.stsFIPS, override: mapping.stsEndpoint) : nil
        var entries = EnvLines.webIdentity(
            role: assumption.role.description, tokenFile: tokenFile, sessionName: sessionName, region: settings.region,
            stsEndpoint: endpoint)
        if mapping.blockInstanceMetadata { entries.append(("AWS_EC2_METADATA_DISABLED", "true")) }
        return OutputPlan(
            folder: folder.path, files: [File(path: tokenFile, contents: Array(token.utf8))], entries: entries)
    }

    /// `output = "profile"`: the token file, the AWS config file with one section per
    /// profile (each calling `executable credential-process` for its rule), an empty shared
    /// credentials file, and the variables that point SDKs at them. `configPath` is the
    /// mapping file, absolute.
    public static func profiles(
        _ profiles: [JobProfile], mapping: Mapping, configPath: String, executable: String, folder: JobFolder,
        variable: String, token: String
    ) throws(OutputError) -> OutputPlan {
        let tokenFile = folder.tokenFile(variable: variable)
        let sections = profiles.map { profile in
            AWSConfigFile.Section(
                profile: profile.name,
                credentialProcess: CredentialProcessInvocation(
                    executable: executable, configPath: configPath, tokenFile: tokenFile, rule: profile.rule.number,
                    cacheFile: folder.cacheFile(rule: profile.rule.number)),
                region: profile.settings.region)
        }
        let config = try AWSConfigFile.render(sections)
        var entries = EnvLines.profile(
            configFile: folder.configFile, credentialsFile: folder.credentialsFile,
            role: profiles.first?.assumption.role.description ?? "")
        if mapping.blockInstanceMetadata { entries.append(("AWS_EC2_METADATA_DISABLED", "true")) }
        return OutputPlan(
            folder: folder.path,
            files: [
                File(path: tokenFile, contents: Array(token.utf8)),
                File(path: folder.configFile, contents: Array(config.utf8)),
                File(path: folder.credentialsFile, contents: Array(AWSConfigFile.emptyCredentialsFile.utf8)),
            ],
            entries: entries)
    }
}

extension Hook {
    /// `web-identity`: the token file and the variables with which SDKs assume the role.
    static func putWebIdentityInPlace(_ job: MatchedJob, context: HookContext) throws(OutputError) -> HookOutcome {
        let sessionName = job.sessionName
        let plan = OutputPlan.webIdentity(
            rule: job.rule, assumption: job.assumption, mapping: job.mapping, sessionName: sessionName,
            folder: job.folder(context),
            variable: job.variable, token: job.token)
        return try putInPlace(
            plan, job: job, context: context, output: .webIdentity,
            summary:
                "web identity for \(job.assumption.role) via \(job.rule.label) as session \(sessionName): AWS SDKs assume the role themselves with the job's ID token"
        )
    }

    /// `profile`: the token file, the AWS config file with every profile of the job, and the
    /// variables that point SDKs at it.
    static func putProfilesInPlace(_ job: MatchedJob, context: HookContext) throws(OutputError) -> HookOutcome {
        guard let executable = context.executablePath() else { throw .unknownExecutablePath }
        let folder = job.folder(context)
        let profiles = JobProfiles.resolve(mapping: job.mapping, claims: job.claims)
        let plan = try OutputPlan.profiles(
            profiles, mapping: job.mapping, configPath: FileSystem.absolute(job.configPath), executable: executable,
            folder: folder, variable: job.variable, token: job.token)
        let names = profiles.map { "\($0.name) (\($0.assumption.role))" }.joined(separator: ", ")
        return try putInPlace(
            plan, job: job, context: context, output: .profile,
            summary: "AWS config \(folder.configFile) with profiles \(names): credentials are fetched when first used")
    }

    /// Applies `plan` and says in the job log what was done, or that an earlier run in this
    /// job already did it. No STS call: SDKs (or `credential-process`) make it when they need
    /// credentials.
    private static func putInPlace(
        _ plan: OutputPlan, job: MatchedJob, context: HookContext, output: OutputMode, summary: String
    ) throws(OutputError) -> HookOutcome {
        let role = job.assumption.role.description
        let validUntil = job.claims.seconds("exp").map { "; the ID token is valid until \(Timestamp.format($0))" } ?? ""
        if try apply(plan, envFile: job.envFile) {
            context.log(summary + validUntil)
            return .wrote(role: role, rule: job.rule.label, sessionName: job.sessionName)
        }
        context.log(
            "reusing the \(output.rawValue) settings for \(role) written earlier in this job (\(job.rule.label))\(validUntil)")
        return .reused(role: role)
    }

    /// Writes the plan's files that differ from what is there, then appends its variables
    /// unless the env file already has them all. Returns whether anything was written. The
    /// env file is changed last, and only in one append.
    static func apply(_ plan: OutputPlan, envFile: String) throws(OutputError) -> Bool {
        let text = try EnvFile.render(plan.entries)
        let stale = plan.filesToWrite(current: { FileSystem.contentsIfReadable($0) })
        let append = !plan.envFileIsCurrent(EnvFile.entries(at: envFile))
        guard !stale.isEmpty || append else { return false }
        do throws(FileError) {
            try FileSystem.makeDirectories(plan.folder, mode: 0o700)
            for file in stale { try FileSystem.writeAtomically(file.contents, to: file.path, mode: 0o600) }
        } catch {
            throw .jobFile(error)
        }
        if append { try EnvFile.append(text, to: envFile) }
        return true
    }
}
