import ArgumentParser
import GitLabOIDCAWS

struct CredentialProcessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credential-process",
        abstract: "Print AWS credentials for one rule in the credential_process format.",
        discussion: """
            The AWS config file that `hook` writes with output = "profile" runs this for each \
            profile; AWS SDKs run it again when the credentials are about to expire. It reads the \
            job's ID token from the file the hook wrote, checks that the rule still matches it, \
            and prints {"Version":1,"AccessKeyId":...,"SecretAccessKey":...,"SessionToken":..., \
            "Expiration":...} on stdout, nothing else. With --cache, credentials are kept in that \
            file (mode 0600) and printed again until 5 minutes before they expire.
            Exit status: 0 credentials printed; 1 no credentials (token, rule, STS, network); \
            2 the mapping file is invalid; 64 bad usage. Messages go to stderr.
            """
    )

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "The file holding the job's ID token (written by `hook`).")
    var tokenFile: String

    @Option(name: .long, help: "The number of the mapping rule whose role to assume (1 = the first [[rule]]).")
    var rule: Int

    @Option(name: .long, help: "A file to cache the credentials in (mode 0600); without it, every run asks STS.")
    var cache: String?

    func validate() throws {
        if rule < 1 { throw ValidationError("--rule must be a rule number, 1 or more") }
    }

    func run() throws {
        try runReportingErrors(
            { () throws(HookFailure) -> Int32 in
                let answer = try CredentialProcess.run(
                    CredentialProcessContext(
                        configPath: options.config, tokenFile: tokenFile, rule: rule, cacheFile: cache,
                        environment: ProcessState.variable, clock: .system,
                        transport: CurlTransport(environment: ProcessState.variable), log: Console.log))
                Console.print(answer)
                return 0
            }, report: Console.failure)
    }
}
