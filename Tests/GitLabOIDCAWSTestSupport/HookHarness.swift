import GitLabOIDCAWS

/// One hook run in process, with every adapter a test controls: a fake transport that serves
/// the fixtures' issuer, a manual clock, a job folder and env file in a temporary folder, the
/// job's variables, and the log. The mapping is built in code (`mapping`) or read from
/// `configPath` by the real loader.
public final class HookHarness {
    public let directory = TemporaryDirectory()
    public let transport = FakeTransport()
    public let clock = ManualClock()
    /// Every line the run logged, without the `gitlab-oidc-aws: ` prefix.
    public private(set) var logged: [String] = []
    /// The job's environment.
    public var variables: [String: String]
    /// The mapping the run uses; nil: the file at `configPath`, through the real loader.
    public var mapping: Mapping?
    public var configPath = "/etc/gitlab-runner/oidc-aws.toml"
    public var envFileOverride: String?
    public var files: any JobFileAccess = LocalJobFiles()
    public var executablePath: String? = "/usr/local/bin/gitlab-oidc-aws"

    /// A job holding `token` in `AWS_ID_TOKEN` (nil: no token), with `$GITLAB_ENV` and
    /// `$RUNNER_TEMP_PROJECT_DIR` as the runner sets them, and an empty env file.
    public init(mapping: Mapping?, token: String? = TokenFixtures.main) {
        self.mapping = mapping
        let temporary = "\(directory.path)/builds/group/project.tmp"
        variables = ["GITLAB_ENV": "\(temporary)/gitlab_runner_env", "RUNNER_TEMP_PROJECT_DIR": temporary, "CI": "true"]
        if let token { variables["AWS_ID_TOKEN"] = token }
        _ = try? FileSystem.makeDirectories(temporary, mode: 0o700)
        directory.write("builds/group/project.tmp/gitlab_runner_env", "")
        IssuerAnswers.serve(on: transport)
    }

    /// `$GITLAB_ENV`.
    public var envFile: String { variables["GITLAB_ENV"] ?? "" }

    /// The hook's folder in the job's temporary folder.
    public var jobFolder: String { (variables["RUNNER_TEMP_PROJECT_DIR"] ?? "") + "/gitlab-oidc-aws" }

    /// The env file's contents now.
    public var envFileText: String { TemporaryDirectory.read(envFile) ?? "" }

    /// The requests sent to STS at `endpoint`.
    public func stsRequests(_ endpoint: String = STSAnswers.defaultEndpoint) -> [HTTPRequest] {
        transport.requests(to: endpoint)
    }

    /// The context of a run, as the executable would build it from this job.
    public var context: HookContext {
        var context = HookContext(
            configPath: configPath, envFileOverride: envFileOverride, environment: JobEnvironment(variables),
            clock: clock.clock, transport: transport, files: files, log: { [unowned self] in logged.append($0) },
            executablePath: executablePath, workingDirectory: directory.path)
        if let mapping {
            context.loadMapping = { (_) throws(ConfigError) in mapping }
        }
        return context
    }

    /// Runs the hook once.
    public func run() -> Result<HookOutcome, HookFailure> {
        do throws(HookFailure) {
            return .success(try Hook.run(context))
        } catch {
            return .failure(error)
        }
    }
}
