import ArgumentParser
import GitLabOIDCAWS

struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "The runner's pre-build hook: append AWS credentials for this job to $GITLAB_ENV.",
        discussion: """
            Exit status: 0 credentials written or nothing to do; 1 the job wanted credentials and \
            could not get them; 2 the mapping file is invalid or there is no env file; 64 bad usage.
            """
    )

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "The job environment file (default: $GITLAB_ENV).")
    var envFile: String?

    func run() throws {
        try runReportingErrors {
            _ = try Hook.run(
                HookContext(
                    configPath: options.config, envFileOverride: envFile, environment: processEnvironment,
                    log: Console.log))
            return 0
        }
    }
}
