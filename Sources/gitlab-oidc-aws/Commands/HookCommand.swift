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
        let status = HookCommand.execute(config: options.config, envFile: envFile)
        if status != 0 { throw ExitCode(status) }
    }

    /// The hook itself, for `run()` and for the fast path in `GitLabOIDCAWSCommand.main()`:
    /// the real adapters in a `HookContext`, and the exit status. `Hook.run` has logged any
    /// failure.
    static func execute(config: String, envFile: String?) -> Int32 {
        FileSystem.ignoreWriteSignals()
        let context = HookContext(
            configPath: config, envFileOverride: envFile, environment: ProcessState.environment, clock: .system,
            transport: CurlTransport(environment: ProcessState.variable), files: LocalJobFiles(), log: Console.log,
            executablePath: ProcessState.executablePath(), workingDirectory: ProcessState.workingDirectory())
        do throws(HookFailure) {
            _ = try Hook.run(context)
            return 0
        } catch {
            return ExitStatus.code(for: error.exitCategory)
        }
    }

    /// The options of `hook` when they take the plain form the runner's `pre_build_script`
    /// uses: `--config` and `--env-file`, each at most once, as `--name value` or
    /// `--name=value`, with a value that is not empty and does not start with `-`. Nil for
    /// anything else, which ArgumentParser then handles (help, usage errors, completions).
    static func plainArguments(_ arguments: ArraySlice<String>) -> (config: String, envFile: String?)? {
        var values: [String: String] = [:]
        var rest = arguments
        while let argument = rest.popFirst() {
            let name: String
            let value: String
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            } else {
                guard let next = rest.popFirst() else { return nil }
                name = argument
                value = next
            }
            guard name == "--config" || name == "--env-file", values[name] == nil, !value.isEmpty,
                !value.hasPrefix("-")
            else { return nil }
            values[name] = value
        }
        return (values["--config"] ?? ConfigOption.defaultPath, values["--env-file"])
    }
}
